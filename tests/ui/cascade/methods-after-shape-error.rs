nn::sequential! {
    struct Net {
        Dense(100, relu),
        Dense(10, softmax),
    }
}

fn main() {
    println!("{}", Net::seeded(1).summary());
}
