const MULTIPLIER: usize = 0;

nn::sequential! {
    struct Net {
        Input[28, 28, 3],
        DepthwiseConv2D(3, depth_multiplier = MULTIPLIER),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
