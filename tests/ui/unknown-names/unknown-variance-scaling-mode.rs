nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(100, kernel_initializer = VarianceScaling(scale = 2.0, mode = fan_average)),
        Dense(10, softmax),
    }
}

fn main() {}
