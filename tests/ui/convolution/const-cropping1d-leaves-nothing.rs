const STEPS: usize = 6;
const CROP: usize = 4;

nn::sequential! {
    struct Net {
        Input[STEPS, 2],
        Cropping1D((CROP, 2)),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
