nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        MaxPooling1D(2),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
