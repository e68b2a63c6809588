nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        DepthwiseConv2D(3, strides = 2, dilation_rate = 2),
        Conv2DTranspose(4, 3, strides = 2, dilation_rate = 2),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
