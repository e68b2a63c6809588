nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, relu, he_normla),
        Dense(10, softmax),
    }
}

fn main() {}
