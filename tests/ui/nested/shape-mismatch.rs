nn::sequential! {
    struct Encoder {
        Flatten[28, 28], Dense(32, relu),
    }
}

nn::sequential! {
    struct Classifier {
        Input[784], Encoder, Dense(10, softmax),
    }
}

fn main() {}
