nn::sequential! {
    struct Net {
        Input[8],
        Dense(4),
        Softmax(axsi = -1),
    }
}

fn main() {}
