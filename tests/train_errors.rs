//! Mistakes in training calls: each a clear `nn::Error` whose message names
//! the values involved, and none of them changes the model.

use nn::loss::{CategoricalCrossentropy, SparseCategoricalCrossentropy};
use nn::ndarray::{Array1, Array2, Array3};
use nn::optim::Sgd;
use nn::{Error, FitOptions, Model};

nn::sequential! {
    struct Net {
        Flatten[2, 3],
        BatchNorm,
        Dense(4, softmax),
    }
}

fn weights<M: Model>(m: &M) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    m.visit_weights(&mut |_, _, p| out.push(p.to_vec()));
    out
}

fn x(n: usize) -> Array3<f32> {
    Array3::from_shape_fn((n, 2, 3), |(i, r, c)| (i + r + c) as f32 * 0.1)
}

fn labels(n: usize) -> Array1<usize> {
    Array1::from_shape_fn(n, |i| i % 4)
}

/// Runs a failing `train_on_batch` and checks the model is unchanged; returns the message.
fn step_err(x: &Array3<f32>, y: &Array1<usize>) -> (Error, String) {
    let mut m = Net::seeded(1);
    let before = weights(&m);
    let err = m.train_on_batch(x, y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1)).unwrap_err();
    assert_eq!(weights(&m), before, "the model changed after an error: {err}");
    let msg = err.to_string();
    (err, msg)
}

#[test]
fn mismatched_x_and_y_lengths() {
    let (_, msg) = step_err(&x(5), &labels(4));
    assert!(msg.contains("x has 5 samples but y has 4"), "{msg}");
    let mut m = Net::seeded(1);
    let err = m
        .fit(&x(5), &labels(6), &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), FitOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("x has 5 samples but y has 6"), "{err}");
}

#[test]
fn empty_input() {
    let (_, msg) = step_err(&x(0), &labels(0));
    assert!(msg.contains("empty input") && msg.contains("0 samples"), "{msg}");
    let m = Net::seeded(1);
    let err = m.evaluate(&x(0), &labels(0), &SparseCategoricalCrossentropy).unwrap_err();
    assert!(err.to_string().contains("evaluate: empty input"), "{err}");
}

#[test]
fn batch_size_zero() {
    let mut m = Net::seeded(1);
    let err = m
        .fit(
            &x(8),
            &labels(8),
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.1),
            FitOptions { batch_size: 0, verbose: 0, ..Default::default() },
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "fit: batch_size must be at least 1, got 0");
}

#[test]
fn label_out_of_range() {
    let mut y = labels(5);
    y[3] = 12;
    let (err, msg) = step_err(&x(5), &y);
    assert!(matches!(err, Error::Invalid(_)));
    assert!(msg.contains("label 12 at sample 3 is out of range for 4 classes"), "{msg}");
}

#[test]
fn wrong_inner_shape() {
    let mut m = Net::seeded(1);
    let bad = Array3::<f32>::zeros((5, 3, 2));
    let err = m.train_on_batch(&bad, &labels(5), &SparseCategoricalCrossentropy, &mut Sgd::new(0.1)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Shape { .. }));
    assert!(msg.contains("(None, 2, 3)") && msg.contains("(5, 3, 2)"), "{msg}");

    // One-hot targets of the wrong width.
    let y = Array2::<f32>::zeros((5, 3));
    let err = m.train_on_batch(&x(5), &y, &CategoricalCrossentropy, &mut Sgd::new(0.1)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("targets y") && msg.contains("(None, 4)") && msg.contains("(5, 3)"), "{msg}");

    // Class indices given as a matrix.
    let y = Array2::<usize>::zeros((5, 4));
    let err = m.train_on_batch(&x(5), &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1)).unwrap_err();
    assert!(err.to_string().contains("class indices"), "{err}");
}

#[test]
fn nan_in_input() {
    let mut xs = x(5);
    xs[[2, 1, 0]] = f32::NAN;
    let (err, msg) = step_err(&xs, &labels(5));
    assert!(matches!(err, Error::NonFinite(_)));
    assert!(msg.contains("NaN at sample 2 (element 3 of 6)"), "{msg}");
}

#[test]
fn bad_validation_split_and_validation_data() {
    let mut m = Net::seeded(1);
    let err = m
        .fit(
            &x(8),
            &labels(8),
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.1),
            FitOptions { validation_split: 1.5, verbose: 0, ..Default::default() },
        )
        .unwrap_err();
    assert!(err.to_string().contains("validation_split must be in [0, 1), got 1.5"), "{err}");
    let (xv, yv) = (x(3), labels(2));
    let err = m
        .fit(
            &x(8),
            &labels(8),
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.1),
            FitOptions { verbose: 0, ..Default::default() }.with_validation(&xv, &yv),
        )
        .unwrap_err();
    assert!(err.to_string().contains("fit validation_data: x has 3 samples but y has 2"), "{err}");
}
