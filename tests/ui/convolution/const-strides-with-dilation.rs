const STRIDES: usize = 2;

nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        Conv2D(8, 3, strides = STRIDES, dilation_rate = 2),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
