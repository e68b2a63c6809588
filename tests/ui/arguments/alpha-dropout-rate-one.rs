nn::sequential! {
    struct Net {
        Flatten[28, 28],
        AlphaDropout(rate = 1.0),
        Dense(10, softmax),
    }
}

fn main() {}
