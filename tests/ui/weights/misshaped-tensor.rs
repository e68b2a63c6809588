//! The kernel is stored transposed.
nn::sequential! {
    #[weights = "tests/ui/weights/fixtures/transposed-kernel.safetensors"]
    pub struct Tiny {
        Input[2],
        Dense(3),
    }
}

/// Uses of the model add no error of their own.
static MODEL: Tiny = Tiny::embedded();

fn main() {
    let y: [f32; 3] = MODEL.predict_one(&[1.0, 2.0]);
    let _ = y;
}
