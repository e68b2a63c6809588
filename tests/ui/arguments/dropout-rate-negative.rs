nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dropout(-0.1),
        Dense(10, softmax),
    }
}

fn main() {}
