nn::sequential! {
    struct Net {
        Flatten[28, 0],
        Dense(10, softmax),
    }
}

fn main() {}
