//! Helpers of the Keras parity tests: the reference files of
//! `tools/keras_*reference.py` and the checks against them. Include with
//! `#[path = "common/parity.rs"] mod parity;`.
#![allow(dead_code)] // Each test file uses its own part.

use std::collections::HashMap;

use nn::ndarray::{ArrayD, IxDyn};
use nn::Model;

/// Largest error allowed on each quantity, relative to `1 + |want|`.
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    /// Inference predictions and BatchNorm's moving statistics.
    pub predict: f32,
    /// The training-mode loss.
    pub loss: f32,
    /// Gradients of the trainable weights.
    pub grad: f32,
}

/// The feed-forward layers' tolerances.
pub const FEED_FORWARD: Tol = Tol { predict: 1e-6, loss: 1e-6, grad: 2e-6 };

/// The path of a reference file, `tests/reference/keras/<name>.safetensors`.
pub fn keras_weights(name: &str) -> String {
    format!("{}/tests/reference/keras/{name}.safetensors", env!("CARGO_MANIFEST_DIR"))
}

/// Every tensor of a reference file.
pub fn read(name: &str) -> HashMap<String, ArrayD<f32>> {
    let bytes = std::fs::read(keras_weights(name)).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(k, v)| {
            let data: Vec<f32> = v.data().chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
            (k, ArrayD::from_shape_vec(IxDyn(v.shape()), data).unwrap())
        })
        .collect()
}

/// Panics unless every `got` is within `tol` of `want`, relative to `1 + |want|`.
pub fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs() / (1.0 + b.abs())).fold(0.0f32, f32::max);
    assert!(worst <= tol, "{what}: max error {worst:e} above {tol:e}");
    eprintln!("{what}: max error {worst:.1e}");
}

/// Trainable weight names in the order `visit_grads` yields them.
pub fn trainable_names<M: Model>(m: &M) -> Vec<String> {
    let mut names = Vec::new();
    m.visit_weights(&mut |l, w, p| {
        if p.trainable {
            names.push(format!("{l}.{w}"))
        }
    });
    names
}

/// [`check_within`] at the feed-forward tolerances.
pub fn check<M: Model>(
    name: &str,
    make: fn(u64) -> M,
    load: fn(&mut M, &str),
    predict: fn(&M, &ArrayD<f32>) -> ArrayD<f32>,
) {
    check_within(FEED_FORWARD, name, make, load, predict)
}

/// Keras's initial weights loaded: the predictions, the training-mode loss
/// and gradients of one batch, and BatchNorm's moving statistics after it.
pub fn check_within<M: Model>(
    tol: Tol,
    name: &str,
    make: fn(u64) -> M,
    load: fn(&mut M, &str),
    predict: fn(&M, &ArrayD<f32>) -> ArrayD<f32>,
) {
    let data = read(&format!("{name}.data"));
    let x = &data["x"];
    let labels: Vec<usize> = data["y"].iter().map(|v| *v as usize).collect();

    // Inference.
    let mut m = make(0);
    load(&mut m, &keras_weights(name));
    let p = predict(&m, x);
    close(&format!("{name} predict"), p.as_slice().unwrap(), data["predict"].as_slice().unwrap(), tol.predict);

    // Training-mode forward, fused softmax + cross-entropy gradient, backward.
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().unwrap();
    let mut ws = M::Workspace::default();
    let mut rng = nn::rng::seeded(0);
    let out = m.forward(&mut ws, xs, &mut rng).to_vec();
    let n = labels.len();
    let classes = M::OUT;
    let mut loss = 0.0f64;
    let mut dz = out.clone();
    for (i, &y) in labels.iter().enumerate() {
        loss -= (out[i * classes + y] as f64).ln();
        dz[i * classes + y] -= 1.0;
    }
    dz.iter_mut().for_each(|g| *g /= n as f32);
    close(&format!("{name} loss"), &[(loss / n as f64) as f32], data["loss"].as_slice().unwrap(), tol.loss);
    assert!(M::SOFTMAX_OUTPUT);
    m.backward(&mut ws, xs, &dz, true);
    let names = trainable_names(&m);
    let mut i = 0;
    m.visit_grads(&mut ws, &mut |_, g| {
        let want = &data[&format!("grad/{}", names[i])];
        close(&format!("{name} gradient of {}", names[i]), g, want.as_slice().unwrap(), tol.grad);
        i += 1;
    });
    assert_eq!(i, names.len());

    // After the training-mode forward, the moving statistics moved as Keras's did.
    m.visit_weights(&mut |l, w, p| {
        if w.starts_with("moving_") {
            let want = &data[&format!("after/{l}.{w}")];
            close(&format!("{name} {l}.{w} after one training forward"), p, want.as_slice().unwrap(), tol.predict);
        }
    });
}

/// One `train_on_batch` with SGD(0.1): the loss Keras reported and every
/// weight after the step (the moving statistics included).
pub fn check_step<M: Model>(name: &str, m: &mut M, train: impl FnOnce(&mut M, &mut nn::optim::Sgd) -> f32) {
    let data = read(&format!("{name}.data"));
    let mut opt = nn::optim::Sgd::new(0.1);
    let loss = train(m, &mut opt);
    close(&format!("{name} train_on_batch loss"), &[loss], data["train_loss"].as_slice().unwrap(), 1e-5);
    let mut seen = 0;
    m.visit_weights(&mut |l, w, p| {
        let want = &data[&format!("after/{l}.{w}")];
        close(&format!("{name} {l}.{w} after one SGD step"), p, want.as_slice().unwrap(), 2e-5);
        seen += 1;
    });
    assert!(seen > 0);
}

/// [`check_sgd_step_within`] at the feed-forward tolerances.
pub fn check_sgd_step<M: Model + Sync>(name: &str, make: fn(u64) -> M, weights: usize) {
    check_sgd_step_within(FEED_FORWARD, name, make, weights)
}

/// [`check_within`], then [`check_step`] (SGD(0.1) as Keras's
/// `train_on_batch`) with the count of the model's weights.
pub fn check_sgd_step_within<M: Model + Sync>(tol: Tol, name: &str, make: fn(u64) -> M, weights: usize) {
    let load = |m: &mut M, p: &str| nn::model::load_weights(m, std::path::Path::new(p)).unwrap();
    check_within(tol, name, make, load, |m, x| nn::model::predict_dyn(m, x.view()).unwrap());
    let data = read(&format!("{name}.data"));
    let mut m = make(0);
    load(&mut m, &keras_weights(name));
    let y: ArrayD<usize> = data["y"].mapv(|v| v as usize);
    check_step(name, &mut m, |m, opt| {
        nn::train::train_on_batch(m, data["x"].view(), y.view(), &nn::loss::SparseCategoricalCrossentropy, opt).unwrap()
    });
    let mut seen = 0;
    m.visit_weights(&mut |_, _, _| seen += 1);
    assert_eq!(seen, weights);
}
