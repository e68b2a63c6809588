nn::sequential! {
    struct Net {
        Input[28, 28],
        LSTN(8),
        Dense(10, softmax),
    }
}

fn main() {}
