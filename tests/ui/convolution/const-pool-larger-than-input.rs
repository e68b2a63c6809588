const SIZE: usize = 6;
const POOL: usize = 5;

nn::sequential! {
    struct Net {
        Input[SIZE, SIZE, 1],
        Conv2D(8, 3), MaxPooling2D(POOL),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
