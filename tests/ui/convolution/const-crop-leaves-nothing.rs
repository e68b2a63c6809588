const CROP: usize = 3;

nn::sequential! {
    struct Net {
        Input[6, 6, 1],
        Cropping2D(((CROP, CROP), (1, 1))),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
