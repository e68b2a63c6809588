nn::sequential! {
    struct Net {
        Input[28, 28],
        LSTM(8, dropout = 1.5),
        Dense(10, softmax),
    }
}

fn main() {}
