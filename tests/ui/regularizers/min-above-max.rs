nn::sequential! {
    struct Net {
        Input[8],
        Dense(4, kernel_constraint = min_max_norm(min_value = 2.0, max_value = 1.0)),
        Dense(2, softmax),
    }
}

fn main() {}
