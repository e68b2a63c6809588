nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(),
        Dense(10, softmax),
    }
}

fn main() {}
