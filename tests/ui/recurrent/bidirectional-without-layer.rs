nn::sequential! {
    struct Net {
        Input[10, 4],
        Bidirectional(merge_mode = sum),
        Dense(2),
    }
}

fn main() {}
