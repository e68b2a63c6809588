//! The main job's command line (`examples/seed_mlp.rs`): `--help` on stdout
//! with exit status 0, an unwritable `--out` refused before training with its
//! path named, and "1 epoch" in the singular.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Builds the example (once) with the profile this test runs under; returns its path.
fn example() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(build_example)
}

fn build_example() -> PathBuf {
    let release = std::env::current_exe().unwrap().components().any(|c| c.as_os_str() == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--example", "seed_mlp", "--message-format", "json"]).current_dir(env!("CARGO_MANIFEST_DIR"));
    if release {
        cmd.arg("--release");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .filter(|l| l.contains("\"executable\":\"") && l.contains("seed_mlp"))
        .filter_map(|l| l.split("\"executable\":\"").nth(1)?.split('"').next())
        .next_back()
        .expect("the built example")
        .into()
}

fn run(args: &[&str]) -> Output {
    Command::new(example()).args(args).output().unwrap()
}

/// An IDX file of unsigned bytes, all zero, with these dimensions.
fn write_idx(path: &Path, dims: &[u32]) {
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.resize(bytes.len() + dims.iter().product::<u32>() as usize, 0);
    std::fs::write(path, bytes).unwrap();
}

/// A tiny stand-in for MNIST: 5,008 training images (5,000 are held out), 8 test images.
fn fake_mnist(dir: &Path) {
    write_idx(&dir.join("train-images-idx3-ubyte"), &[5008, 28, 28]);
    write_idx(&dir.join("train-labels-idx1-ubyte"), &[5008]);
    write_idx(&dir.join("t10k-images-idx3-ubyte"), &[8, 28, 28]);
    write_idx(&dir.join("t10k-labels-idx1-ubyte"), &[8]);
}

#[test]
fn help_goes_to_stdout_with_success() {
    for flag in ["--help", "-h"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.starts_with("usage: seed_mlp"), "{flag}: {stdout}");
        assert!(out.stderr.is_empty(), "{flag}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // A mistake is still an error on stderr.
    let out = run(&["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown flag --bogus"));
}

#[test]
fn an_unwritable_out_dir_is_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mnist");
    std::fs::create_dir(&data).unwrap();
    fake_mnist(&data);
    // A directory under a regular file cannot be created, whoever runs this.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out_dir = file.join("out");
    let out = run(&["--epochs", "1", "--data", data.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stdout.contains("Epoch 1/1"), "no training before the check: {stdout}");
    assert!(stderr.contains(&out_dir.display().to_string()), "the path is named: {stderr}");
}

#[test]
fn one_epoch_is_singular() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mnist");
    std::fs::create_dir(&data).unwrap();
    fake_mnist(&data);
    let out_dir = dir.path().join("out");
    let out = run(&["--epochs", "1", "--data", data.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 epoch,") && !stdout.contains("1 epochs"), "{stdout}");
    assert!(out_dir.join("seed_mlp.safetensors").is_file());
}
