nn::sequential! {
    #[keras = "tests/reference/keras_files/unsupported_layer.keras"]
    pub struct Net;
}

fn main() {}
