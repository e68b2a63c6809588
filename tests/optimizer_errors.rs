//! Optimizer mistakes are errors that point the right way, with the model
//! and the optimizer unchanged: an invalid learning rate (not blamed on the
//! gradient), one optimizer reused on a second model, and a non-finite
//! gradient named by its tensor.

use nn::loss::{MeanSquaredError, SparseCategoricalCrossentropy};
use nn::ndarray::{Array1, Array2};
use nn::optim::{Adam, Optimizer, Sgd};
use nn::{Error, FitOptions, Model};

nn::sequential! {
    struct Big { Input[4], Dense(8, relu), Dense(3, softmax) }
}

nn::sequential! {
    struct Small { Input[2], Dense(4, relu), Dense(3, softmax) }
}

nn::sequential! {
    struct Reg { Input[2], Dense(1) }
}

fn weights<M: Model>(m: &M) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    m.visit_weights(&mut |_, _, p| out.push(p.iter().map(|v| v.to_bits()).collect()));
    out
}

fn xs(n: usize, d: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, d), |(i, j)| (i * d + j) as f32 * 0.1 - 0.5)
}

fn labels(n: usize) -> Array1<usize> {
    Array1::from_shape_fn(n, |i| i % 3)
}

#[test]
fn a_non_finite_learning_rate_is_an_error_naming_it_and_changes_nothing() {
    for lr in [f64::NAN, f64::INFINITY, -0.1] {
        let mut m = Big::seeded(1);
        let before = weights(&m);
        let mut opt = Sgd::new(lr);
        let err = m.train_on_batch(&xs(6, 4), &labels(6), &SparseCategoricalCrossentropy, &mut opt).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("Sgd: learning_rate must be a finite number >= 0, got "), "{msg}");
        assert!(!msg.contains("gradient"), "a bad learning rate is not the gradient's fault: {msg}");
        assert_eq!(weights(&m), before, "no weight changed (none became NaN)");
        assert_eq!(opt.iterations(), 0, "the optimizer did not step");

        let err = m
            .fit(
                &xs(6, 4),
                &labels(6),
                &SparseCategoricalCrossentropy,
                &mut opt,
                FitOptions { verbose: 0, ..Default::default() },
            )
            .unwrap_err();
        assert!(err.to_string().contains("learning_rate must be"), "{err}");
        assert_eq!(weights(&m), before);
    }
}

#[test]
fn a_learning_rate_set_to_nan_by_a_callback_stops_fit_before_the_step() {
    struct Poison;
    impl nn::train::Callback for Poison {
        fn on_epoch_begin(&mut self, epoch: usize, ctx: &mut nn::train::Context<'_>) -> nn::Result<()> {
            if epoch == 1 {
                ctx.set_learning_rate(f32::NAN);
            }
            Ok(())
        }
    }
    let mut m = Big::seeded(1);
    let options = FitOptions { epochs: 3, verbose: 0, callbacks: vec![Box::new(Poison)], ..Default::default() };
    let err = m.fit(&xs(6, 4), &labels(6), &SparseCategoricalCrossentropy, &mut Sgd::new(0.1), options).unwrap_err();
    assert!(err.to_string().contains("Sgd: learning_rate must be a finite number >= 0, got NaN"), "{err}");
    assert!(weights(&m).iter().flatten().all(|&b| f32::from_bits(b).is_finite()));
}

#[test]
fn one_optimizer_on_a_second_model_is_an_error_not_a_panic() {
    let loss = SparseCategoricalCrossentropy;
    for with_state in [true, false] {
        let mut a = Big::seeded(1);
        let mut b = Small::seeded(2);
        let mut opt = if with_state { Sgd::new(0.1).momentum(0.9) } else { Sgd::new(0.1) };
        a.train_on_batch(&xs(6, 4), &labels(6), &loss, &mut opt).unwrap();
        let (a_after, b_before, state) = (weights(&a), weights(&b), opt.state());
        let err = b.train_on_batch(&xs(6, 2), &labels(6), &loss, &mut opt).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
        assert!(msg.contains("belongs to another model"), "{msg}");
        assert!(msg.contains("dense.kernel [4, 8]") && msg.contains("dense.kernel [2, 4]"), "{msg}");
        assert_eq!((weights(&a), weights(&b), opt.state()), (a_after, b_before, state), "nothing changed");
        // fit refuses it too, before any callback or step.
        let err =
            b.fit(&xs(6, 2), &labels(6), &loss, &mut opt, FitOptions { verbose: 0, ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("belongs to another model"), "{err}");
        // The first model still trains with it, and so does another model of its kind.
        a.train_on_batch(&xs(6, 4), &labels(6), &loss, &mut opt).unwrap();
        Big::seeded(3).train_on_batch(&xs(6, 4), &labels(6), &loss, &mut opt).unwrap();
    }
}

#[test]
fn a_state_loaded_for_another_model_is_an_error_at_the_first_step() {
    let loss = SparseCategoricalCrossentropy;
    let mut a = Big::seeded(1);
    let mut trained = Adam::new(0.01);
    a.train_on_batch(&xs(6, 4), &labels(6), &loss, &mut trained).unwrap();
    let mut opt = Adam::new(0.01);
    opt.load_state(&trained.state()).unwrap();
    let mut b = Small::seeded(2);
    let before = weights(&b);
    let err = b.train_on_batch(&xs(6, 2), &labels(6), &loss, &mut opt).unwrap_err();
    assert!(err.to_string().contains("`dense.kernel`") && err.to_string().contains("32 values"), "{err}");
    assert_eq!(weights(&b), before);
}

#[test]
fn a_non_finite_gradient_names_its_tensor() {
    // The kernel's first weight is 0, so the huge first input does not reach
    // the output (the loss is finite), but its gradient 2 e x overflows.
    let mut m = Reg::seeded(1);
    m.visit_weights_mut(&mut |_, w, p| {
        if w == "kernel" {
            p.as_mut_slice()[0] = 0.0;
        }
    });
    let before = weights(&m);
    let x = Array2::from_shape_vec((1, 2), vec![3e38f32, 1.0]).unwrap();
    let y = Array2::from_elem((1, 1), 10.0f32);
    let err = m.train_on_batch(&x, &y, &MeanSquaredError, &mut Sgd::new(0.01)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::NonFinite(_)), "{err:?}");
    assert!(msg.contains("the gradient of `dense.kernel` (shape [2, 1]) is not finite"), "{msg}");
    assert!(!msg.contains('#'), "{msg}");
    assert_eq!(weights(&m), before);
}
