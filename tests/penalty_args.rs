//! Regularizers and constraints written as layer arguments
//! (`kernel_regularizer = l2(0.01)`, `kernel_constraint = max_norm(0.5)`)
//! against the Keras 3.15 references of `tests/reference/ch11/` (the same
//! cases `tests/ch11_training.rs` sets by hand).

use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{Array1, Array2};
use nn::optim::Sgd;
use nn::Model;
use serde_json::Value;

const KERAS: &str = include_str!("reference/ch11/keras_ch11.json");

nn::sequential! {
    /// Keras's `l2` case.
    struct L2 {
        Input[5],
        Dense(4, relu, kernel_regularizer = l2(0.01)),
        Dense(3, softmax, kernel_regularizer = l2(0.05)),
    }

    /// Keras's `l1` case.
    struct L1 {
        Input[5],
        Dense(4, relu, kernel_regularizer = l1(0.01), bias_regularizer = l1(l1 = 0.02)),
        Dense(3, softmax),
    }

    /// Keras's `l1_l2` case.
    struct L1L2 {
        Input[5],
        Dense(4, relu, kernel_regularizer = l1_l2(l1 = 0.01, l2 = 0.02)),
        Dense(3, softmax, kernel_regularizer = l1(0.03), bias_regularizer = l2(0.1)),
    }

    /// Keras's constraints case.
    struct Constrained {
        Input[5],
        Dense(4, relu, kernel_constraint = max_norm(0.5), bias_constraint = non_neg),
        Dense(3, softmax, kernel_constraint = min_max_norm(min_value = 0.2, max_value = 0.6, rate = 0.5),
              bias_constraint = unit_norm),
    }
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

/// `M` with the reference's initial weights, and the reference's batch.
fn setup<M: Model>(k: &Value, make: fn(u64) -> M) -> (M, Array2<f32>, Array1<usize>) {
    let mut m = make(0);
    let w: Vec<Vec<f32>> = k["weights"].as_array().unwrap().iter().map(f32s).collect();
    let mut it = w.iter();
    m.visit_weights_mut(&mut |_, _, p| p.as_mut_slice().copy_from_slice(it.next().unwrap()));
    let x = Array2::from_shape_vec((8, 5), f32s(&k["x"])).unwrap();
    let y = k["y"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    (m, x, y)
}

fn close(what: &str, got: f32, want: f32, tol: f32) {
    assert!((got - want).abs() <= tol * want.abs().max(1.0), "{what}: got {got}, Keras {want}");
}

fn check_after<M: Model>(what: &str, m: &M, want: &Value, tol: f32) {
    let mut t = 0;
    m.visit_weights(&mut |l, w, p| {
        for (i, (a, b)) in p.iter().zip(f32s(&want[t])).enumerate() {
            close(&format!("{what}: {l}.{w}[{i}]"), *a, b, tol);
        }
        t += 1;
    });
}

macro_rules! regularized {
    ($($test:ident: $model:ident $case:literal;)*) => {$(
        #[test]
        fn $test() {
            let k: Value = serde_json::from_str(KERAS).unwrap();
            let want = &k["regularizers"][$case];
            let (mut m, x, y) = setup(&k, $model::seeded);
            close("penalty", nn::model::regularization_loss(&m), want["penalty"].as_f64().unwrap() as f32, 1e-6);
            let ev = m.evaluate(&x, &y, &SparseCategoricalCrossentropy).unwrap();
            close("evaluate loss", ev.loss, want["evaluate_loss"].as_f64().unwrap() as f32, 1e-6);
            let l = m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1)).unwrap();
            close("train_on_batch loss", l, want["step_loss"].as_f64().unwrap() as f32, 1e-6);
            check_after($case, &m, &want["after"], 1e-6);
        }
    )*};
}

regularized! {
    l2_arguments_match_keras: L2 "l2";
    l1_arguments_match_keras: L1 "l1";
    l1_l2_arguments_match_keras: L1L2 "l1_l2";
}

#[test]
fn constraint_arguments_match_keras() {
    let k: Value = serde_json::from_str(KERAS).unwrap();
    let want = &k["constraints"];
    let (mut m, x, y) = setup(&k, Constrained::seeded);
    let l = m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(5.0)).unwrap();
    close("loss", l, want["step_loss"].as_f64().unwrap() as f32, 1e-6);
    check_after("constraints", &m, &want["after"], 2e-6);
}

#[test]
fn the_arguments_are_on_the_weights() {
    let m = L2::seeded(0);
    let mut seen = Vec::new();
    m.visit_weights(&mut |l, w, p| seen.push((format!("{l}.{w}"), p.regularizer.map(|r| r.l2))));
    assert_eq!(seen[0], ("dense.kernel".to_string(), Some(0.01)));
    assert_eq!(seen[2], ("dense_1.kernel".to_string(), Some(0.05)));
    assert_eq!(seen[1].1, None);
}
