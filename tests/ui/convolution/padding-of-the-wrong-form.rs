nn::sequential! {
    struct Net {
        Input[6, 6, 1],
        ZeroPadding2D((1, 2, 3)),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
