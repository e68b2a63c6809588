//! Interrupted training resumes exactly: a child process runs `fit` with a
//! `ModelCheckpoint` (every epoch, or every 7 batches with `save_freq`) and
//! is killed with SIGKILL at a random batch after its first checkpoint
//! (mid-epoch, sometimes mid-save); the parent resumes from the checkpoint
//! (weights, optimizer state, epoch and batch, dropout generator) and the
//! final weights and optimizer state equal an uninterrupted run's, bit for
//! bit. The child reports each finished batch on its stdout, so the kills
//! land where they are aimed whatever the machine's speed.
//!
//! The models here are too small for the gemm's helper thread: every run is
//! single-threaded, as the bit-for-bit comparison requires.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{Array1, Array2};
use nn::optim::{Adam, Optimizer};
use nn::train::{resume_from_checkpoint, Callback, Context, ModelCheckpoint};
use nn::{FitOptions, Model};
use rand::{Rng as _, SeedableRng};

nn::sequential! {
    /// Every kind of training state: Adam's moments, BatchNorm's statistics, dropout's generator.
    struct Net {
        Input[32],
        Dense(64, elu),
        BatchNorm,
        Dropout(rate = 0.2),
        Dense(4, softmax),
    }
}

const CHILD_ENV: &str = "NN_KILL_FIT_CHILD";
const EPOCHS: usize = 8;
const ROUNDS: usize = 10;
const SAMPLES: usize = 1536;
const BATCH: usize = 16;
const STEPS: usize = SAMPLES / BATCH;
/// Batches between checkpoints in the `save_freq` rounds (not a divisor of `STEPS`).
const SAVE_FREQ: usize = 7;

fn data() -> (Array2<f32>, Array1<usize>) {
    let mut r = nn::rng::seeded(11);
    let x = Array2::from_shape_fn((SAMPLES, 32), |_| r.random_range(-1.0f32..1.0));
    let y =
        Array1::from_shape_fn(SAMPLES, |i| usize::from(x[[i, 0]] > 0.0) * 2 + usize::from(x[[i, 1]] + x[[i, 2]] > 0.0));
    (x, y)
}

/// Prints `<epoch> <batch>` after every batch (the child's progress report).
struct Report;

impl Callback for Report {
    fn on_train_batch_end(&mut self, epoch: usize, batch: usize, _: &mut Context<'_>) -> nn::Result<()> {
        println!("{epoch} {batch}");
        Ok(())
    }
}

fn checkpoint(path: &Path, save_freq: bool) -> Box<dyn Callback> {
    let c = ModelCheckpoint::new(path);
    Box::new(if save_freq { c.save_freq(SAVE_FREQ) } else { c })
}

fn options<'a>(initial_epoch: usize, initial_batch: usize, callbacks: Vec<Box<dyn Callback>>) -> FitOptions<'a> {
    FitOptions {
        epochs: EPOCHS,
        initial_epoch,
        initial_batch,
        batch_size: BATCH,
        seed: Some(5),
        verbose: 0,
        callbacks,
        ..Default::default()
    }
}

/// Every weight and every optimizer state value, as bits.
/// Bits of every weight, and of every optimizer state tensor by name.
type Fingerprint = (Vec<Vec<u32>>, Vec<(String, Vec<u32>)>);

fn fingerprint<M: Model>(m: &M, opt: &impl Optimizer) -> Fingerprint {
    let mut w = Vec::new();
    m.visit_weights(&mut |_, _, p| w.push(p.iter().map(|v| v.to_bits()).collect()));
    let s = opt.state().into_iter().map(|(k, v)| (k, v.iter().map(|x| x.to_bits()).collect())).collect();
    (w, s)
}

/// Run by the child process only: trains with checkpoints (`<path>` for one
/// per epoch, `<path>:freq` for one every `SAVE_FREQ` batches), reporting
/// every batch.
#[test]
fn child_trainer() {
    let Ok(arg) = std::env::var(CHILD_ENV) else { return };
    let (path, freq) = match arg.strip_suffix(":freq") {
        Some(p) => (p.to_string(), true),
        None => (arg, false),
    };
    let (x, y) = data();
    let mut m = Net::seeded(3);
    let mut opt = Adam::new(2e-3);
    let callbacks = vec![checkpoint(Path::new(&path), freq), Box::new(Report)];
    m.fit(&x, &y, &SparseCategoricalCrossentropy, &mut opt, options(0, 0, callbacks)).expect("fit");
}

#[test]
fn killed_fit_resumes_bit_for_bit() {
    let started = Instant::now();
    let (x, y) = data();
    let loss = SparseCategoricalCrossentropy;

    // The uninterrupted run.
    let mut reference = Net::seeded(3);
    let mut ref_opt = Adam::new(2e-3);
    let ref_dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let callbacks = vec![checkpoint(&ref_dir.path().join("r.safetensors"), false)];
    reference.fit(&x, &y, &loss, &mut ref_opt, options(0, 0, callbacks)).unwrap();
    let run_time = t.elapsed();
    let want = fingerprint(&reference, &ref_opt);

    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let mut resumed_from = Vec::new();
    let mut missed = 0;
    let mut round = 0;
    while round < ROUNDS {
        let freq = round % 2 == 1;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.safetensors");
        let arg = if freq { format!("{}:freq", path.display()) } else { path.display().to_string() };
        let mut child = Command::new(&exe)
            .args(["--exact", "child_trainer", "--nocapture", "--test-threads", "1"])
            .env(CHILD_ENV, arg)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill at a random batch after the first checkpoint, two epochs before the end.
        let first_checkpoint = if freq { SAVE_FREQ } else { STEPS };
        let target = rng.random_range(first_checkpoint + 1..STEPS * (EPOCHS - 2));
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut reached = false;
        for line in stdout.lines() {
            let line = line.unwrap();
            let Some((e, b)) = line.split_once(' ') else { continue };
            let (Ok(e), Ok(b)) = (e.parse::<usize>(), b.trim().parse::<usize>()) else { continue };
            if e * STEPS + b + 1 >= target {
                reached = true;
                break;
            }
        }
        assert!(reached, "round {round}: the child ended before batch {target}");
        std::thread::sleep(Duration::from_micros(rng.random_range(0..3_000)));
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        if !running {
            // This process was descheduled for two epochs of the child's: try again.
            missed += 1;
            assert!(missed <= ROUNDS, "{missed} children finished before the kill: the machine is too loaded");
            continue;
        }

        // Resume from the checkpoint, in a fresh model and optimizer.
        let mut m = Net::seeded(99);
        let mut opt = Adam::new(2e-3);
        let at = resume_from_checkpoint(&mut m, &mut opt, &path)
            .unwrap_or_else(|e| panic!("round {round}: the checkpoint does not load: {e}"));
        assert!(at.epoch < EPOCHS && at.epoch * STEPS + at.batch >= first_checkpoint, "round {round}: {at:?}");
        if !freq {
            assert_eq!(at.batch, 0, "round {round}: per-epoch checkpoints are at epoch ends");
        }
        let callbacks = vec![checkpoint(&path, freq)];
        m.fit(&x, &y, &loss, &mut opt, options(at.epoch, at.batch, callbacks)).unwrap();
        assert!(
            fingerprint(&m, &opt) == want,
            "round {round}: resumed from {at:?}, the final weights or optimizer state differ"
        );
        // The resumed run's saves removed what the killed writer left.
        let litter: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(litter.is_empty(), "round {round}: temporary files left: {litter:?}");
        resumed_from.push((at.epoch, at.batch));
        round += 1;
    }
    let mid_epoch = resumed_from.iter().filter(|(_, b)| *b > 0).count();
    assert!(mid_epoch > 0, "no save_freq round resumed mid-epoch: {resumed_from:?}");
    eprintln!(
        "{ROUNDS} kills, resumed from (epoch, batch) {resumed_from:?} ({mid_epoch} mid-epoch), all bit for bit; \
         {missed} children finished before their kill; one run {run_time:?}, test {:?}",
        started.elapsed()
    );
}
