//! The seed model of API.md: summary, parameter counts, inference.

nn::sequential! {
    /// Chapter-11 classifier: BatchNorm before each activation, no biases.
    pub struct SeedMlp {
        Flatten[28, 28],
        BatchNorm,
        Dense(300, he_normal, no_bias),
        Activation(elu),
        BatchNorm,
        Dense(100, he_normal, no_bias),
        Activation(elu),
        BatchNorm,
        Dense(10, softmax),
    }
}

nn::sequential! {
    /// The seed's cell-[6] variant: biases on, BatchNorm after the activation.
    struct Cell6 {
        Flatten[28, 28],
        BatchNorm,
        Dense(300, activation = elu, kernel_initializer = he_normal),
        BatchNorm,
        Dense(100, activation = elu, kernel_initializer = he_normal),
        BatchNorm,
        Dense(10, activation = softmax),
    }
}

const SUMMARY: &str = r#"Model: "seed_mlp"
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
flatten (Flatten)            (None, 784)               0         
_________________________________________________________________
batch_normalization (BatchNo (None, 784)               3136      
_________________________________________________________________
dense (Dense)                (None, 300)               235200    
_________________________________________________________________
activation (Activation)      (None, 300)               0         
_________________________________________________________________
batch_normalization_1 (Batch (None, 300)               1200      
_________________________________________________________________
dense_1 (Dense)              (None, 100)               30000     
_________________________________________________________________
activation_1 (Activation)    (None, 100)               0         
_________________________________________________________________
batch_normalization_2 (Batch (None, 100)               400       
_________________________________________________________________
dense_2 (Dense)              (None, 10)                1010      
=================================================================
Total params: 270,946
Trainable params: 268,578
Non-trainable params: 2,368
_________________________________________________________________
"#;

#[test]
fn summary_is_keras_table() {
    let m = SeedMlp::seeded(42);
    assert_eq!(m.summary(), SUMMARY);
}

#[test]
fn seed_param_counts() {
    assert_eq!(SeedMlp::PARAMS, 270_946);
    assert_eq!(SeedMlp::TRAINABLE_PARAMS, 268_578);
    assert_eq!(SeedMlp::NON_TRAINABLE_PARAMS, 2_368);
    assert_eq!(SeedMlp::NAME, "seed_mlp");
    assert_eq!(SeedMlp::INPUT_SHAPE, [28, 28]);
    assert_eq!(SeedMlp::OUTPUT_SHAPE, [10]);
}

#[test]
fn cell6_param_counts() {
    assert_eq!(Cell6::PARAMS, 271_346);
    assert_eq!(Cell6::TRAINABLE_PARAMS, 268_978);
    assert_eq!(Cell6::NON_TRAINABLE_PARAMS, 2_368);
    let s = Cell6::seeded(0).summary();
    assert!(s.contains("Total params: 271,346\n"), "{s}");
    assert!(s.contains("dense_2 (Dense)              (None, 10)                1010      \n"), "{s}");
}

#[test]
fn seeded_is_deterministic() {
    let (a, b, c) = (SeedMlp::seeded(7), SeedMlp::seeded(7), SeedMlp::seeded(8));
    assert_eq!(a.dense.kernel.as_slice(), b.dense.kernel.as_slice());
    assert_ne!(a.dense.kernel.as_slice(), c.dense.kernel.as_slice());
    assert!(a.dense.bias.is_none());
    assert!(a.dense_2.bias.is_some());
}

fn sample(i: usize) -> [[f32; 28]; 28] {
    let mut x = [[0.0; 28]; 28];
    for (r, row) in x.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = ((r * 31 + c * 17 + i * 7) % 255) as f32 / 255.0;
        }
    }
    x
}

#[test]
fn predict_and_predict_one_agree() {
    let m = SeedMlp::seeded(3);
    let mut batch = nn::ndarray::Array3::<f32>::zeros((5, 28, 28));
    for i in 0..5 {
        let s = sample(i);
        for r in 0..28 {
            for c in 0..28 {
                batch[[i, r, c]] = s[r][c];
            }
        }
    }
    let y = m.predict(batch.view()).unwrap();
    assert_eq!(y.shape(), &[5, 10]);
    for i in 0..5 {
        let one = m.predict_one(&sample(i));
        let sum: f32 = one.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "softmax sums to 1: {sum}");
        for k in 0..10 {
            assert!((one[k] - y[[i, k]]).abs() <= 1e-6, "sample {i} class {k}: {} vs {}", one[k], y[[i, k]]);
        }
    }
}

#[test]
fn wrong_inner_shape_is_an_error() {
    let m = SeedMlp::seeded(3);
    let x = nn::ndarray::Array3::<f32>::zeros((2, 28, 27));
    let err = m.predict(x.view()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, nn::Error::Shape { .. }));
    assert!(msg.contains("(None, 28, 28)") && msg.contains("(2, 28, 27)"), "{msg}");
}
