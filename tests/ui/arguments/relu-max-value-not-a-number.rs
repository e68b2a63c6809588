nn::sequential! {
    struct Net {
        Input[8],
        ReLU(max_value = "six"),
        Dense(2, softmax),
    }
}

fn main() {}
