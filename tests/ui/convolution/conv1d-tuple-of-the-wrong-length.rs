nn::sequential! {
    struct Net {
        Input[32, 2],
        Conv1D(8, (3, 1)),
        ZeroPadding1D((1, 2, 3)),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
