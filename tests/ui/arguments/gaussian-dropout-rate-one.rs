nn::sequential! {
    struct Net {
        Input[8],
        GaussianDropout(1.0),
        Dense(2, softmax),
    }
}

fn main() {}
