nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, relu, name = "dense_1"),
        Dense(50, relu),
        Dense(10, softmax),
    }
}

fn main() {}
