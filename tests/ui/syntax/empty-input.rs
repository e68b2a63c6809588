nn::sequential! {}

fn main() {}
