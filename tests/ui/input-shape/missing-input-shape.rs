nn::sequential! {
    struct Net {
        Dense(300, relu),
        Dense(10, softmax),
    }
}

fn main() {}
