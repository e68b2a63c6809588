nn::sequential! {
    struct Net {
        Input[32, 2],
        Conv1D(8, 3, padding = casual),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
