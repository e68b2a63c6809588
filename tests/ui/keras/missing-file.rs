nn::sequential! {
    #[keras = "does/not/exist.keras"]
    pub struct Net;
}

fn main() {}
