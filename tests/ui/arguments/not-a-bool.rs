nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, use_bias = 0),
        Dense(10, softmax),
    }
}

fn main() {}
