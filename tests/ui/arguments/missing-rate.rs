nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dropout,
        Dense(10, softmax),
    }
}

fn main() {}
