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

#[test]
fn a_bad_checkpoint_leaves_model_and_optimizer_unchanged() {
    let (x, y) = data();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    let mut m = Net::seeded(7);
    let mut opt = Adam::new(5e-3);
    m.fit(&x, &y, &SparseCategoricalCrossentropy, &mut opt, options(1, 0, vec![Box::new(ModelCheckpoint::new(&path))]))
        .unwrap();

    // The weights file is missing: an error naming it, nothing changed.
    std::fs::remove_file(&path).unwrap();
    let mut fresh = Net::seeded(8);
    let mut fresh_opt = Adam::new(1e-3);
    let before = weights(&fresh);
    let err = load_checkpoint(&mut fresh, &mut fresh_opt, &path).unwrap_err();
    assert!(err.to_string().contains("c.safetensors"), "{err}");
    assert_eq!(weights(&fresh), before);
    assert_eq!(fresh_opt.learning_rate(), 1e-3);

    // No optimizer file: an error naming it.
    let err = load_checkpoint(&mut fresh, &mut fresh_opt, dir.path().join("none.safetensors")).unwrap_err();
    assert!(err.to_string().contains("none.opt.safetensors"), "{err}");
    assert_eq!(weights(&fresh), before);
}
