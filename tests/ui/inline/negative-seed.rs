fn main() {
    let _model = nn::sequential![seed = -1; Flatten[28, 28], Dense(10, softmax)];
}
