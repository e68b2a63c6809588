nn::sequential! {
    struct Net {
        Input[28, 28],
        Reshape[-1, 5],
        Dense(10, softmax),
    }
}

fn main() {}
