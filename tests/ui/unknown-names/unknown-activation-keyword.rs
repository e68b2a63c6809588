nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, activation = rleu),
        Dense(10, softmax),
    }
}

fn main() {}
