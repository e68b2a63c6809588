nn::sequential! {
    pub struct Net {
        Flatten[28, 28],
        Dense(100, activation = elux),
        Dense(10, softmax),
    }
}

fn main() {
    let m = Net::seeded(1);
    println!("{}", m.summary());
    println!("{} {} {}", Net::NAME, Net::PARAMS, Net::TRAINABLE_PARAMS);
    let x = [[0.0f32; 28]; 28];
    let y: [f32; 10] = m.predict_one(&x);
    let batch = nn::ndarray::Array3::<f32>::zeros((2, 28, 28));
    let p = m.predict(batch.view()).unwrap();
    assert_eq!(p.shape(), &[2, 10]);
    assert_eq!(Net::INPUT_SHAPE, [28, 28]);
    assert_eq!(Net::OUTPUT_SHAPE, [10]);
    let _ = (y, m.save_weights("w.safetensors"));
}
