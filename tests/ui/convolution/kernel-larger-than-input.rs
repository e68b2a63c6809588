nn::sequential! {
    struct Net {
        Input[4, 4, 1],
        Conv2D(8, 5),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
