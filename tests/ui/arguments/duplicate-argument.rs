nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, activation = relu, activation = elu),
        Dense(10, softmax),
    }
}

fn main() {}
