nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100),
        Activation(elux),
        Dense(10, softmax),
    }
}

fn main() {}
