const FILTERS: usize = 6;

nn::sequential! {
    struct Net {
        Input[28, 28, 4],
        Conv2D(FILTERS, 3, groups = 4),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
