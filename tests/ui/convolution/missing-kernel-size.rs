nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        Conv2D(32),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
