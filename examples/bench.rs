//! Benchmark of the seed model (API.md) on the bundled MNIST: training
//! samples/s through `train_on_batch` over one epoch (55,000 images) at batch
//! 32 and 256, `predict_one` latency (median and p99 over 10,000 calls),
//! batch-1000 `predict` throughput, and peak RSS.
//!
//! `--model convnet`: Keras's mnist_convnet instead, with Adam(1e-3) at
//! batch 32 and 128 over 10,240 training images, the same inference figures,
//! and the achieved GFLOP/s (4.94 MFLOP per sample forward, three times that
//! per training sample).
//!
//! `--model lstm`: `LSTM(128)` + `Dense(10, softmax)` on the image rows (28
//! steps of 28 pixels), with Adam(1e-3) at batch 128 over the same 10,240
//! images, the same inference figures, and `predict_step` latency (one time
//! step of one sample; median and p99 over 10,000 calls).
//!
//! ```sh
//! cargo run --release --example bench            # a table
//! cargo run --release --example bench -- --json  # one JSON object (bench/peers.py reads it)
//! cargo run --release --example bench -- --model convnet [--json]
//! cargo run --release --example bench -- --model lstm [--json]
//! ```

use std::time::Instant;

use nn::data::{labels_usize, to_f32, Mnist};
use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{s, Array3, Axis};
use nn::optim::{Adam, Sgd};

nn::sequential! {
    /// The seed model of API.md.
    pub struct SeedMlp {
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    }
}

nn::sequential! {
    /// Keras's mnist_convnet (34,826 parameters).
    pub struct MnistConvnet {
        Input[28, 28, 1], Conv2D(32, 3, relu), MaxPooling2D(2), Conv2D(64, 3, relu), MaxPooling2D(2),
        Flatten, Dropout(0.5), Dense(10, softmax),
    }
}

nn::sequential! {
    /// LSTM(128) over the MNIST rows (81,674 parameters).
    pub struct MnistLstm {
        Input[28, 28], LSTM(128), Dense(10, softmax),
    }
}

/// Multiply-adds ×2 of one mnist_lstm sample's forward pass: 28 steps of the
/// four gates' `[x, h]·[kernel; recurrent_kernel]`, then the Dense.
const LSTM_FLOPS: f64 = 2.0 * (28.0 * (28.0 + 128.0) * 512.0 + 128.0 * 10.0);

/// Multiply-adds ×2 of one mnist_convnet sample's forward pass.
const CONVNET_FLOPS: f64 = 2.0 * (26.0 * 26.0 * 32.0 * 9.0 + 11.0 * 11.0 * 64.0 * 288.0 + 1600.0 * 10.0);

/// Median and p99 of the latencies (µs) of `calls` calls of `f` over `n` inputs.
fn latencies(calls: usize, n: usize, mut f: impl FnMut(usize) -> f32) -> (f64, f64) {
    let mut sink = 0.0;
    for i in 0..200 {
        sink += f(i % n);
    }
    let mut lat = Vec::with_capacity(calls);
    for i in 0..calls {
        let t = Instant::now();
        sink += f(i % n);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    assert!(sink.is_finite());
    lat.sort_by(f64::total_cmp);
    (lat[lat.len() / 2], lat[lat.len() * 99 / 100])
}

/// The mnist_convnet workloads.
fn convnet(json: bool, only: Option<&str>) -> Result<(), nn::Error> {
    let want = |w: &str| only.is_none_or(|o| o == w);
    let mnist = Mnist::load(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))?;
    let x = to_f32(&mnist.train_images).slice(s![5000..15240, .., ..]).to_owned().insert_axis(Axis(3));
    let y = labels_usize(&mnist.train_labels).slice(s![5000..15240]).to_owned();
    let loss = SparseCategoricalCrossentropy;
    let train = |batch: usize| -> Result<f64, nn::Error> {
        let mut model = MnistConvnet::seeded(42);
        let mut opt = Adam::new(1e-3);
        let n = x.shape()[0] / batch * batch;
        let mut step = |i: usize| {
            model.train_on_batch(x.slice(s![i..i + batch, .., .., ..]), y.slice(s![i..i + batch]), &loss, &mut opt)
        };
        for i in 0..3 {
            step(i * batch)?;
        }
        let t = Instant::now();
        for i in (0..n).step_by(batch) {
            step(i)?;
        }
        Ok(n as f64 / t.elapsed().as_secs_f64())
    };
    let train32 = if want("train32") { train(32)? } else { f64::NAN };
    let train128 = if want("train128") { train(128)? } else { f64::NAN };
    let model = MnistConvnet::seeded(42);
    let test = to_f32(&mnist.test_images).insert_axis(Axis(3));
    let samples: Vec<[[[f32; 1]; 28]; 28]> =
        (0..1000).map(|i| std::array::from_fn(|r| std::array::from_fn(|c| [test[[i, r, c, 0]]]))).collect();
    let calls = if want("one") { 10_000 } else { 100 };
    let (median, p99) = latencies(calls, samples.len(), |i| model.predict_one(&samples[i])[0]);
    let batch = test.slice(s![..1000, .., .., ..]).to_owned();
    let infer1000 = batch_1000(only, || model.predict(batch.view()).map(drop))?;
    let gflops = |per_s: f64, times: f64| per_s * CONVNET_FLOPS * times / 1e9;
    let rss = peak_rss_mb();
    if json {
        println!(
            "{{\"train_b32\": {train32:.0}, \"train_b128\": {train128:.0}, \"predict_one_median_us\": {median:.2}, \"predict_one_p99_us\": {p99:.2}, \"predict_b1000\": {infer1000:.0}, \"peak_rss_mb\": {rss:.1}}}"
        );
    } else {
        println!("mnist_convnet, {} training images, Adam(1e-3)", x.shape()[0]);
        let row = |label: &str, v: String| println!("{label:<40}{v:>14}");
        row("training, batch 32 (samples/s)", format!("{train32:.0} ({:.1} GFLOP/s)", gflops(train32, 3.0)));
        row("training, batch 128 (samples/s)", format!("{train128:.0} ({:.1} GFLOP/s)", gflops(train128, 3.0)));
        row("predict_one median (µs)", format!("{median:.2}"));
        row("predict_one p99 (µs)", format!("{p99:.2}"));
        row("predict, batch 1000 (samples/s)", format!("{infer1000:.0} ({:.1} GFLOP/s)", gflops(infer1000, 1.0)));
        row("peak RSS (MB)", format!("{rss:.1}"));
    }
    Ok(())
}

/// Samples per second of `predict` on a batch of 1000 (one warm-up call,
/// then 10 timed ones, or 200 with `--only b1000`; not run, NaN, when `--only`
/// names another workload, so that its profile holds that workload alone).
fn batch_1000(only: Option<&str>, mut predict: impl FnMut() -> Result<(), nn::Error>) -> Result<f64, nn::Error> {
    if only.is_some_and(|o| o != "b1000") {
        return Ok(f64::NAN);
    }
    predict()?;
    let reps = if only == Some("b1000") { 200 } else { 10 };
    let t = Instant::now();
    for _ in 0..reps {
        predict()?;
    }
    Ok((reps * 1000) as f64 / t.elapsed().as_secs_f64())
}

/// The mnist_lstm workloads.
fn lstm(json: bool, only: Option<&str>) -> Result<(), nn::Error> {
    let want = |w: &str| only.is_none_or(|o| o == w);
    let mnist = Mnist::load(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))?;
    let x = to_f32(&mnist.train_images).slice(s![5000..15240, .., ..]).to_owned();
    let y = labels_usize(&mnist.train_labels).slice(s![5000..15240]).to_owned();
    let loss = SparseCategoricalCrossentropy;
    let train128 = if want("train128") {
        let batch = 128;
        let mut model = MnistLstm::seeded(42);
        let mut opt = Adam::new(1e-3);
        let n = x.shape()[0] / batch * batch;
        let mut step = |i: usize| {
            model.train_on_batch(x.slice(s![i..i + batch, .., ..]), y.slice(s![i..i + batch]), &loss, &mut opt)
        };
        for i in 0..3 {
            step(i * batch)?;
        }
        let t = Instant::now();
        for i in (0..n).step_by(batch) {
            step(i)?;
        }
        n as f64 / t.elapsed().as_secs_f64()
    } else {
        f64::NAN
    };
    let model = MnistLstm::seeded(42);
    let test = to_f32(&mnist.test_images);
    let samples: Vec<[[f32; 28]; 28]> =
        (0..1000).map(|i| std::array::from_fn(|r| std::array::from_fn(|c| test[[i, r, c]]))).collect();
    let calls = if want("one") { 10_000 } else { 100 };
    let (median, p99) = latencies(calls, samples.len(), |i| model.predict_one(&samples[i])[0]);
    // Streaming: one row per call, a new sequence (state reset) every 28 rows.
    let mut state = MnistLstmStream::default();
    let steps = if want("step") { 10_000 } else { 100 };
    let (step_median, step_p99) = latencies(steps, samples.len() * 28, |i| {
        if i % 28 == 0 {
            state = MnistLstmStream::default();
        }
        model.predict_step(&mut state, &samples[i / 28][i % 28])[0]
    });
    let batch = test.slice(s![..1000, .., ..]).to_owned();
    let infer1000 = batch_1000(only, || model.predict(batch.view()).map(drop))?;
    let gflops = |per_s: f64, times: f64| per_s * LSTM_FLOPS * times / 1e9;
    let rss = peak_rss_mb();
    if json {
        println!(
            "{{\"train_b128\": {train128:.0}, \"predict_one_median_us\": {median:.2}, \"predict_one_p99_us\": {p99:.2}, \"predict_b1000\": {infer1000:.0}, \"predict_step_median_us\": {step_median:.2}, \"predict_step_p99_us\": {step_p99:.2}, \"peak_rss_mb\": {rss:.1}}}"
        );
    } else {
        println!("mnist_lstm, {} training images, Adam(1e-3)", x.shape()[0]);
        let row = |label: &str, v: String| println!("{label:<40}{v:>14}");
        row("training, batch 128 (samples/s)", format!("{train128:.0} ({:.1} GFLOP/s)", gflops(train128, 3.0)));
        row("predict_one median (µs)", format!("{median:.2}"));
        row("predict_one p99 (µs)", format!("{p99:.2}"));
        row("predict, batch 1000 (samples/s)", format!("{infer1000:.0} ({:.1} GFLOP/s)", gflops(infer1000, 1.0)));
        row("predict_step median (µs)", format!("{step_median:.2}"));
        row("predict_step p99 (µs)", format!("{step_p99:.2}"));
        row("peak RSS (MB)", format!("{rss:.1}"));
    }
    Ok(())
}

/// Training samples per second over one epoch of `x` at `batch`.
fn train_epoch(x: &Array3<f32>, y: &nn::ndarray::Array1<usize>, batch: usize) -> f64 {
    let mut model = SeedMlp::seeded(42);
    let mut opt = Sgd::new(1e-3);
    let n = x.shape()[0] / batch * batch;
    // Warm-up: the first steps allocate the workspace.
    for i in 0..3 {
        let r = i * batch..(i + 1) * batch;
        model
            .train_on_batch(x.slice(s![r.clone(), .., ..]), y.slice(s![r]), &SparseCategoricalCrossentropy, &mut opt)
            .unwrap();
    }
    let t = Instant::now();
    let mut start = 0;
    while start < n {
        let r = start..start + batch;
        model
            .train_on_batch(x.slice(s![r.clone(), .., ..]), y.slice(s![r]), &SparseCategoricalCrossentropy, &mut opt)
            .unwrap();
        start += batch;
    }
    n as f64 / t.elapsed().as_secs_f64()
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> Result<(), nn::Error> {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    // `--only train32|train256|train128|one|b1000|step`: one workload, for profiling.
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let want = |w: &str| only.as_deref().is_none_or(|o| o == w);
    match args.iter().position(|a| a == "--model").and_then(|i| args.get(i + 1)).map(String::as_str) {
        Some("convnet") => return convnet(json, only.as_deref()),
        Some("lstm") => return lstm(json, only.as_deref()),
        _ => {}
    }
    let mnist = Mnist::load(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))?;
    let x_all = to_f32(&mnist.train_images);
    let y_all = labels_usize(&mnist.train_labels);
    let x = x_all.slice(s![5000.., .., ..]).to_owned();
    let y = y_all.slice(s![5000..]).to_owned();

    let train32 = if want("train32") { train_epoch(&x, &y, 32) } else { f64::NAN };
    let train256 = if want("train256") { train_epoch(&x, &y, 256) } else { f64::NAN };

    let model = SeedMlp::seeded(42);
    let test = to_f32(&mnist.test_images);
    let mut samples = Vec::with_capacity(1000);
    for i in 0..1000 {
        let mut one = [[0.0f32; 28]; 28];
        for (r, row) in one.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = test[[i, r, c]];
            }
        }
        samples.push(one);
    }
    let mut sink = 0.0f32;
    for s in samples.iter().take(200) {
        sink += model.predict_one(s)[0];
    }
    let calls = if want("one") { 10_000 } else { 100 };
    let mut lat = Vec::with_capacity(calls);
    for i in 0..calls {
        let t = Instant::now();
        let y = model.predict_one(&samples[i % samples.len()]);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        sink += y[0];
    }
    lat.sort_by(f64::total_cmp);
    let (median, p99) = (lat[lat.len() / 2], lat[lat.len() * 99 / 100]);

    let batch = test.slice(s![..1000, .., ..]).to_owned();
    model.predict(batch.view())?;
    let reps = if only.as_deref() == Some("b1000") {
        1000
    } else if want("b1000") {
        50
    } else {
        1
    };
    let t = Instant::now();
    for _ in 0..reps {
        sink += model.predict(batch.view())?[[0, 0]];
    }
    let infer1000 = (reps * 1000) as f64 / t.elapsed().as_secs_f64();
    assert!(sink.is_finite());
    let rss = peak_rss_mb();

    if json {
        println!(
            "{{\"train_b32\": {train32:.0}, \"train_b256\": {train256:.0}, \"predict_one_median_us\": {median:.2}, \"predict_one_p99_us\": {p99:.2}, \"predict_b1000\": {infer1000:.0}, \"peak_rss_mb\": {rss:.1}}}"
        );
    } else {
        println!("seed model, {} training images, one thread per core", x.shape()[0]);
        println!("{:<36}{:>14}", "training, batch 32 (samples/s)", format!("{train32:.0}"));
        println!("{:<36}{:>14}", "training, batch 256 (samples/s)", format!("{train256:.0}"));
        println!("{:<36}{:>14}", "predict_one median (µs)", format!("{median:.2}"));
        println!("{:<36}{:>14}", "predict_one p99 (µs)", format!("{p99:.2}"));
        println!("{:<36}{:>14}", "predict, batch 1000 (samples/s)", format!("{infer1000:.0}"));
        println!("{:<36}{:>14}", "peak RSS (MB)", format!("{rss:.1}"));
    }
    Ok(())
}
