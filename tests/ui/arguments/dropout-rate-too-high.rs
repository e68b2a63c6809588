nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dropout(1.5),
        Dense(10, softmax),
    }
}

fn main() {}
