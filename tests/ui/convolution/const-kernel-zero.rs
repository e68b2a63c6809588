const K: usize = 0;

nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        Conv2D(8, (3, K)),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
