nn::sequential! {
    struct Net {
        Input[784],
        LSTM(32),
        Dense(10, softmax),
    }
}

fn main() {}
