nn::sequential! {
    struct Net {
        Input[8],
        ReLU(max_value = 6.0, negative_slope = -0.1),
        Dense(2, softmax),
    }
}

fn main() {}
