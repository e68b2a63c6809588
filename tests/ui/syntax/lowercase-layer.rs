nn::sequential! {
    struct Net {
        flatten[28, 28],
        dense(10, softmax),
    }
}

fn main() {}
