nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, kernel_initialiser = he_normal),
        Dense(10, softmax),
    }
}

fn main() {}
