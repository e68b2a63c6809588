nn::sequential! {
    struct Net {
        Flatten[28, 28](784),
        Dense(10, softmax),
    }
}

fn main() {}
