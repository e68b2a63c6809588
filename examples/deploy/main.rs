//! A deployable MNIST classifier: the seed model with the main job's trained
//! weights baked into the binary at compile time. It reads no weights file,
//! parses nothing and allocates nothing to classify an image.
//!
//! ```text
//! cargo build --profile deploy --example deploy     # target/deploy/examples/deploy
//! deploy digit.pgm [more.pgm ...]   # 28x28 PGM (P5 or P2): class and probabilities
//! deploy --index 7                  # test image 7 of the bundled MNIST
//! deploy --eval                     # the whole test set: accuracy
//! ```
//!
//! `--data DIR` names the MNIST directory for `--index` and `--eval`
//! (default `data/mnist`). The `deploy` profile (workspace Cargo.toml) is
//! tuned for size: LTO, one codegen unit, `panic = "abort"`, stripped.

#![forbid(unsafe_code)]

mod model;

use std::process::ExitCode;

use model::{classify, default_data_dir, eval, read_pgm, test_set};

const USAGE: &str = "usage: deploy IMAGE.pgm... | deploy --index N | deploy --eval   [--data DIR]";

/// `v` in [0, 1] with `digits` decimals, formatted with integers only: the
/// binary then carries no float-formatting code (it is tuned for size).
fn fixed(v: f64, digits: u32) -> String {
    let scale = 10u64.pow(digits);
    let n = (v.clamp(0.0, 1e9) * scale as f64).round() as u64;
    format!("{}.{:0width$}", n / scale, n % scale, width = digits as usize)
}

fn print(what: &str, image: &model::Image) {
    let (class, p) = classify(image);
    println!("{what}: class {class} (probability {})", fixed(p[class].into(), 4));
    let probs: Vec<String> = p.iter().enumerate().map(|(i, v)| format!("{i}: {}", fixed((*v).into(), 4))).collect();
    println!("  {}", probs.join("  "));
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut data = None;
    let mut index = None;
    let mut eval_all = false;
    let mut images = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => return Err(USAGE.into()),
            "--eval" => eval_all = true,
            "--index" => {
                let v = args.next().ok_or("--index needs a number")?;
                index = Some(v.parse::<usize>().map_err(|e| format!("--index {v}: {e}"))?);
            }
            "--data" => data = Some(args.next().ok_or("--data needs a directory")?.into()),
            _ if a.starts_with("--") => return Err(format!("unknown flag {a}\n{USAGE}")),
            _ => images.push(a),
        }
    }
    if images.is_empty() && index.is_none() && !eval_all {
        return Err(USAGE.into());
    }
    for path in &images {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let image = read_pgm(&bytes).map_err(|e| format!("{path}: {e}"))?;
        print(path, &image);
    }
    if index.is_some() || eval_all {
        let dir = data.unwrap_or_else(default_data_dir);
        let (images, labels) = test_set(&dir)?;
        if let Some(i) = index {
            let image =
                images.get(i).ok_or_else(|| format!("--index {i}: the test set has {} images", images.len()))?;
            print(&format!("test image {i} (label {})", labels[i]), image);
        }
        if eval_all {
            let (predictions, accuracy) = eval(&images, &labels);
            let correct = predictions.iter().zip(&labels).filter(|(p, l)| **p == usize::from(**l)).count();
            println!("accuracy: {}% ({correct}/{} test images)", fixed(accuracy * 100.0, 2), labels.len());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
