//! The deployment example (`examples/deploy`): its `--eval` gives exactly the
//! predictions and the accuracy of `nn`'s `predict` on the same weights, on
//! all 10,000 test images; its PGM reader; its binary's size.

// The embedded model needs no `unsafe` in the declaring crate.
#![forbid(unsafe_code)]

#[path = "../examples/deploy/model.rs"]
#[allow(dead_code)]
mod model;

use model::{argmax, eval, read_pgm, test_set, SeedMlp};

#[test]
fn eval_equals_predict_on_the_same_weights_for_all_10000_test_images() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let (images, labels) = test_set(&dir).unwrap();
    assert_eq!((images.len(), labels.len()), (10_000, 10_000));
    // The example's own reader reads what `nn::data` reads.
    let mnist_images = nn::data::read_images(&dir.join("t10k-images-idx3-ubyte.gz")).unwrap();
    let mnist_labels = nn::data::read_labels(&dir.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(labels, mnist_labels.to_vec());
    assert!(images.iter().flatten().flatten().eq(mnist_images.iter()));
    let (deployed, accuracy) = eval(&images, &labels);

    // The same file through the ordinary path: load_weights and the batched predict.
    let mut m = SeedMlp::seeded(0);
    m.load_weights(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/deploy/seed_mlp.safetensors")).unwrap();
    let x = nn::ndarray::Array3::from_shape_fn((10_000, 28, 28), |(n, i, j)| f32::from(images[n][i][j]) / 255.0);
    let p = m.predict(&x).unwrap();
    let predicted: Vec<usize> = p.rows().into_iter().map(|r| argmax(r.as_slice().unwrap())).collect();
    let differ: Vec<usize> = (0..10_000).filter(|&i| predicted[i] != deployed[i]).collect();
    assert!(
        differ.is_empty(),
        "{} images classified differently, first {:?}",
        differ.len(),
        &differ[..differ.len().min(5)]
    );
    let correct = predicted.iter().zip(&labels).filter(|(p, l)| **p == usize::from(**l)).count();
    assert_eq!(accuracy, correct as f64 / 10_000.0);
    // And `evaluate` agrees (the trained model: about 93 %).
    let y = nn::ndarray::Array1::from_iter(labels.iter().map(|&l| usize::from(l)));
    let e = m.evaluate(&x, &y, &nn::loss::SparseCategoricalCrossentropy).unwrap();
    assert_eq!(e.accuracy as f64, accuracy as f32 as f64);
    assert!(accuracy > 0.9, "accuracy {accuracy}");
}

#[test]
fn pgm_binary_and_ascii() {
    let mut p5 = b"P5\n# a comment\n28 28\n255\n".to_vec();
    p5.extend((0..784).map(|i| (i % 256) as u8));
    let im = read_pgm(&p5).unwrap();
    assert_eq!((im[0][5], im[27][27]), (5, (783 % 256) as u8));
    let p2 = format!("P2 28 28 15 {}", (0..784).map(|i| (i % 16).to_string()).collect::<Vec<_>>().join(" "));
    let im = read_pgm(p2.as_bytes()).unwrap();
    assert_eq!((im[0][0], im[0][15], im[0][8]), (0, 255, 136));
    assert!(read_pgm(b"P5 27 28 255 ").unwrap_err().contains("28x28"));
    assert!(read_pgm(b"P6 28 28 255 ").unwrap_err().contains("PGM"));
    assert!(read_pgm(b"P5 28 28 255 \x00").unwrap_err().contains("truncated"));
}

/// Builds the deployment binary with its size-tuned profile and checks its
/// stripped size against the weights' (slow: a full LTO build):
/// `cargo test --release --test deploy -- --ignored`.
#[test]
#[ignore]
fn deploy_binary_is_at_most_the_weights_plus_400_kib() {
    let root = env!("CARGO_MANIFEST_DIR");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["build", "--profile", "deploy", "--example", "deploy", "--message-format", "json"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let exe = stdout
        .lines()
        .filter(|l| l.contains("\"executable\":\"") && l.contains("deploy"))
        .filter_map(|l| l.split("\"executable\":\"").nth(1)?.split('"').next())
        .next_back()
        .expect("the built executable");
    let size = std::fs::metadata(exe).unwrap().len();
    let weights = std::fs::metadata(format!("{root}/examples/deploy/seed_mlp.safetensors")).unwrap().len();
    assert!(size <= weights + 400 * 1024, "{exe}: {size} bytes, weights {weights} + 400 KiB");
    // It runs from anywhere, with no file beside it but its input.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("deploy");
    std::fs::copy(exe, &copy).unwrap();
    let mut pgm = b"P5 28 28 255\n".to_vec();
    pgm.extend([0u8; 784]);
    std::fs::write(dir.path().join("blank.pgm"), &pgm).unwrap();
    let run = std::process::Command::new(&copy).arg("blank.pgm").current_dir(dir.path()).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stdout).starts_with("blank.pgm: class "));
}
