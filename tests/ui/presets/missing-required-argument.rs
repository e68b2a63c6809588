nn::sequential! {
    layer Hidden = Dense(activation = elu);

    struct Net {
        Flatten[28, 28], Hidden, Dense(10, softmax),
    }
}

fn main() {}
