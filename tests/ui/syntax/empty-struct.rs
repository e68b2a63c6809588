nn::sequential! {
    struct Net {}
}

fn main() {}
