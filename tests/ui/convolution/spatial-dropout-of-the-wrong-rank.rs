nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        SpatialDropout1D(0.2),
        Flatten,
        SpatialDropout2D(0.2),
        Dense(10, softmax),
    }
}

fn main() {}
