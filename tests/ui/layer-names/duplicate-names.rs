nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, relu, name = "hidden"),
        Dense(50, relu, name = "hidden"),
        Dense(10, softmax),
    }
}

fn main() {}
