nn::sequential! {
    struct Net {
        Input[28, 28],
        Reshape[7, 100],
        Dense(10, softmax),
    }
}

fn main() {}
