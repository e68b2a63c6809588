//! Weight files through the model: bit-exact round trip, Keras-keyed files,
//! and every kind of bad file rejected with the model left unchanged.

use std::path::Path;

nn::sequential! {
    pub struct SeedMlp {
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    }
}

nn::sequential! {
    /// Small enough to write its file by hand.
    struct Tiny {
        Input[3],
        Dense(2, relu, name = "hidden"),
        PReLU,
    }
}

fn all_weights(m: &SeedMlp) -> Vec<(String, Vec<u32>)> {
    let mut out = Vec::new();
    nn::Model::visit_weights(m, &mut |l, w, p| out.push((format!("{l}.{w}"), p.iter().map(|v| v.to_bits()).collect())));
    out
}

#[test]
fn round_trip_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.safetensors");
    let a = SeedMlp::seeded(1);
    a.save_weights(&path).unwrap();
    let mut b = SeedMlp::seeded(2);
    assert_ne!(all_weights(&a), all_weights(&b));
    b.load_weights(&path).unwrap();
    assert_eq!(all_weights(&a), all_weights(&b));
    let keys: Vec<String> = all_weights(&a).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "batch_normalization.gamma",
            "batch_normalization.beta",
            "batch_normalization.moving_mean",
            "batch_normalization.moving_variance",
            "dense.kernel",
            "batch_normalization_1.gamma",
            "batch_normalization_1.beta",
            "batch_normalization_1.moving_mean",
            "batch_normalization_1.moving_variance",
            "dense_1.kernel",
            "batch_normalization_2.gamma",
            "batch_normalization_2.beta",
            "batch_normalization_2.moving_mean",
            "batch_normalization_2.moving_variance",
            "dense_2.kernel",
            "dense_2.bias",
        ]
    );
    // No temporary file is left beside the weights.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

/// A safetensors file written byte by byte, as Keras's exporter would lay it out.
fn hand_made(tensors: &[(&str, &str, &[usize], Vec<u8>)]) -> Vec<u8> {
    let mut header = String::from("{");
    let mut data = Vec::new();
    for (i, (name, dtype, shape, bytes)) in tensors.iter().enumerate() {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        if i > 0 {
            header.push(',');
        }
        header += &format!(
            "\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
            dims.join(","),
            data.len(),
            data.len() + bytes.len()
        );
        data.extend_from_slice(bytes);
    }
    header.push('}');
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    out
}

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn tiny_file(path: &Path, kernel_shape: &[usize], dtype: &str, extra: bool, skip_alpha: bool) {
    let mut t: Vec<(&str, &str, &[usize], Vec<u8>)> = vec![
        ("hidden.kernel", dtype, kernel_shape, f32s(&[1.0, -2.0, 3.0, 0.5, -1.0, 2.0])),
        ("hidden.bias", "F32", &[2], f32s(&[0.25, -0.5])),
    ];
    if !skip_alpha {
        t.push(("p_re_lu.alpha", "F32", &[2], f32s(&[0.1, 0.2])));
    }
    if extra {
        t.push(("dense_9.kernel", "F32", &[1], f32s(&[1.0])));
    }
    std::fs::write(path, hand_made(&t)).unwrap();
}

#[test]
fn keras_keyed_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.safetensors");
    tiny_file(&path, &[3, 2], "F32", false, false);
    let mut m = Tiny::seeded(0);
    m.load_weights(&path).unwrap();
    assert_eq!(m.hidden.kernel.as_slice(), &[1.0, -2.0, 3.0, 0.5, -1.0, 2.0]);
    assert_eq!(m.hidden.bias.as_ref().unwrap().as_slice(), &[0.25, -0.5]);
    assert_eq!(m.p_re_lu.alpha.as_slice(), &[0.1, 0.2]);
    // kernel is [in, out]: x = [1, 1, 1] -> [1 + 3 - 1, -2 + 0.5 + 2] + bias = [3.25, 0.0]
    let y = m.predict_one(&[1.0, 1.0, 1.0]);
    assert_eq!(y, [3.25, 0.0]);
}

fn assert_rejected(path: &Path, needle: &str) {
    let mut m = Tiny::seeded(5);
    let before = (m.hidden.kernel.to_vec(), m.hidden.bias.as_ref().unwrap().to_vec(), m.p_re_lu.alpha.to_vec());
    let err = m.load_weights(path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(needle), "message {msg:?} should contain {needle:?}");
    let after = (m.hidden.kernel.to_vec(), m.hidden.bias.as_ref().unwrap().to_vec(), m.p_re_lu.alpha.to_vec());
    assert_eq!(before, after, "a failed load must leave the model unchanged");
}

#[test]
fn bad_files_are_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);

    tiny_file(&p("missing.st"), &[3, 2], "F32", false, true);
    assert_rejected(&p("missing.st"), "p_re_lu.alpha");

    tiny_file(&p("extra.st"), &[3, 2], "F32", true, false);
    assert_rejected(&p("extra.st"), "dense_9.kernel");

    tiny_file(&p("shape.st"), &[2, 3], "F32", false, false);
    assert_rejected(&p("shape.st"), "hidden.kernel");

    // Same byte count as F32 [3, 2] would be 24 bytes; F64 [3] is 24 bytes too.
    std::fs::write(
        p("dtype.st"),
        hand_made(&[
            ("hidden.kernel", "F64", &[3], f32s(&[1.0; 6])),
            ("hidden.bias", "F32", &[2], f32s(&[0.0; 2])),
            ("p_re_lu.alpha", "F32", &[2], f32s(&[0.0; 2])),
        ]),
    )
    .unwrap();
    assert_rejected(&p("dtype.st"), "F64");

    tiny_file(&p("good.st"), &[3, 2], "F32", false, false);
    let good = std::fs::read(p("good.st")).unwrap();
    for cut in [0, 4, 8, 20, good.len() / 2, good.len() - 1] {
        std::fs::write(p("cut.st"), &good[..cut]).unwrap();
        assert_rejected(&p("cut.st"), "weights file");
    }

    std::fs::write(p("garbage.st"), b"this is not a safetensors file at all, just text").unwrap();
    assert_rejected(&p("garbage.st"), "weights file");

    let mut huge = (u64::MAX / 2).to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    std::fs::write(p("huge.st"), huge).unwrap();
    assert_rejected(&p("huge.st"), "weights file");

    assert_rejected(&p("does-not-exist.st"), "does-not-exist.st");
}
