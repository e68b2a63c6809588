nn::sequential! {
    struct Net {
        Input[8],
        GaussianNoise(stddev = -0.1),
        Dense(2, softmax),
    }
}

fn main() {}
