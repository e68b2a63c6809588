nn::sequential! {
    struct Net {
        Input[7, 7, 8],
        Conv2DTranspose(4, 3, strides = 2, output_padding = (1, 2)),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
