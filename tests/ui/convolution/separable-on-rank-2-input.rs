nn::sequential! {
    struct Net {
        Input[28, 28],
        SeparableConv2D(8, 3),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
