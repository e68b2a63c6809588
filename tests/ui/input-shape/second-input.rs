nn::sequential! {
    struct Net {
        Input[784],
        Input[784],
        Dense(10, softmax),
    }
}

fn main() {}
