fn main() {
    let _model = nn::sequential![#[weights = "model.safetensors"] Flatten[28, 28], Dense(10, softmax)];
}
