nn::sequential! {
    struct Net {
        Input[8],
        Dense(4, kernel_regularizer = l2_l1(l1 = 0.01)),
        Dense(2, softmax),
    }
}

fn main() {}
