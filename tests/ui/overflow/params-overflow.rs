nn::sequential! {
    struct Net {
        Input[4294967295],
        Dense(4294967295, no_bias),
        Dense(4294967295, no_bias),
        Dense(4294967295, no_bias),
    }
}

fn main() {}
