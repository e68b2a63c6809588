//! `#[weights = ".."]` and `M::embedded()`: the weights baked in at compile
//! time equal the file's, the model can live in a `static`, and
//! `predict_one` on it allocates nothing, first call included.

use nn::Model;

/// Counts the allocations of the current thread (tests run on several threads).
#[path = "common/alloc.rs"]
mod alloc;

use alloc::allocs;

const WEIGHTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/deploy/seed_mlp.safetensors");

nn::sequential! {
    /// The seed model over the deploy example's trained weights.
    #[weights = "examples/deploy/seed_mlp.safetensors"]
    #[derive(Debug)]
    pub struct SeedMlp {
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    }
}

/// Built at compile time: no code runs to make it.
static MODEL: SeedMlp = SeedMlp::embedded();

// The declaration tools/keras_export.py printed for its Keras fixture.
include!("reference/keras_export/small.rs");

const HIDDEN: usize = 2;

nn::sequential! {
    /// The same model with a size given by a const: checked by a const assertion.
    #[weights = "tests/reference/keras_export/small.safetensors"]
    struct SmallConst {
        Input[4],
        Dense(8, relu),
        BatchNorm(momentum = 0.9, epsilon = 0.01),
        PReLU,
        Dropout(0.5),
        Dense(HIDDEN * 3, tanh, trainable = false),
        Dense(3, softmax),
    }
}

fn weights<M: Model>(m: &M) -> Vec<(String, Vec<usize>, Vec<u32>, bool)> {
    let mut out = Vec::new();
    m.visit_weights(&mut |l, w, p| {
        out.push((format!("{l}.{w}"), p.shape().to_vec(), p.iter().map(|v| v.to_bits()).collect(), p.trainable))
    });
    out
}

#[test]
fn embedded_weights_equal_the_file_bit_for_bit() {
    let mut loaded = SeedMlp::seeded(7);
    loaded.load_weights(WEIGHTS).unwrap();
    assert_eq!(weights(&MODEL), weights(&loaded));
    assert_eq!(weights(&SeedMlp::embedded()), weights(&loaded));
    // The tensors are views of the bytes in the binary, not copies: every
    // `embedded()` model points at the same numbers.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    MODEL.visit_weights(&mut |_, _, p| a.push(p.as_ptr()));
    SeedMlp::embedded().visit_weights(&mut |_, _, p| b.push(p.as_ptr()));
    assert_eq!((a.len(), a), (16, b));
}

#[test]
fn predict_one_on_the_embedded_model_allocates_nothing_first_call_included() {
    // Other tests run predictions on other threads: so that this is the
    // process's very first prediction (any one-time set-up included), the
    // check runs in a child process that runs this test alone.
    const CHILD: &str = "NN_EMBEDDED_ALLOC_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let name = "predict_one_on_the_embedded_model_allocates_nothing_first_call_included";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1", "--nocapture"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("1 passed"), "{text}{}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    // First touch of `MODEL` and first `predict_one` in the process both
    // happen inside the counted window.
    let x = [[0.5f32; 28]; 28];
    let before = allocs();
    let y = MODEL.predict_one(&x);
    let z = SeedMlp::embedded().predict_one(&x);
    let mut acc = 0.0;
    for i in 0..50 {
        let mut xi = x;
        xi[i % 28][i % 27] = 1.0;
        acc += MODEL.predict_one(&xi)[i % 10];
    }
    let after = allocs();
    assert_eq!(after - before, 0, "predict_one allocated {} times", after - before);
    // The counter does count.
    let v = std::hint::black_box(vec![1u8]);
    assert_eq!(allocs(), after + 1, "{v:?}");
    assert_eq!(y, z);
    assert!(acc.is_finite() && (y.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

#[test]
fn embedded_predictions_equal_predict_on_loaded_weights() {
    let mut loaded = SeedMlp::seeded(0);
    loaded.load_weights(WEIGHTS).unwrap();
    let x = nn::ndarray::Array3::from_shape_fn((8, 28, 28), |(n, i, j)| ((n * 31 + i * 7 + j * 3) % 17) as f32 / 16.0);
    let batch = loaded.predict(&x).unwrap();
    for n in 0..8 {
        let xi: [[f32; 28]; 28] = std::array::from_fn(|i| std::array::from_fn(|j| x[[n, i, j]]));
        let y = MODEL.predict_one(&xi);
        for (a, b) in y.iter().zip(batch.row(n)) {
            // One sample and a batch take different gemm paths: equal up to rounding.
            assert!((a - b).abs() < 1e-5, "sample {n}: {a} vs {b}");
        }
    }
}

#[test]
fn every_weighted_layer_and_frozen_flags() {
    let m = Small::embedded();
    assert_eq!(weights(&SmallConst::embedded()), weights(&m));
    let w = weights(&m);
    let keys: Vec<&str> = w.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(
        keys,
        [
            "dense.kernel",
            "dense.bias",
            "batch_normalization.gamma",
            "batch_normalization.beta",
            "batch_normalization.moving_mean",
            "batch_normalization.moving_variance",
            "p_re_lu.alpha",
            "dense_1.kernel",
            "dense_1.bias",
            "dense_2.kernel",
            "dense_2.bias",
        ]
    );
    let trainable: Vec<bool> = w.iter().map(|t| t.3).collect();
    assert_eq!(trainable, [true, true, true, true, false, false, true, false, false, true, true]);
    assert_eq!(w[7].1, [8, 6]);
    assert_eq!((m.batch_normalization.momentum, m.batch_normalization.epsilon), (0.9, 0.01));
    // Same trainable flags as the seeded model.
    let s: Vec<bool> = weights(&Small::seeded(0)).iter().map(|t| t.3).collect();
    assert_eq!(trainable, s);
}

#[test]
fn an_embedded_model_still_trains_copying_its_weights_first() {
    let mut m = Small::embedded();
    let before = weights(&m);
    let x = nn::ndarray::Array2::from_shape_fn((4, 4), |(i, j)| (i + j) as f32 / 7.0);
    let y = nn::ndarray::Array1::from(vec![0usize, 1, 2, 1]);
    let mut opt = nn::optim::Sgd::new(0.1);
    m.train_on_batch(&x, &y, &nn::loss::SparseCategoricalCrossentropy, &mut opt).unwrap();
    assert_ne!(weights(&m), before);
    // The static bytes are untouched.
    assert_eq!(weights(&Small::embedded()), before);
}

/// Reads a safetensors file of the Keras fixture.
fn read(name: &str) -> std::collections::HashMap<String, (Vec<usize>, Vec<f32>)> {
    let path = format!("{}/tests/reference/keras_export/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(k, v)| {
            let data = v.data().chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
            (k, (v.shape().to_vec(), data))
        })
        .collect()
}

#[test]
fn keras_export_fixture_reproduces_keras_predictions() {
    let data = read("small.data.safetensors");
    let (xs, x) = &data["x"];
    let (ps, want) = &data["predict"];
    assert_eq!((&xs[..], &ps[..]), (&[8, 4][..], &[8, 3][..]));
    let m = Small::embedded();
    let mut worst = 0.0f32;
    for (row, want) in x.chunks_exact(4).zip(want.chunks_exact(3)) {
        let y = m.predict_one(row.try_into().unwrap());
        worst = y.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(worst, f32::max);
    }
    assert!(worst < 1e-5, "max abs error {worst:e} against Keras");
    // The same through `load_weights` and the batched `predict`.
    let mut loaded = Small::seeded(0);
    loaded
        .load_weights(format!("{}/tests/reference/keras_export/small.safetensors", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let batch = loaded.predict(&nn::ndarray::Array2::from_shape_vec((8, 4), x.clone()).unwrap()).unwrap();
    let worst = batch.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "max abs error {worst:e} against Keras (predict)");
}
