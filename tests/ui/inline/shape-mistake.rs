fn main() {
    let _model = nn::sequential![Input[28, 28], Reshape[27, 28], Dense(10, softmax)];
}
