nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100),
        RReLU(lower = 0.3, upper = 0.1),
        Dense(10, softmax),
    }
}

fn main() {}
