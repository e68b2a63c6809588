nn::sequential! {
    struct Net {
        Input[2],
        Dense(18446744073709551615),
    }
}

fn main() {}
