const FILTERS: usize = 8;

nn::sequential! {
    struct Net {
        Input[28, 28, 1],
        Conv2D(FILTERS, 3, relu),
        SeparableConv2D(FILTERS, 3),
        Conv2DTranspose(FILTERS, 3),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
