nn::sequential! {
    #[keras = "tests/reference/keras_files/seed_mlp.weights.h5"]
    pub struct Net;
}

fn main() {}
