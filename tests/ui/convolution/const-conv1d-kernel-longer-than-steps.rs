const STEPS: usize = 4;
const K: usize = 3;

nn::sequential! {
    struct Net {
        Input[STEPS, 2],
        Conv1D(8, K, dilation_rate = 2),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
