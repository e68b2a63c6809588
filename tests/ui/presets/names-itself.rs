nn::sequential! {
    layer Hidden = Hidden(100);

    struct Net {
        Flatten[28, 28], Hidden, Dense(10, softmax),
    }
}

fn main() {}
