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

// ---------------------------------------------------------------------------
// Every bad run-time input in every call that takes it: `predict`,
// `evaluate`, `fit` and `train_on_batch`. Each asserts the error's variant
// and its whole message, and that the model is unchanged.
// ---------------------------------------------------------------------------

nn::sequential! {
    struct Reg {
        Input[3],
        Dense(2),
    }
}

/// `evaluate`, `train_on_batch` and `fit` on one `Net` with the same bad
/// input: the errors, with the call's name; asserts the model is unchanged.
fn all_calls(x: &Array3<f32>, y: &Array1<usize>) -> Vec<(&'static str, Error)> {
    let mut out = Vec::new();
    let mut m = Net::seeded(1);
    let before = weights(&m);
    let loss = SparseCategoricalCrossentropy;
    if let Err(e) = m.evaluate(x, y, &loss) {
        out.push(("evaluate", e));
    }
    if let Err(e) = m.train_on_batch(x, y, &loss, &mut Sgd::new(0.1)) {
        out.push(("train_on_batch", e));
    }
    let quiet = FitOptions { epochs: 2, batch_size: 2, verbose: 0, ..Default::default() };
    if let Err(e) = m.fit(x, y, &loss, &mut Sgd::new(0.1), quiet) {
        out.push(("fit", e));
    }
    assert_eq!(weights(&m), before, "a failed call changed the model");
    out
}

#[test]
fn empty_input_in_every_call() {
    let m = Net::seeded(1);
    let err = m.predict(&x(0)).unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert_eq!(err.to_string(), "predict: empty input, x has 0 samples (shape [0, 2, 3])");
    let errs = all_calls(&x(0), &labels(0));
    assert_eq!(errs.len(), 3);
    for (call, err) in errs {
        assert!(matches!(err, Error::Invalid(_)), "{call}: {err:?}");
        assert_eq!(err.to_string(), format!("{call}: empty input, x has 0 samples (shape [0, 2, 3])"));
    }
}

#[test]
fn mismatched_lengths_in_every_call() {
    for (nx, ny) in [(5, 4), (3, 7), (1, 0)] {
        let errs = all_calls(&x(nx), &labels(ny));
        assert_eq!(errs.len(), 3);
        for (call, err) in errs {
            assert!(matches!(err, Error::Invalid(_)), "{call}: {err:?}");
            assert_eq!(err.to_string(), format!("{call}: x has {nx} samples but y has {ny} (they must match)"));
        }
    }
}

#[test]
fn batch_size_zero_is_invalid() {
    let mut m = Net::seeded(1);
    let before = weights(&m);
    let err = m
        .fit(
            &x(8),
            &labels(8),
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.1),
            FitOptions { batch_size: 0, verbose: 0, ..Default::default() },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert_eq!(err.to_string(), "fit: batch_size must be at least 1, got 0");
    assert_eq!(weights(&m), before);
}

#[test]
fn label_out_of_range_in_every_call() {
    let mut y = labels(6);
    y[4] = 4; // one past the last class
    let errs = all_calls(&x(6), &y);
    assert_eq!(errs.len(), 3);
    for (call, err) in errs {
        assert!(matches!(err, Error::Invalid(_)), "{call}: {err:?}");
        assert_eq!(
            err.to_string(),
            "label 4 at sample 4 is out of range for 4 classes (labels must be in 0..4)",
            "{call}"
        );
    }
    // In validation data too, before any training.
    let mut m = Net::seeded(1);
    let before = weights(&m);
    let (xv, mut yv) = (x(3), labels(3));
    yv[1] = usize::MAX;
    let err = m
        .fit(
            &x(6),
            &labels(6),
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.1),
            FitOptions { verbose: 0, ..Default::default() }.with_validation(&xv, &yv),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("label {} at sample 1 is out of range for 4 classes (labels must be in 0..4)", usize::MAX)
    );
    assert_eq!(weights(&m), before);
}

#[test]
fn wrong_inner_shape_in_every_call() {
    let m = Net::seeded(1);
    for shape in [(5, 3, 2), (5, 2, 4), (5, 1, 1)] {
        let bad = Array3::<f32>::zeros(shape);
        let found = format!("({}, {}, {})", shape.0, shape.1, shape.2);
        let err = m.predict(&bad).unwrap_err();
        assert!(matches!(err, Error::Shape { what: "predict input", .. }), "{err:?}");
        assert_eq!(err.to_string(), format!("predict input: expected shape (None, 2, 3), found {found}"));
        let errs = all_calls(&bad, &labels(5));
        assert_eq!(errs.len(), 3);
        for (call, err) in errs {
            assert!(matches!(err, Error::Shape { what: "input x", .. }), "{call}: {err:?}");
            assert_eq!(err.to_string(), format!("input x: expected shape (None, 2, 3), found {found}"), "{call}");
        }
    }
    // Float targets of the wrong width, in evaluate and fit too.
    let mut m = Net::seeded(1);
    let y = Array2::<f32>::zeros((5, 3));
    let want = "targets y: expected shape (None, 4) for categorical_crossentropy on a model with output (None, 4), \
                found (5, 3)";
    let err = m.evaluate(&x(5), &y, &CategoricalCrossentropy).unwrap_err();
    assert!(matches!(err, Error::Shape { what: "targets y", .. }), "{err:?}");
    assert_eq!(err.to_string(), want);
    let err = m
        .fit(&x(5), &y, &CategoricalCrossentropy, &mut Sgd::new(0.1), FitOptions { verbose: 0, ..Default::default() })
        .unwrap_err();
    assert_eq!(err.to_string(), want);
}

#[test]
fn non_finite_input_names_the_first_offending_sample() {
    for (value, text) in [(f32::NAN, "NaN"), (f32::INFINITY, "inf"), (f32::NEG_INFINITY, "-inf")] {
        let mut xs = x(7);
        xs[[4, 0, 2]] = value;
        xs[[6, 1, 1]] = f32::NAN; // a later one is not the one named
        let errs = all_calls(&xs, &labels(7));
        assert_eq!(errs.len(), 3);
        for (call, err) in errs {
            assert!(matches!(err, Error::NonFinite(_)), "{call}: {err:?}");
            assert_eq!(err.to_string(), format!("input value {text} at sample 4 (element 2 of 6) is not finite"));
        }
    }
    // Non-finite validation inputs are refused before the first epoch.
    let mut m = Net::seeded(1);
    let before = weights(&m);
    let mut xv = x(3);
    xv[[2, 1, 2]] = f32::INFINITY;
    let yv = labels(3);
    let err = m
        .fit(
            &x(6),
            &labels(6),
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.1),
            FitOptions { verbose: 0, ..Default::default() }.with_validation(&xv, &yv),
        )
        .unwrap_err();
    assert!(matches!(err, Error::NonFinite(_)), "{err:?}");
    assert_eq!(err.to_string(), "input value inf at sample 2 (element 5 of 6) is not finite");
    assert_eq!(weights(&m), before);
}

#[test]
fn non_finite_float_targets_in_every_call() {
    use nn::loss::MeanSquaredError;
    let xs = Array2::from_shape_fn((5, 3), |(i, j)| (i * 3 + j) as f32 * 0.1);
    for (value, text) in [(f32::NAN, "NaN"), (f32::INFINITY, "inf")] {
        let mut y = Array2::<f32>::zeros((5, 2));
        y[[3, 1]] = value;
        let want = format!("target {text} at sample 3 (element 1 of its row) is not finite");
        let mut m = Reg::seeded(1);
        let before = weights(&m);
        let err = m.evaluate(&xs, &y, &MeanSquaredError).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
        assert_eq!(err.to_string(), want);
        let err = m.train_on_batch(&xs, &y, &MeanSquaredError, &mut Sgd::new(0.1)).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
        assert_eq!(err.to_string(), want);
        let err = m
            .fit(&xs, &y, &MeanSquaredError, &mut Sgd::new(0.1), FitOptions { verbose: 0, ..Default::default() })
            .unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
        assert_eq!(err.to_string(), want);
        assert_eq!(weights(&m), before);
    }
}

#[test]
fn diverging_fit_stops_at_a_named_epoch_and_batch_with_finite_weights() {
    use nn::loss::MeanSquaredError;
    use nn::train::TerminateOnNaN;
    let xs = Array2::from_shape_fn((64, 3), |(i, j)| (i * 3 + j) as f32 * 10.0);
    let y = Array2::from_shape_fn((64, 2), |(i, _)| i as f32 * 100.0);
    let opts = |callbacks: Vec<Box<dyn nn::train::Callback>>| FitOptions {
        epochs: 50,
        batch_size: 8,
        verbose: 0,
        callbacks,
        ..Default::default()
    };

    // Without a callback: an error naming the epoch (from 1) and batch (from 1).
    let mut plain = Reg::seeded(1);
    let err = plain.fit(&xs, &y, &MeanSquaredError, &mut Sgd::new(1.0), opts(vec![])).unwrap_err();
    assert!(matches!(err, Error::NonFinite(_)), "{err:?}");
    let msg = err.to_string();
    let (epoch, batch) = {
        let rest = msg.strip_prefix("fit: epoch ").unwrap_or_else(|| panic!("{msg}"));
        let (e, rest) = rest.split_once(", batch ").unwrap();
        let (b, _) = rest.split_once(": ").unwrap();
        (e.parse::<usize>().unwrap(), b.parse::<usize>().unwrap())
    };
    assert!(msg.contains("is not finite") || msg.contains("the loss is"), "{msg}");
    assert!(weights(&plain).iter().flatten().all(|v| v.is_finite()), "no Inf or NaN left in the weights");

    // With TerminateOnNaN: a clean stop at the same epoch and batch (counted
    // from 0 in the History), with the same, finite, last good weights.
    let mut guarded = Reg::seeded(1);
    let h = guarded.fit(&xs, &y, &MeanSquaredError, &mut Sgd::new(1.0), opts(vec![Box::new(TerminateOnNaN)])).unwrap();
    let stop = h.stopped.expect("training stopped");
    assert_eq!((stop.epoch + 1, stop.batch.map(|b| b + 1)), (epoch, Some(batch)), "{stop:?} vs {msg}");
    assert_eq!(h.epoch.len(), epoch, "the finished epochs and the interrupted one in the History");
    assert!(weights(&guarded).iter().flatten().all(|v| v.is_finite()));
    assert_eq!(weights(&guarded), weights(&plain), "both keep the weights of the last finite step");
}

#[test]
fn a_step_that_overflows_the_weights_is_undone_without_any_callback() {
    use nn::loss::MeanSquaredError;
    let xs = Array2::from_shape_fn((16, 3), |(i, j)| (i * 3 + j) as f32);
    let y = Array2::from_shape_fn((16, 2), |(i, _)| i as f32 * 100.0);
    let mut m = Reg::seeded(1);
    let before = weights(&m);
    // Finite gradients times a huge learning rate: the first step writes Inf
    // into the weights, the second step's loss is not finite.
    let opts = FitOptions { epochs: 3, batch_size: 8, verbose: 0, ..Default::default() };
    let err = m.fit(&xs, &y, &MeanSquaredError, &mut Sgd::new(1e37), opts).unwrap_err();
    assert!(matches!(err, Error::NonFinite(_)), "{err:?}");
    assert!(err.to_string().starts_with("fit: epoch 1, batch 2: "), "{err}");
    assert_eq!(weights(&m), before, "the weights of the start of the epoch are back");
}
