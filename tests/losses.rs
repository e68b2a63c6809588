//! Losses and accuracies against the values in Keras 3's documentation
//! (the docstring examples of `keras.losses.*` and `keras.metrics.*`), and
//! the errors their targets can raise.

use nn::loss::{
    Accuracy, BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};

/// Keras prints 3 or 4 decimals; these match to that precision.
fn close(a: f32, b: f32) {
    assert!((a - b).abs() < 1e-3, "{a} vs {b}");
}

#[test]
fn sparse_categorical_crossentropy_doc_example() {
    // y_true = [1, 2], y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]] -> 1.177
    let p = [0.05, 0.95, 0.0, 0.1, 0.8, 0.1];
    close(SparseCategoricalCrossentropy.compute(&p, &[1, 2], 3, false, None), 1.177);
}

#[test]
fn categorical_crossentropy_doc_example() {
    // y_true = [[0, 1, 0], [0, 0, 1]], same y_pred -> 1.177
    let p = [0.05, 0.95, 0.0, 0.1, 0.8, 0.1];
    let t = [0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    close(CategoricalCrossentropy.compute(&p, &t, 3, false, None), 1.177);
}

#[test]
fn binary_crossentropy_doc_example() {
    // y_true = [[0, 1], [0, 0]], y_pred = [[0.6, 0.4], [0.4, 0.6]] -> 0.815
    close(BinaryCrossentropy.compute(&[0.6, 0.4, 0.4, 0.6], &[0.0, 1.0, 0.0, 0.0], 2, false, None), 0.815);
}

#[test]
fn regression_doc_examples() {
    // y_true = [[0., 1.], [0., 0.]], y_pred = [[1., 1.], [1., 0.]] -> MSE 0.5, MAE 0.5
    let (p, t) = ([1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]);
    close(MeanSquaredError.compute(&p, &t, 2, false, None), 0.5);
    close(MeanAbsoluteError.compute(&p, &t, 2, false, None), 0.5);
    // y_true = [[0, 1], [0, 0]], y_pred = [[0.6, 0.4], [0.4, 0.6]] -> Huber 0.155
    close(Huber.compute(&[0.6, 0.4, 0.4, 0.6], &[0.0, 1.0, 0.0, 0.0], 2, false, None), 0.155);
}

#[test]
fn clipping_keeps_the_loss_finite() {
    // A probability of exactly 0 for the true class is clipped to 1e-7: -ln(1e-7) = 16.118.
    let v = SparseCategoricalCrossentropy.compute(&[1.0, 0.0], &[1], 2, false, None);
    assert!((v - 16.118).abs() < 1e-2, "{v}");
    let v = BinaryCrossentropy.compute(&[1.0], &[0.0], 1, false, None);
    assert!(v.is_finite() && (v - 15.942).abs() < 1e-1, "{v}");
}

#[test]
fn accuracies_doc_examples() {
    // sparse_categorical_accuracy: y_true [[2], [1]], y_pred [[0.1, 0.6, 0.3], [0.05, 0.95, 0]] -> 0.5
    let l = SparseCategoricalCrossentropy;
    assert_eq!(l.accuracy_kind(3), Accuracy::Sparse);
    assert_eq!(l.correct(&[0.1, 0.6, 0.3, 0.05, 0.95, 0.0], &[2, 1], 3), 1.0);
    // categorical_accuracy: y_true [[0, 0, 1], [0, 1, 0]], y_pred [[0.1, 0.9, 0.8], [0.05, 0.95, 0]] -> 0.5
    let c = CategoricalCrossentropy;
    assert_eq!(c.correct(&[0.1, 0.9, 0.8, 0.05, 0.95, 0.0], &[0.0, 0.0, 1.0, 0.0, 1.0, 0.0], 3), 1.0);
    // binary_accuracy: y_true [[1], [1], [0], [0]], y_pred [[0.98], [1], [0], [0.6]] -> 0.75
    let b = BinaryCrossentropy;
    assert_eq!(b.accuracy_kind(1), Accuracy::Binary);
    assert_eq!(b.correct(&[0.98, 1.0, 0.0, 0.6], &[1.0, 1.0, 0.0, 0.0], 1), 3.0);
    // Regression losses use Keras's "accuracy" resolution: binary for one output.
    assert_eq!(MeanSquaredError.accuracy_kind(1), Accuracy::Binary);
    assert_eq!(MeanSquaredError.accuracy_kind(4), Accuracy::Categorical);
}

#[test]
fn fused_and_unfused_agree_away_from_the_clip() {
    let p = [0.2, 0.5, 0.3, 0.6, 0.3, 0.1];
    let a = SparseCategoricalCrossentropy.compute(&p, &[1, 0], 3, false, None);
    let b = SparseCategoricalCrossentropy.compute(&p, &[1, 0], 3, true, None);
    assert!((a - b).abs() < 1e-6, "{a} vs {b}");
}

#[test]
fn label_out_of_range_is_named() {
    let err = SparseCategoricalCrossentropy.check_targets(&[0, 3, 9, 12], 10, 1).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("label 12 at sample 3 is out of range for 10 classes"), "{msg}");
}

#[test]
fn non_finite_target_is_named() {
    let err = MeanSquaredError.check_targets(&[0.0, 1.0, f32::NAN, 2.0], 2, 1).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("NaN") && msg.contains("sample 1"), "{msg}");
}
