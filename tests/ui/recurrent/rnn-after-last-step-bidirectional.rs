nn::sequential! {
    struct Net {
        Input[28, 28],
        Bidirectional(GRU(8)),
        Dropout(0.2),
        SimpleRNN(8),
    }
}

fn main() {}
