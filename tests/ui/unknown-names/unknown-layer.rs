nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dens(10),
    }
}

fn main() {}
