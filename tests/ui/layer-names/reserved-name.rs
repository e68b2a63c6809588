nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, relu, name = "__nn"),
        Dense(10, softmax),
    }
}

fn main() {}
