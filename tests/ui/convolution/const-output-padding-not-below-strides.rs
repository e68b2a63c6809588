const STRIDES: usize = 2;
const OUTPUT_PADDING: usize = 2;

nn::sequential! {
    struct Net {
        Input[7, 7, 1],
        Conv2DTranspose(4, 3, strides = STRIDES, output_padding = (OUTPUT_PADDING, 1)),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
