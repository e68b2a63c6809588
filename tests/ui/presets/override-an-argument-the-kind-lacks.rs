nn::sequential! {
    layer Hidden = Dense(activation = elu, kernel_initializer = he_normal);

    struct Net {
        Flatten[28, 28], Hidden(100, rate = 0.5), Dense(10, softmax),
    }
}

fn main() {}
