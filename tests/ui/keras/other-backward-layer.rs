nn::sequential! {
    #[keras = "tests/reference/keras_files/other_backward_layer.keras"]
    pub struct Net;
}

fn main() {}
