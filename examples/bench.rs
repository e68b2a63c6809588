//! Benchmark of the seed model (API.md) on the bundled MNIST: training
//! samples/s through `train_on_batch` over one epoch (55,000 images) at batch
//! 32 and 256, `predict_one` latency (median and p99 over 10,000 calls),
//! batch-1000 `predict` throughput, and peak RSS.
//!
//! ```sh
//! cargo run --release --example bench            # a table
//! cargo run --release --example bench -- --json  # one JSON object (bench/peers.py reads it)
//! ```

use std::time::Instant;

use nn::data::{labels_usize, to_f32, Mnist};
use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{s, Array3};
use nn::optim::Sgd;

nn::sequential! {
    /// The seed model of API.md.
    pub struct SeedMlp {
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    }
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
    // `--only train32|train256|one|b1000`: one workload, for profiling.
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let want = |w: &str| only.as_deref().is_none_or(|o| o == w);
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
