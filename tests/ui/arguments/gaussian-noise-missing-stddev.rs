nn::sequential! {
    struct Net {
        Input[8],
        GaussianNoise,
        Dense(2, softmax),
    }
}

fn main() {}
