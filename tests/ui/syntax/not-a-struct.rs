nn::sequential! {
    enum Net {
        Flatten[28, 28],
        Dense(10, softmax),
    }
}

fn main() {}
