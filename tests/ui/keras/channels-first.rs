nn::sequential! {
    #[keras = "tests/reference/keras_files/channels_first.keras"]
    pub struct Net;
}

fn main() {}
