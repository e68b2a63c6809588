nn::sequential! {
    struct Net {
        Input[20],
        Dense(20),
        Embedding(1000, 8),
        LSTM(4),
    }
}

fn main() {}
