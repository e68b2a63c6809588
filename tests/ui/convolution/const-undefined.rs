nn::sequential! {
    struct Net {
        Input[SIZE, SIZE, 1],
        Conv2D(8, 3), MaxPooling2D(2),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
