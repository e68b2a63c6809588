nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        Conv2D(8, 3, strides = 2, dilation_rate = 2),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
