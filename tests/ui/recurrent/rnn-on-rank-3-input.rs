nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        GRU(16),
        Dense(10, softmax),
    }
}

fn main() {}
