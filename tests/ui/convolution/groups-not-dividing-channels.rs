nn::sequential! {
    struct Net {
        Input[28, 28, 3],
        Conv2D(8, 3, groups = 2),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
