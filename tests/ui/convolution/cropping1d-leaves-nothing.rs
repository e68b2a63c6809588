nn::sequential! {
    struct Net {
        Input[6, 3],
        Cropping1D((4, 2)),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
