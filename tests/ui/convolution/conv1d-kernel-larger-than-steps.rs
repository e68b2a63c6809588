nn::sequential! {
    struct Net {
        Input[4, 2],
        Conv1D(8, 5),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
