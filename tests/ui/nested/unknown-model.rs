nn::sequential! {
    struct Encoder {
        Flatten[28, 28], Dense(32, relu),
    }
}

nn::sequential! {
    struct Classifier {
        Input[28, 28], Encodr, Dense(10, softmax),
    }
}

fn main() {}
