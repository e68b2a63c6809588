//! The expression form, `nn::sequential![..]`: the same struct under a name
//! of the macro's choosing (Keras's model name "sequential"), seeded with 0
//! or with the `seed = ..;` given.

use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{Array1, Array3};
use nn::optim::Sgd;
use nn::train::FitOptions;

nn::sequential! {
    /// The seed model of API.md, as a named struct.
    struct SeedMlp {
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    }
}

fn data(n: usize) -> (Array3<f32>, Array1<usize>) {
    let x = Array3::from_shape_fn((n, 28, 28), |(i, r, c)| ((i * 31 + r * 7 + c * 3) % 17) as f32 / 17.0);
    let y = Array1::from_shape_fn(n, |i| i % 10);
    (x, y)
}

/// Every weight of a model, in order.
fn weights<M: nn::Model>(m: &M) -> Vec<f32> {
    let mut all = Vec::new();
    m.visit_weights(&mut |_, _, p| all.extend_from_slice(p));
    all
}

#[test]
fn the_seed_model_in_an_expression() {
    let mut model = nn::sequential![
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    ];
    let named = SeedMlp::seeded(0);
    // The summary is the struct form's but for the model's name.
    let want = named.summary().replacen("Model: \"seed_mlp\"", "Model: \"sequential\"", 1);
    assert_eq!(model.summary(), want);
    assert!(model.summary().starts_with("Model: \"sequential\""));
    // Seeded with 0, as the struct form's `seeded(0)`.
    assert_eq!(weights(&model), weights(&named));

    let (x, y) = data(64);
    let mut named = SeedMlp::seeded(0);
    let opts = || FitOptions { epochs: 2, batch_size: 16, shuffle: false, verbose: 0, ..Default::default() };
    let h1 = model.fit(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut Sgd::new(0.05), opts()).unwrap();
    let h2 = named.fit(x.view(), y.view(), &SparseCategoricalCrossentropy, &mut Sgd::new(0.05), opts()).unwrap();
    assert_eq!(h1.loss, h2.loss, "the same training as the struct form");
    assert_eq!(weights(&model), weights(&named));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inline.safetensors");
    model.save_weights(&path).unwrap();
    let mut back = nn::sequential![
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    ];
    back.load_weights(&path).unwrap();
    assert_eq!(weights(&back), weights(&model));
    // The struct form reads the same file.
    let mut again = SeedMlp::seeded(9);
    again.load_weights(&path).unwrap();
    assert_eq!(weights(&again), weights(&model));
    let x1 = [[0.25f32; 28]; 28];
    assert_eq!(model.predict_one(&x1), again.predict_one(&x1));
}

#[test]
fn two_models_in_one_function_and_one_in_a_closure() {
    let a = nn::sequential!(seed = 7; Input[4], Dense(3, relu), Dense(2, softmax));
    let b = nn::sequential! { Input[5], Dense(2) };
    assert_eq!(a.predict_one(&[1.0; 4]).len(), 2);
    assert_eq!(b.predict_one(&[1.0; 5]).len(), 2);
    let c = nn::sequential![seed = 7; Input[4], Dense(3, relu), Dense(2, softmax)];
    assert_eq!(weights(&a), weights(&c), "the same seed gives the same weights");
    let d = nn::sequential![Input[4], Dense(3, relu), Dense(2, softmax)];
    assert_ne!(weights(&a), weights(&d), "seed 7 is not seed 0");
    let make = |v: f32| {
        let m = nn::sequential![Input[3], Dense(1, sigmoid)];
        m.predict_one(&[v; 3])[0]
    };
    assert!((0.0..=1.0).contains(&make(0.5)));
}
