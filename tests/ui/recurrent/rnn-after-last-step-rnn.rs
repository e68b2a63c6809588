nn::sequential! {
    struct Net {
        Input[28, 28],
        LSTM(8),
        LSTM(8),
        Dense(10, softmax),
    }
}

fn main() {}
