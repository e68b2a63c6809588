nn::sequential! {
    struct Net {
        Input[8],
        Dense(4, kernel_regularizer = l1_l2(l1 = 0.01, l3 = 0.01)),
        Dense(2, softmax),
    }
}

fn main() {}
