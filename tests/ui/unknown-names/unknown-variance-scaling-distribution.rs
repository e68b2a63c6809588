nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, kernel_initializer = VarianceScaling(mode = fan_in, distribution = gaussian)),
        Dense(10, softmax),
    }
}

fn main() {}
