nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dens(300, relu),
        Dense(100, activation = elux),
        Dropout(1.5),
        Dense(10, softmax),
    }
}

fn main() {}
