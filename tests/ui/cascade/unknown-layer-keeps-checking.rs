nn::sequential! {
    struct Net {
        Flatten[28, 28],
        Dens(300, relu),
        BatchNorm[300],
        Dense(10, softmax, he_normla),
    }
}

fn main() {
    let m = Net::seeded(1);
    let y: [f32; 10] = m.predict_one(&[[0.0; 28]; 28]);
    let _ = (y, m.summary());
}
