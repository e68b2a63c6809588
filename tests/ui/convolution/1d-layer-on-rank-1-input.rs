nn::sequential! {
    struct Net {
        Input[32],
        Conv1D(8, 3, relu),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
