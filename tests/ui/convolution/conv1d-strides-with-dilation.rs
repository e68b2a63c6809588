nn::sequential! {
    struct Net {
        Input[32, 2],
        Conv1D(8, 3, strides = 2, dilation_rate = 2, padding = causal),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
