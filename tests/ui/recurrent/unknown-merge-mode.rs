nn::sequential! {
    struct Net {
        Input[10, 4],
        Bidirectional(LSTM(8), merge_mode = concatt),
        Dense(2),
    }
}

fn main() {}
