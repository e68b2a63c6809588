nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(HIDDEN, relu),
        Dense(10, softmax),
    }
}

fn main() {}
