nn::sequential! {
    struct Net {
        Input[4294967296, 4294967296, 4294967296],
        Flatten,
        Dense(2, softmax),
    }
}

fn main() {}
