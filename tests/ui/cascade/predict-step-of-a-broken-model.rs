nn::sequential! {
    struct Net {
        Input[28, 28],
        LSTM(8, dropout = 1.5),
        Dense(10, softmax),
    }
}

fn main() {
    let model = Net::seeded(0);
    let mut state = NetStream::default();
    let y: [f32; 10] = model.predict_step(&mut state, &[0.0; 28]);
    let _ = y;
}
