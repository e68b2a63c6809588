//! Training: one step, evaluate, fit, its History and callbacks, BatchNorm's
//! moving statistics, freezing and reproducibility.

use nn::loss::{MeanSquaredError, SparseCategoricalCrossentropy};
use nn::ndarray::{Array1, Array2, Axis};
use nn::optim::{Adam, Sgd};
use nn::train::{EarlyStopping, LearningRateScheduler, TerminateOnNaN};
use nn::{FitOptions, Model};
use rand::Rng as _;

nn::sequential! {
    /// A small classifier with every kind of state: BatchNorm statistics and a dropout generator.
    struct Net {
        Input[4],
        Dense(16, relu),
        BatchNorm,
        Dropout(rate = 0.2),
        Dense(3, softmax),
    }
}

nn::sequential! {
    struct BnOnly {
        Input[3],
        BatchNorm,
    }
}

nn::sequential! {
    struct Linear {
        Input[2],
        Dense(1),
    }
}

/// Three Gaussian blobs in 4 dimensions, `n` samples.
fn blobs(n: usize, seed: u64) -> (Array2<f32>, Array1<usize>) {
    let mut r = nn::rng::seeded(seed);
    let centers = [[2.0, 0.0, -1.0, 0.5], [-2.0, 1.0, 1.0, -0.5], [0.0, -2.0, 0.0, 2.0]];
    let y = Array1::from_shape_fn(n, |i| i % 3);
    let x = Array2::from_shape_fn((n, 4), |(i, j)| centers[y[i]][j] + r.random_range(-1.0f32..1.0));
    (x, y)
}

fn weights<M: Model>(m: &M) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    m.visit_weights(&mut |_, _, p| out.push(p.to_vec()));
    out
}

fn quiet<'a, T>() -> FitOptions<'a, T> {
    FitOptions { verbose: 0, ..Default::default() }
}

#[test]
fn batch_norm_moving_statistics_follow_keras() {
    // Keras: moving = moving * momentum + batch * (1 - momentum), momentum
    // 0.99, with the *biased* batch variance (divided by n, not n - 1).
    let mut m = BnOnly::seeded(0);
    let x = Array2::from_shape_vec((4, 3), vec![1.0, 2.0, -1.0, 3.0, 0.0, -1.0, 5.0, 2.0, 1.0, 7.0, 4.0, 3.0]).unwrap();
    let y = Array2::<f32>::zeros((4, 3));
    m.train_on_batch(&x, &y, &MeanSquaredError, &mut Sgd::new(0.1)).unwrap();
    let mean = x.mean_axis(Axis(0)).unwrap();
    let var = x.var_axis(Axis(0), 0.0); // ddof 0: biased
    for j in 0..3 {
        let mm = 0.99 * 0.0 + 0.01 * mean[j];
        let mv = 0.99 * 1.0 + 0.01 * var[j];
        assert!((m.batch_normalization.moving_mean[j] - mm).abs() < 1e-6, "moving_mean[{j}]");
        assert!((m.batch_normalization.moving_variance[j] - mv).abs() < 1e-6, "moving_variance[{j}]");
    }
    // Inference uses the moving statistics (and the updated gamma and beta).
    let bn = &m.batch_normalization;
    let out = m.predict(&x).unwrap();
    for i in 0..4 {
        for j in 0..3 {
            let want =
                bn.gamma[j] * (x[[i, j]] - bn.moving_mean[j]) / (bn.moving_variance[j] + 1e-3).sqrt() + bn.beta[j];
            assert!((out[[i, j]] - want).abs() < 1e-5, "({i}, {j}): {} vs {want}", out[[i, j]]);
        }
    }
}

#[test]
fn train_on_batch_returns_the_loss_before_the_step() {
    let mut m = Linear::seeded(1);
    let x = Array2::from_shape_vec((2, 2), vec![1.0, 2.0, -1.0, 0.5]).unwrap();
    let y = Array2::from_shape_vec((2, 1), vec![1.0, -1.0]).unwrap();
    let before = m.evaluate(&x, &y, &MeanSquaredError).unwrap().loss;
    let l = m.train_on_batch(&x, &y, &MeanSquaredError, &mut Sgd::new(0.05)).unwrap();
    assert!((l - before).abs() < 1e-6, "{l} vs {before}");
    let after = m.evaluate(&x, &y, &MeanSquaredError).unwrap().loss;
    assert!(after < before, "one SGD step lowers the loss: {before} -> {after}");
}

#[test]
fn fit_learns_and_reports_keras_metrics() {
    let (x, y) = blobs(600, 1);
    let (xv, yv) = blobs(150, 2);
    let mut m = Net::seeded(3);
    let h = m
        .fit(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut Adam::new(1e-2),
            FitOptions { epochs: 5, verbose: 0, ..Default::default() }.with_validation(&xv, &yv),
        )
        .unwrap();
    assert_eq!(h.len(), 5);
    assert_eq!(h.epoch, vec![0, 1, 2, 3, 4]);
    assert_eq!((h.loss.len(), h.accuracy.len(), h.val_loss.len(), h.val_accuracy.len(), h.lr.len()), (5, 5, 5, 5, 5));
    assert!(h.loss[4] < h.loss[0], "{:?}", h.loss);
    assert!(*h.val_accuracy.last().unwrap() > 0.95, "{:?}", h.val_accuracy);
    let e = m.evaluate(&xv, &yv, &SparseCategoricalCrossentropy).unwrap();
    assert_eq!(e.loss, h.val_loss[4]);
    assert_eq!(e.accuracy, h.val_accuracy[4]);
    assert!(h.stopped.is_none());
}

#[test]
fn evaluate_is_the_mean_of_per_sample_losses() {
    let (x, y) = blobs(50, 4);
    let m = Net::seeded(5);
    let p = m.predict(&x).unwrap();
    let mut total = 0.0f64;
    let mut hits = 0;
    for i in 0..50 {
        total -= f64::from(p[[i, y[i]]].ln());
        let arg = (0..3).max_by(|&a, &b| p[[i, a]].total_cmp(&p[[i, b]])).unwrap();
        hits += usize::from(arg == y[i]);
    }
    let e = m.evaluate(&x, &y, &SparseCategoricalCrossentropy).unwrap();
    assert!((f64::from(e.loss) - total / 50.0).abs() < 1e-5);
    assert_eq!(e.accuracy, hits as f32 / 50.0);
}

#[test]
fn same_seed_same_data_gives_bit_identical_weights() {
    let (x, y) = blobs(200, 6);
    let run = || {
        let mut m = Net::seeded(9);
        let h = m
            .fit(
                &x,
                &y,
                &SparseCategoricalCrossentropy,
                &mut Adam::new(1e-2),
                FitOptions { epochs: 3, batch_size: 16, seed: Some(4), ..quiet() },
            )
            .unwrap();
        (weights(&m), h)
    };
    let (a, ha) = run();
    let (b, hb) = run();
    assert_eq!(a, b, "weights differ between two identical runs");
    assert_eq!(ha, hb);
    // A different shuffling seed gives different weights.
    let mut m = Net::seeded(9);
    m.fit(
        &x,
        &y,
        &SparseCategoricalCrossentropy,
        &mut Adam::new(1e-2),
        FitOptions { epochs: 3, batch_size: 16, seed: Some(5), ..quiet() },
    )
    .unwrap();
    assert_ne!(a, weights(&m));
}

#[test]
fn frozen_weights_do_not_move() {
    let (x, y) = blobs(64, 7);
    let mut m = Net::seeded(1);
    nn::model::set_trainable(&mut m.dense, false);
    let kernel = m.dense.kernel.to_vec();
    let bias = m.dense.bias.as_ref().unwrap().to_vec();
    let out_kernel = m.dense_1.kernel.to_vec();
    m.fit(&x, &y, &SparseCategoricalCrossentropy, &mut Adam::new(1e-2), FitOptions { epochs: 2, ..quiet() }).unwrap();
    assert_eq!(m.dense.kernel.to_vec(), kernel);
    assert_eq!(m.dense.bias.as_ref().unwrap().to_vec(), bias);
    assert_ne!(m.dense_1.kernel.to_vec(), out_kernel, "the trainable layer moved");
    assert!(m.summary().contains("Trainable params: 83\n"), "{}", m.summary());
}

#[test]
fn validation_split_takes_the_last_samples() {
    let (x, y) = blobs(100, 8);
    let mut m = Net::seeded(2);
    let h = m
        .fit(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.01),
            FitOptions { epochs: 1, validation_split: 0.2, ..quiet() },
        )
        .unwrap();
    // Keras: split_at = ceil(100 * 0.8) = 80; validation is x[80..].
    let last = x.slice(nn::ndarray::s![80.., ..]);
    let e = m.evaluate(&last, &y.slice(nn::ndarray::s![80..]), &SparseCategoricalCrossentropy).unwrap();
    assert_eq!(h.val_loss, vec![e.loss]);
}

#[test]
fn early_stopping_stops_and_restores_the_best_weights() {
    // Random training labels: the model overfits noise and the validation loss soon rises.
    let (x, _) = blobs(90, 10);
    let mut r = nn::rng::seeded(99);
    let y = Array1::from_shape_fn(90, |_| r.random_range(0..3usize));
    let (xv, yv) = blobs(30, 11);
    let mut m = Net::seeded(3);
    let h = m
        .fit(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut Adam::new(1e-2),
            FitOptions {
                epochs: 40,
                callbacks: vec![Box::new(EarlyStopping {
                    patience: 2,
                    restore_best_weights: true,
                    ..Default::default()
                })],
                ..quiet()
            }
            .with_validation(&xv, &yv),
        )
        .unwrap();
    let stop = h.stopped.as_ref().expect("stopped early");
    assert!(stop.reason.contains("EarlyStopping"), "{stop:?}");
    assert!(h.len() < 40);
    let best = h.val_loss.iter().copied().fold(f32::INFINITY, f32::min);
    let now = m.evaluate(&xv, &yv, &SparseCategoricalCrossentropy).unwrap().loss;
    assert_eq!(now, best, "restored weights give the best val_loss {:?}", h.val_loss);
}

#[test]
fn early_stopping_on_a_missing_metric_is_an_error() {
    let (x, y) = blobs(30, 12);
    let mut m = Net::seeded(3);
    let err = m
        .fit(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.1),
            FitOptions { callbacks: vec![Box::new(EarlyStopping::default())], ..quiet() },
        )
        .unwrap_err();
    assert!(err.to_string().contains("val_loss"), "{err}");
}

#[test]
fn learning_rate_scheduler_sets_each_epochs_rate() {
    let (x, y) = blobs(30, 13);
    let mut m = Net::seeded(3);
    let h = m
        .fit(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.1),
            FitOptions {
                epochs: 3,
                callbacks: vec![Box::new(LearningRateScheduler(|epoch, lr| if epoch == 0 { lr } else { lr / 2.0 }))],
                ..quiet()
            },
        )
        .unwrap();
    assert_eq!(h.lr, vec![0.1, 0.05, 0.025]);
}

#[test]
fn terminate_on_nan_stops_with_the_last_finite_weights() {
    let x = Array2::from_shape_fn((64, 2), |(i, j)| (i * 3 + j) as f32 * 10.0);
    let y = Array2::from_shape_fn((64, 1), |(i, _)| i as f32 * 100.0);
    let mut m = Linear::seeded(1);
    let h = m
        .fit(
            &x,
            &y,
            &MeanSquaredError,
            &mut Sgd::new(1.0),
            FitOptions { epochs: 50, batch_size: 8, callbacks: vec![Box::new(TerminateOnNaN)], ..quiet() },
        )
        .unwrap();
    let stop = h.stopped.expect("training diverged and stopped");
    assert!(stop.batch.is_some(), "{stop:?}");
    assert!(weights(&m).iter().flatten().all(|v| v.is_finite()), "weights are finite");

    // Without the callback, fit returns an error naming the epoch and batch.
    let mut m = Linear::seeded(1);
    let err = m
        .fit(&x, &y, &MeanSquaredError, &mut Sgd::new(1.0), FitOptions { epochs: 50, batch_size: 8, ..quiet() })
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, nn::Error::NonFinite(_)) && msg.contains("epoch") && msg.contains("batch"), "{msg}");
    assert!(weights(&m).iter().flatten().all(|v| v.is_finite()), "a failed step leaves the weights as they were");
}

#[test]
fn history_files() {
    let (x, y) = blobs(60, 14);
    let (xv, yv) = blobs(30, 15);
    let mut m = Net::seeded(3);
    let h = m
        .fit(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut Adam::new(1e-2),
            FitOptions { epochs: 3, ..quiet() }.with_validation(&xv, &yv),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (csv, json, svg) = (dir.path().join("h.csv"), dir.path().join("sub/h.json"), dir.path().join("h.svg"));
    h.to_csv(&csv).unwrap();
    h.to_json(&json).unwrap();
    h.plot_svg(&svg).unwrap();
    let csv = std::fs::read_to_string(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss");
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("0,"));
    let json = std::fs::read_to_string(json).unwrap();
    assert!(
        json.starts_with("{\"loss\": [")
            && json.contains("\"val_accuracy\": [")
            && json.contains("\"epoch\": [0, 1, 2]"),
        "{json}"
    );
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for name in ["loss", "val_loss", "accuracy", "val_accuracy"] {
        assert!(svg.contains(&format!("\n{name}\n</text>")), "legend entry {name} in the SVG");
    }
    assert!(svg.matches("<polyline").count() >= 4, "a curve per series");
}

nn::sequential! {
    /// Activations large enough that a batch of 64 trains in chunks.
    struct WideConv {
        Input[28, 28, 1],
        Conv2D(32, 3, relu),
        MaxPooling2D(2),
        Flatten,
        Dense(10, softmax),
    }
}

nn::sequential! {
    /// Keeps 28 steps of LSTM gates per sample.
    struct Rows {
        Input[28, 28],
        LSTM(128),
        Dense(10, softmax),
    }
}

#[test]
fn a_batch_in_chunks_steps_as_the_weighted_mean_of_its_chunks() {
    use nn::model::{training_chunk, TRAINING_CHUNK_BYTES};
    // Outputs and their gradients, 2 · (21,632 + 5,408 + 10) floats a
    // sample; an LSTM keeps its gates of every step too (40,484 floats);
    // chunks are whole tiles of rows on each of the two threads; BatchNorm's
    // batch statistics keep a batch whole.
    let step = 2 * nn::kernels::gemm::tile_rows();
    let chunk = training_chunk::<WideConv>(1000);
    assert_eq!(chunk, TRAINING_CHUNK_BYTES / (4 * 2 * 27_050) / step * step);
    assert!(chunk > 1 && chunk.is_multiple_of(step), "chunk {chunk}");
    assert_eq!(training_chunk::<WideConv>(chunk), chunk);
    assert_eq!(training_chunk::<Rows>(128), TRAINING_CHUNK_BYTES / (4 * 40_484) / step * step);
    assert_eq!(training_chunk::<Net>(100_000), 100_000);
    // A remainder under half a chunk joins the last chunk.
    let lens = |n, c| nn::model::chunks(n, c).map(|r| r.len()).collect::<Vec<_>>();
    assert_eq!(lens(128, 24), [24, 24, 24, 24, 32]);
    assert_eq!((lens(36, 24), lens(35, 24), lens(10, 24)), (vec![24, 12], vec![35], vec![10]));
    // Every batch size up to past two chunks steps (a batch just over one
    // chunk trains whole: the remainder joins it).
    for n in 1..=2 * chunk + 2 {
        let mut m = WideConv::seeded(1);
        let x = nn::ndarray::Array4::<f32>::from_elem((n, 28, 28, 1), 0.5);
        let y = Array1::from_shape_fn(n, |i| i % 10);
        let l = m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.1)).unwrap();
        assert!(l.is_finite() && weights(&m).iter().flatten().all(|w| w.is_finite()), "batch of {n}: loss {l}");
    }
    // Two chunks and a smaller one, each of which trains whole alone.
    let n = 2 * chunk + chunk / 2 + 1;
    let parts: Vec<_> = nn::model::chunks(n, chunk).collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(training_chunk::<WideConv>(n), chunk);
    assert!(parts.iter().all(|r| training_chunk::<WideConv>(r.len()) == r.len()));
    let mut r = nn::rng::seeded(3);
    let x = nn::ndarray::Array4::from_shape_fn((n, 28, 28, 1), |_| r.random_range(0.0f32..1.0));
    let y = Array1::from_shape_fn(n, |i| (i * 7) % 10);
    let loss = SparseCategoricalCrossentropy;
    // SGD moves by the mean gradient: the whole batch's step is its
    // chunks' steps weighted by their samples.
    let step = |r: std::ops::Range<usize>| {
        let mut m = WideConv::seeded(1);
        let s = nn::ndarray::s![r.clone(), .., .., ..];
        let l = m.train_on_batch(x.slice(s), y.slice(nn::ndarray::s![r]), &loss, &mut Sgd::new(0.5)).unwrap();
        (l, weights(&m))
    };
    let start = weights(&WideConv::seeded(1));
    let (whole, w) = step(0..n);
    let steps: Vec<_> = parts.iter().map(|r| (r.len() as f32 / n as f32, step(r.clone()))).collect();
    let mean: f32 = steps.iter().map(|(k, (l, _))| k * l).sum();
    assert!((whole - mean).abs() < 1e-6 * whole.abs(), "loss {whole} against {mean}");
    let mut moved = 0.0f32;
    for (t, (w0, w)) in start.iter().zip(&w).enumerate() {
        for (i, (&w0, &w)) in w0.iter().zip(w).enumerate() {
            let want = w0 + steps.iter().map(|(k, (_, ws))| k * (ws[t][i] - w0)).sum::<f32>();
            assert!((w - want).abs() <= 1e-6 + 1e-4 * (w - w0).abs(), "{w} against {want} (from {w0})");
            moved = moved.max((w - w0).abs());
        }
    }
    assert!(moved > 1e-3, "the step moved the weights by {moved} at most");
}
