nn::sequential! {
    struct Net {
        Input[4, 4, 2],
        SeparableConv2D(8, 3), DepthwiseConv2D(3),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
