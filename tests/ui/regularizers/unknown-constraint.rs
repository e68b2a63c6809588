nn::sequential! {
    struct Net {
        Input[8],
        Dense(4, kernel_constraint = max_nrom(1.0)),
        Dense(2, softmax),
    }
}

fn main() {}
