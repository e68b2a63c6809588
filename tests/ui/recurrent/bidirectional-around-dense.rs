nn::sequential! {
    struct Net {
        Input[10, 4],
        Bidirectional(Dense(3)),
    }
}

fn main() {}
