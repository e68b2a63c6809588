nn::sequential! {
    struct Net {
        Input[28, 28],
        Bidirectional(LSTM(8, return_sequence = true, recurrent_dropout = -0.5)),
        Bidirectional(GRUU(4)),
        Dense(10, softmax),
    }
}

fn main() {}
