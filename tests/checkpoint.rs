//! Checkpoints: training resumed from a checkpoint written mid-way ends with
//! the same weights, bit for bit, as an uninterrupted run.

use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{Array1, Array2};
use nn::optim::{Adam, Optimizer, Sgd};
use nn::train::{load_checkpoint, optimizer_path, ModelCheckpoint};
use nn::{FitOptions, Model};
use rand::Rng as _;

nn::sequential! {
    /// Every kind of training state: Adam's moments, BatchNorm's statistics, dropout's generator.
    struct Net {
        Input[6],
        Dense(12, elu),
        BatchNorm,
        Dropout(rate = 0.3),
        Dense(4, softmax),
    }
}

fn data() -> (Array2<f32>, Array1<usize>) {
    let mut r = nn::rng::seeded(1);
    let x = Array2::from_shape_fn((120, 6), |_| r.random_range(-1.0f32..1.0));
    let y = Array1::from_shape_fn(120, |i| usize::from(x[[i, 0]] > 0.0) * 2 + usize::from(x[[i, 1]] > 0.0));
    (x, y)
}

fn weights<M: Model>(m: &M) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    m.visit_weights(&mut |_, _, p| out.push(p.to_vec()));
    out
}

fn options<'a>(
    epochs: usize,
    initial_epoch: usize,
    callbacks: Vec<Box<dyn nn::train::Callback + 'a>>,
) -> FitOptions<'a> {
    FitOptions { epochs, initial_epoch, batch_size: 16, seed: Some(3), verbose: 0, callbacks, ..Default::default() }
}

#[test]
fn resumed_training_matches_an_uninterrupted_run() {
    let (x, y) = data();
    let dir = tempfile::tempdir().unwrap();
    let pattern = dir.path().join("ckpt_{epoch}.safetensors");

    // Uninterrupted: 5 epochs, a checkpoint after each.
    let mut a = Net::seeded(7);
    let mut opt_a = Adam::new(5e-3);
    let ha = a
        .fit(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut opt_a,
            options(5, 0, vec![Box::new(ModelCheckpoint::new(&pattern))]),
        )
        .unwrap();
    let ckpt = dir.path().join("ckpt_02.safetensors");
    assert!(ckpt.is_file() && optimizer_path(&ckpt).is_file(), "checkpoint files after epoch 2");
    assert_eq!(optimizer_path(&ckpt).file_name().unwrap(), "ckpt_02.opt.safetensors");

    // Resumed: a fresh model and optimizer, loaded from the epoch-2 checkpoint.
    let mut b = Net::seeded(123);
    let mut opt_b = Adam::new(5e-3);
    let done = load_checkpoint(&mut b, &mut opt_b, &ckpt).unwrap();
    assert_eq!(done, 2);
    let hb = b.fit(&x, &y, &SparseCategoricalCrossentropy, &mut opt_b, options(5, done, vec![])).unwrap();

    assert_eq!(weights(&a), weights(&b), "resumed weights differ from the uninterrupted run's");
    assert_eq!(hb.epoch, vec![2, 3, 4]);
    assert_eq!(&ha.loss[2..], &hb.loss[..]);
    // The plain weights file of a checkpoint loads with load_weights.
    let mut c = Net::seeded(0);
    c.load_weights(dir.path().join("ckpt_05.safetensors")).unwrap();
    assert_eq!(weights(&a), weights(&c));
}

#[test]
fn save_best_only_writes_on_improvement() {
    let (x, y) = data();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("best.safetensors");
    let mut m = Net::seeded(7);
    let h = m
        .fit(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut Sgd::new(0.05),
            FitOptions {
                validation_split: 0.25,
                ..options(
                    3,
                    0,
                    vec![Box::new(ModelCheckpoint::new(&path).save_best_only(true).monitor("val_accuracy"))],
                )
            },
        )
        .unwrap();
    assert!(path.is_file());
    assert_eq!(h.len(), 3);
}

nn::sequential! {
    /// Another model, for checkpoints that do not fit.
    struct Other {
        Input[6],
        Dense(10, elu),
        BatchNorm,
        Dense(4, softmax),
    }
}

fn opt_state(opt: &impl Optimizer) -> Vec<(String, Vec<u32>)> {
    opt.state().into_iter().map(|(k, v)| (k, v.iter().map(|x| x.to_bits()).collect())).collect()
}

#[test]
fn a_bad_checkpoint_leaves_model_and_optimizer_unchanged() {
    let (x, y) = data();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    let state_path = optimizer_path(&path);
    let mut m = Net::seeded(7);
    let mut opt = Adam::new(5e-3);
    m.fit(&x, &y, &SparseCategoricalCrossentropy, &mut opt, options(1, 0, vec![Box::new(ModelCheckpoint::new(&path))]))
        .unwrap();
    let good_state = std::fs::read(&state_path).unwrap();

    // A fresh model and an optimizer that has taken a step, so it has state to lose.
    let fresh = || {
        let mut f = Net::seeded(8);
        let mut o = Adam::new(1e-3);
        f.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut o).unwrap();
        (f, o)
    };
    let check_unchanged = |path: &std::path::Path, want: &str| {
        let (mut f, mut o) = fresh();
        let (before, before_opt) = (weights(&f), opt_state(&o));
        let err = load_checkpoint(&mut f, &mut o, path).unwrap_err();
        assert!(matches!(err, nn::Error::Weights { .. } | nn::Error::Io { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(want), "{msg} does not contain {want}");
        assert_eq!(weights(&f), before, "{msg}: the model changed");
        assert_eq!(opt_state(&o), before_opt, "{msg}: the optimizer changed");
        assert_eq!(o.learning_rate(), 1e-3);
        msg
    };

    // No state file: an error naming it.
    check_unchanged(&dir.path().join("none.safetensors"), "none.opt.safetensors");

    // A truncated state file.
    std::fs::write(&state_path, &good_state[..good_state.len() - 5]).unwrap();
    check_unchanged(&path, "c.opt.safetensors");

    // A state file whose header claims more bytes than the file has.
    let mut lying = good_state.clone();
    lying[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    std::fs::write(&state_path, &lying).unwrap();
    check_unchanged(&path, "header length 1099511627776 is larger than");

    // A checkpoint of another model: its weights do not fit, named.
    let mut other = Other::seeded(1);
    let mut other_opt = Adam::new(5e-3);
    other.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut other_opt).unwrap();
    nn::train::save_checkpoint(&mut other, &other_opt, &path, 1).unwrap();
    check_unchanged(&path, "tensor `model/dense.kernel` has shape [6, 10], expected [6, 12]");

    // The weights fit but the optimizer state does not (a state tensor of the wrong size).
    std::fs::write(&state_path, &good_state).unwrap();
    let mut entries = nn::io::load_all(&state_path).unwrap();
    assert!(entries.iter().any(|(k, _, _)| k == "optimizer/momentum.0"), "Adam's first moment of tensor 0");
    for (k, shape, v) in entries.iter_mut() {
        if k == "optimizer/momentum.0" {
            v.truncate(3);
            *shape = vec![3];
        }
    }
    let refs: Vec<(String, &[usize], &[f32])> = entries.iter().map(|(k, s, v)| (k.clone(), &s[..], &v[..])).collect();
    nn::io::save(&state_path, &refs).unwrap();
    check_unchanged(&path, "optimizer state");

    // A corrupt epoch count or generator state.
    for (key, value) in [("fit/epochs_done", vec![0.5f32, 1.0]), ("fit/dropout_rng", vec![300.0; 56])] {
        let mut entries = {
            std::fs::write(&state_path, &good_state).unwrap();
            nn::io::load_all(&state_path).unwrap()
        };
        for (k, shape, v) in entries.iter_mut() {
            if k == key {
                *shape = vec![value.len()];
                *v = value.clone();
            }
        }
        let refs: Vec<(String, &[usize], &[f32])> =
            entries.iter().map(|(k, s, v)| (k.clone(), &s[..], &v[..])).collect();
        nn::io::save(&state_path, &refs).unwrap();
        check_unchanged(&path, key);
    }

    // The weights file alone missing is fine: the state file holds everything.
    std::fs::write(&state_path, &good_state).unwrap();
    std::fs::remove_file(&path).unwrap();
    let (mut f, mut o) = fresh();
    assert_eq!(load_checkpoint(&mut f, &mut o, &path).unwrap(), 1);
    assert_eq!(weights(&f), weights(&m));
    assert_eq!(opt_state(&o), opt_state(&opt));
}

/// A save killed between its two writes (the state file already new, the
/// weights file still old) resumes from the new, consistent state; the
/// reverse (killed before the state file) resumes from the old one.
#[test]
fn a_save_killed_between_its_two_files_resumes_consistently() {
    let (x, y) = data();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    let mut m = Net::seeded(7);
    let mut opt = Adam::new(5e-3);
    let loss = SparseCategoricalCrossentropy;
    m.fit(&x, &y, &loss, &mut opt, options(1, 0, vec![])).unwrap();
    nn::train::save_checkpoint(&mut m, &opt, &path, 1).unwrap();
    let (w1, s1, weights1, state1) =
        (std::fs::read(&path).unwrap(), std::fs::read(optimizer_path(&path)).unwrap(), weights(&m), opt_state(&opt));
    m.fit(&x, &y, &loss, &mut opt, options(2, 1, vec![])).unwrap();
    nn::train::save_checkpoint(&mut m, &opt, &path, 2).unwrap();
    let (weights2, state2) = (weights(&m), opt_state(&opt));
    assert_ne!(weights1, weights2);

    // Killed after the state file's rename, before the weights file's.
    std::fs::write(&path, &w1).unwrap();
    let (mut r, mut ro) = (Net::seeded(0), Adam::new(5e-3));
    assert_eq!(load_checkpoint(&mut r, &mut ro, &path).unwrap(), 2);
    assert_eq!((weights(&r), opt_state(&ro)), (weights2.clone(), state2));

    // Killed before the state file's rename: the old checkpoint, whole.
    std::fs::write(optimizer_path(&path), &s1).unwrap();
    let (mut r, mut ro) = (Net::seeded(0), Adam::new(5e-3));
    assert_eq!(load_checkpoint(&mut r, &mut ro, &path).unwrap(), 1);
    assert_eq!((weights(&r), opt_state(&ro)), (weights1, state1));
}

#[test]
fn save_freq_checkpoints_resume_mid_epoch() {
    use nn::train::{resume_from_checkpoint, ResumePoint};
    let (x, y) = data();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.safetensors");
    // 120 samples in batches of 16: 8 batches an epoch; a save every 5 batches.
    let mut a = Net::seeded(7);
    let mut opt_a = Adam::new(5e-3);
    let checkpoint = || Box::new(ModelCheckpoint::new(&path).save_freq(5)) as Box<dyn nn::train::Callback>;
    a.fit(&x, &y, &SparseCategoricalCrossentropy, &mut opt_a, options(2, 0, vec![checkpoint()])).unwrap();
    // The last save was after batch 15 of 16: epoch 1 (from 0), 7 batches done.
    let mut b = Net::seeded(0);
    let mut opt_b = Adam::new(5e-3);
    let before = weights(&b);

    // load_checkpoint refuses a mid-epoch checkpoint, before changing anything.
    let err = load_checkpoint(&mut b, &mut opt_b, &path).unwrap_err();
    assert!(matches!(err, nn::Error::Invalid(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("was taken mid-epoch (1 epochs and 7 batches done)"), "{msg}");
    assert_eq!(weights(&b), before);

    let at = resume_from_checkpoint(&mut b, &mut opt_b, &path).unwrap();
    assert_eq!(at, ResumePoint { epoch: 1, batch: 7 });
    b.fit(&x, &y, &SparseCategoricalCrossentropy, &mut opt_b, FitOptions { initial_batch: 7, ..options(2, 1, vec![]) })
        .unwrap();
    assert_eq!(weights(&a), weights(&b), "resumed mid-epoch, the weights differ");

    // A save that falls on an epoch's last batch is an end-of-epoch checkpoint.
    let mut c = Net::seeded(7);
    let cb = Box::new(ModelCheckpoint::new(&path).save_freq(8)) as Box<dyn nn::train::Callback>;
    c.fit(&x, &y, &SparseCategoricalCrossentropy, &mut Adam::new(5e-3), options(2, 0, vec![cb])).unwrap();
    assert_eq!(load_checkpoint(&mut Net::seeded(0), &mut Adam::new(5e-3), &path).unwrap(), 2);

    // initial_batch past the epoch's batches is an error naming both.
    let err = b
        .fit(
            &x,
            &y,
            &SparseCategoricalCrossentropy,
            &mut opt_b,
            FitOptions { initial_batch: 8, ..options(3, 2, vec![]) },
        )
        .unwrap_err();
    assert!(matches!(err, nn::Error::Invalid(_)), "{err:?}");
    assert_eq!(err.to_string(), "fit: initial_batch 8 is not less than the 8 batches of an epoch");
}
