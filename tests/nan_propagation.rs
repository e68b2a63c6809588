//! NaN propagates as Keras propagates it and never turns into a plausible
//! number: through every activation (scalar and vectorized paths alike),
//! softmax, the losses and the accuracy.

use nn::activations::{
    ActivationFn, Elu, Gelu, LeakyRelu, Linear, Relu, Selu, Sigmoid, Softmax, Softplus, Swish, Tanh,
};
use nn::loss::{BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError, SparseCategoricalCrossentropy};
use nn::ndarray::{Array1, Array2};
use nn::Model;

nn::sequential! {
    /// The reported case: NaN through relu came out as [0.333, 0.333, 0.333].
    struct ReluSoftmax { Input[4], Dense(8, relu), Dense(3, softmax) }
}

macro_rules! one_activation_models {
    ($($name:ident: [$($layer:tt)*])*) => {
        $(nn::sequential! { struct $name { Input[4], Dense(4), $($layer)* } })*

        /// Each model's prediction for a batch whose sample 1 holds a NaN.
        fn predictions() -> Vec<(&'static str, Array2<f32>)> {
            vec![$((stringify!($name), $name::seeded(3).predict(&nan_batch()).unwrap())),*]
        }
    };
}

one_activation_models! {
    ARelu: [Activation(relu)]
    AElu: [Activation(elu)]
    ASelu: [Activation(selu)]
    ALeaky: [Activation(leaky_relu)]
    ATanh: [Activation(tanh)]
    ASigmoid: [Activation(sigmoid)]
    ASoftmax: [Activation(softmax)]
    ASoftplus: [Activation(softplus)]
    ASwish: [Activation(swish)]
    AGelu: [Activation(gelu)]
    LLeakyReLU: [LeakyReLU]
    LPReLU: [PReLU]
    LElu: [ELU(alpha = 0.5)]
    LRReLU: [RReLU]
    LBatchNorm: [BatchNorm]
    LDropout: [Dropout(0.5)]
}

/// Three samples; the middle one has a NaN.
fn nan_batch() -> Array2<f32> {
    let mut x = Array2::from_shape_fn((3, 4), |(i, j)| (i as f32 - 1.0) * 0.5 + j as f32 * 0.25);
    x[[1, 2]] = f32::NAN;
    x
}

#[test]
fn nan_through_relu_then_softmax_is_nan_not_a_uniform_distribution() {
    let m = ReluSoftmax::seeded(1);
    let y = m.predict(&nan_batch()).unwrap();
    assert!(y.row(1).iter().all(|v| v.is_nan()), "{:?}", y.row(1));
    assert!(y.row(0).iter().chain(y.row(2)).all(|v| v.is_finite()), "{y:?}");
    let one = m.predict_one(&[0.0, f32::NAN, 1.0, 2.0]);
    assert!(one.iter().all(|v| v.is_nan()), "{one:?}");
}

#[test]
fn nan_through_every_activation_and_layer_stays_nan() {
    for (name, y) in predictions() {
        assert!(y.row(1).iter().all(|v| v.is_nan()), "{name}: {:?}", y.row(1));
        assert!(y.row(0).iter().chain(y.row(2)).all(|v| v.is_finite()), "{name}: {y:?}");
    }
}

/// Values that stress every branch: NaN, infinities, zeros of both signs,
/// tiny and huge magnitudes, ordinary values.
fn stress_values(n: usize) -> Vec<f32> {
    let special = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1e-40, -1e-40, 90.0, -90.0, -1e30, 1e30];
    (0..n).map(|i| if i % 7 == 3 { special[(i / 7) % special.len()] } else { (i as f32 * 0.37).sin() * 4.0 }).collect()
}

fn same(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits() || (a == 0.0 && b == 0.0)
}

/// The vectorized `apply` (run for this CPU's best instruction set) agrees
/// with the scalar function on every value, NaN included.
fn check_paths<A: ActivationFn>() {
    let x = stress_values(1003);
    let mut v = x.clone();
    A::apply(&mut v, 1);
    let mut y = vec![0.0; x.len()];
    A::apply_to(&x, &mut y, 1);
    for (i, &xi) in x.iter().enumerate() {
        let scalar = A::f(std::hint::black_box(xi));
        assert!(
            same(v[i], scalar) && same(y[i], scalar),
            "{}({xi}): vector {} / {}, scalar {scalar}",
            A::NAME,
            v[i],
            y[i]
        );
        if xi.is_nan() {
            assert!(scalar.is_nan(), "{}(NaN) = {scalar}", A::NAME);
        }
    }
}

#[test]
fn vector_and_scalar_paths_agree_and_keep_nan() {
    check_paths::<Linear>();
    check_paths::<Relu>();
    check_paths::<Elu>();
    check_paths::<Selu>();
    check_paths::<LeakyRelu>();
    check_paths::<Tanh>();
    check_paths::<Sigmoid>();
    check_paths::<Softplus>();
    check_paths::<Swish>();
    check_paths::<Gelu>();
    // Keras's values at the infinities.
    assert_eq!((Relu::f(f32::INFINITY), Relu::f(f32::NEG_INFINITY)), (f32::INFINITY, 0.0));
    assert_eq!(Elu::f(f32::NEG_INFINITY), -1.0);
    assert_eq!(Sigmoid::f(f32::NEG_INFINITY), 0.0);
}

#[test]
fn softmax_of_a_row_with_nan_or_inf_is_all_nan() {
    let mut v = stress_values(10 * 37);
    // NaN or +inf poison the row (`inf - inf`); -inf is a probability of 0.
    let rows: Vec<bool> = v.chunks(10).map(|r| r.iter().any(|x| x.is_nan() || *x == f32::INFINITY)).collect();
    Softmax::apply(&mut v, 10);
    for (row, bad) in v.chunks(10).zip(rows) {
        if bad {
            assert!(row.iter().all(|p| p.is_nan()), "{row:?}");
        } else {
            let sum: f32 = row.iter().sum();
            assert!((sum - 1.0).abs() < 1e-5, "{row:?}");
        }
    }
}

/// Makes every weight of the last layer NaN, so that the outputs are NaN.
fn poison<M: Model>(m: &mut M, layer: &str) {
    m.visit_weights_mut(&mut |l, _, p| {
        if l == layer {
            p.as_mut_slice().fill(f32::NAN);
        }
    });
}

nn::sequential! {
    struct Binary { Input[4], Dense(1, sigmoid) }
}

nn::sequential! {
    struct Reg { Input[4], Dense(2) }
}

#[test]
fn evaluate_of_nan_outputs_is_nan_loss_and_nan_accuracy() {
    let x = Array2::from_shape_fn((10, 4), |(i, j)| (i * 4 + j) as f32 * 0.1);
    let labels = Array1::from_shape_fn(10, |i| i % 5 % 3);

    let mut m = ReluSoftmax::seeded(1);
    poison(&mut m, "dense_1");
    let e = m.evaluate(&x, &labels, &SparseCategoricalCrossentropy).unwrap();
    assert!(e.loss.is_nan(), "sparse categorical: loss {} (87.34 is -ln(MIN_POSITIVE))", e.loss);
    assert!(e.accuracy.is_nan(), "accuracy {}", e.accuracy);

    let onehot = Array2::from_shape_fn((10, 3), |(i, j)| f32::from(u8::from(labels[i] == j)));
    let e = m.evaluate(&x, &onehot, &CategoricalCrossentropy).unwrap();
    assert!(e.loss.is_nan() && e.accuracy.is_nan(), "categorical: {e:?}");

    let mut b = Binary::seeded(1);
    poison(&mut b, "dense");
    let yb = Array2::from_shape_fn((10, 1), |(i, _)| (i % 2) as f32);
    let e = b.evaluate(&x, &yb, &BinaryCrossentropy).unwrap();
    assert!(e.loss.is_nan() && e.accuracy.is_nan(), "binary: {e:?}");

    let mut r = Reg::seeded(1);
    poison(&mut r, "dense");
    let e = r.evaluate(&x, &Array2::<f32>::zeros((10, 2)), &MeanSquaredError).unwrap();
    assert!(e.loss.is_nan(), "mse: {e:?}");
}

#[test]
fn a_nan_output_fails_the_training_step_instead_of_a_finite_loss() {
    let x = Array2::from_shape_fn((10, 4), |(i, j)| (i * 4 + j) as f32 * 0.1);
    let labels = Array1::from_shape_fn(10, |i| i % 3);
    let mut m = ReluSoftmax::seeded(1);
    poison(&mut m, "dense_1");
    let err = m.train_on_batch(&x, &labels, &SparseCategoricalCrossentropy, &mut nn::optim::Sgd::new(0.1)).unwrap_err();
    assert!(matches!(err, nn::Error::NonFinite(_)), "{err:?}");
    assert!(err.to_string().contains("the loss is NaN"), "{err}");
}
