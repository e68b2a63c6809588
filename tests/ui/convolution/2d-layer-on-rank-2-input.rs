nn::sequential! {
    struct Net {
        Input[28, 28],
        Conv2D(32, 3, relu),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
