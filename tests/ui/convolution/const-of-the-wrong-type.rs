const K: i32 = 3;

nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        Conv2D(8, K), MaxPooling2D(K),
        Conv2D(16, (K, 1), strides = K),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
