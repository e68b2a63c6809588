nn::sequential! {
    struct Net {
        Input[20, 3],
        Embedding(1000, 8),
        LSTM(4),
    }
}

fn main() {}
