const SIZE: usize = 4;
const K: usize = 5;

nn::sequential! {
    struct Net {
        Input[SIZE, SIZE, 1],
        Conv2D(8, K),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
