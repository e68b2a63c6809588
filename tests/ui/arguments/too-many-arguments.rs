nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, 200),
        Dense(10, softmax),
    }
}

fn main() {}
