const SIZE: usize = 7;
const STRIDES: usize = 2;

nn::sequential! {
    struct Net {
        Input[SIZE, SIZE, 1],
        Conv2DTranspose(4, 2, strides = STRIDES, padding = same, output_padding = (0, 1)),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
