nn::sequential! {
    struct Net {
        Input[6, 6, 1],
        Conv2D(8, 3), MaxPooling2D(5),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
