nn::sequential! {
    struct Net<const N: usize> {
        Flatten[28, 28],
        Dense(N, softmax),
    }
}

fn main() {}
