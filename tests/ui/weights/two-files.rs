//! A model has one weights file, and the file must match every tensor at once:
//! here the bias is missing and the layer is declared wider than the file.
nn::sequential! {
    #[weights = "tests/ui/weights/fixtures/tiny.safetensors"]
    #[weights = "tests/ui/weights/fixtures/missing-bias.safetensors"]
    pub struct Tiny {
        Input[2],
        Dense(3),
    }
}

nn::sequential! {
    #[weights = "tests/ui/weights/fixtures/missing-bias.safetensors"]
    pub struct Wide {
        Input[2],
        Dense(4),
    }
}

fn main() {
    let _ = (Tiny::embedded(), Wide::embedded());
}
