const CHANNELS: usize = 3;
const GROUPS: usize = 2;

nn::sequential! {
    struct Net {
        Input[32, CHANNELS],
        Conv1D(4, 3, groups = GROUPS),
        Flatten, Dense(10, softmax),
    }
}

fn main() {}
