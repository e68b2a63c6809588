nn::sequential! {
    struct Net {
        Input[7, 7, 8],
        Conv2DTranspose(4, 2, strides = 2, padding = same, output_padding = 0),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
