nn::sequential! {
    struct Net {
        Input[6, 6, 1],
        Cropping2D(((3, 3), (1, 1))),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
