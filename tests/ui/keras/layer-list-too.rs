nn::sequential! {
    #[keras = "tests/reference/keras_files/mnist_convnet.keras"]
    pub struct Net { Input[28, 28, 1], Flatten, Dense(10) }
}

fn main() {}
