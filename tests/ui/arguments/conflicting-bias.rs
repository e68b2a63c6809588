nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, relu, no_bias, use_bias = true),
        Dense(10, softmax),
    }
}

fn main() {}
