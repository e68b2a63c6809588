//! The attribute takes the path as a string.
nn::sequential! {
    #[weights(tests/ui/weights/fixtures/tiny.safetensors)]
    pub struct Tiny {
        Input[2],
        Dense(3),
    }
}

fn main() {
    let _ = Tiny::embedded();
}
