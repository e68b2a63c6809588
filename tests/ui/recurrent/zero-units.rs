nn::sequential! {
    struct Net {
        Input[28, 28],
        LSTM(0),
        Dense(10, softmax),
    }
}

fn main() {}
