nn::sequential! {
    struct Net {
        Input[32, 4],
        Conv1D(6, 3, groups = 3),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
