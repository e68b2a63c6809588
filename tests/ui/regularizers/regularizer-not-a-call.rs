nn::sequential! {
    struct Net {
        Input[8],
        Dense(4, bias_regularizer = 0.01),
        Dense(2, softmax),
    }
}

fn main() {}
