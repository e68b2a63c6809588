//! A regression loss logs only the loss, as Keras does without an accuracy
//! metric: no `accuracy` in the progress line, the History (CSV, JSON) or
//! `evaluate`; and a binary cross-entropy takes `(N,)` targets for an
//! `(N, 1)` output, as Keras does.

use std::process::Command;

use nn::loss::{BinaryCrossentropy, Huber, Loss, MeanAbsoluteError, MeanSquaredError};
use nn::ndarray::{Array1, Array2};
use nn::optim::Sgd;
use nn::FitOptions;

nn::sequential! {
    struct Reg { Input[3], Dense(2) }
}

nn::sequential! {
    struct Binary { Input[3], Dense(1, sigmoid) }
}

fn xs(n: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, 3), |(i, j)| (i * 3 + j) as f32 * 0.05 - 0.4)
}

fn fit_regression<L: Loss<Elem = f32>>(loss: &L, verbose: u8) -> nn::History {
    let y = Array2::from_shape_fn((16, 2), |(i, j)| (i + j) as f32 * 0.1);
    let (mut m, x) = (Reg::seeded(1), xs(16));
    let options = FitOptions { epochs: 2, batch_size: 8, verbose, ..Default::default() }.with_validation(&x, &y);
    m.fit(&x, &y, loss, &mut Sgd::new(0.01), options).unwrap()
}

#[test]
fn regression_losses_log_no_accuracy() {
    fn check<L: Loss<Elem = f32>>(loss: &L) {
        let h = fit_regression(loss, 0);
        assert_eq!((h.loss.len(), h.val_loss.len()), (2, 2), "{}", L::NAME);
        assert!(h.accuracy.is_empty() && h.val_accuracy.is_empty(), "{}: {h:?}", L::NAME);
        assert_eq!(h.csv().lines().next(), Some("epoch,learning_rate,loss,val_loss"), "{}", L::NAME);
        assert!(!h.json().contains("accuracy"), "{}: {}", L::NAME, h.json());
        let y = Array2::from_shape_fn((16, 2), |(i, j)| (i + j) as f32 * 0.1);
        let e = Reg::seeded(1).evaluate(&xs(16), &y, loss).unwrap();
        assert!(e.loss.is_finite(), "{}: {e:?}", L::NAME);
        assert!(e.accuracy.is_nan(), "{}: evaluate reports no accuracy, got {}", L::NAME, e.accuracy);
    }
    check(&MeanSquaredError);
    check(&MeanAbsoluteError);
    check(&Huber);
}

const CHILD_ENV: &str = "NN_REGRESSION_PROGRESS_CHILD";

/// Run by the child process only: a verbose regression fit.
#[test]
fn child_fit() {
    if std::env::var(CHILD_ENV).is_ok() {
        fit_regression(&MeanSquaredError, 2);
    }
}

#[test]
fn the_progress_line_of_a_regression_has_no_accuracy() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_fit", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(" - loss: ")).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for l in lines {
        assert!(l.contains("val_loss: ") && !l.contains("accuracy"), "{l}");
    }
}

#[test]
fn binary_crossentropy_takes_flat_targets_for_one_output() {
    let flat = Array1::from_shape_fn(10, |i| (i % 2) as f32);
    let column = flat.clone().into_shape_with_order((10, 1)).unwrap();
    let x = xs(10);
    let m = Binary::seeded(1);
    let (a, b) =
        (m.evaluate(&x, &flat, &BinaryCrossentropy).unwrap(), m.evaluate(&x, &column, &BinaryCrossentropy).unwrap());
    assert_eq!(a, b);
    let (mut m1, mut m2) = (Binary::seeded(1), Binary::seeded(1));
    let l1 = m1.train_on_batch(&x, &flat, &BinaryCrossentropy, &mut Sgd::new(0.1)).unwrap();
    let l2 = m2.train_on_batch(&x, &column, &BinaryCrossentropy, &mut Sgd::new(0.1)).unwrap();
    assert_eq!(l1, l2);
    let h = m1
        .fit(
            &x,
            &flat,
            &BinaryCrossentropy,
            &mut Sgd::new(0.1),
            FitOptions { epochs: 2, verbose: 0, ..Default::default() },
        )
        .unwrap();
    assert_eq!(h.accuracy.len(), 2, "a classification loss keeps its accuracy");
    // A flat target of the wrong length is still refused.
    let err = m.evaluate(&x, &Array1::<f32>::zeros(9), &BinaryCrossentropy).unwrap_err();
    assert!(err.to_string().contains("x has 10 samples but y has 9"), "{err}");
}
