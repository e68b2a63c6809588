nn::sequential! {
    struct Net {
        Input[28, 28](name = "pixels"),
        Flatten,
        Dense(10, softmax),
    }
}

fn main() {}
