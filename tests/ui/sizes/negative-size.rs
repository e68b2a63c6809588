nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dense(-10, relu),
    }
}

fn main() {}
