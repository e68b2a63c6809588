//! Checkpoints that resume training exactly, and survive being killed.
//!
//! A checkpoint is two files:
//!
//! - the *state file* `<stem>.opt.safetensors` ([`optimizer_path`]), the
//!   whole training state in one file with distinct key prefixes: every
//!   weight (`model/<layer>.<weight>`), the optimizer's state
//!   (`optimizer/<name>`), the dropout generator's state (`fit/dropout_rng`),
//!   the learning rate (`fit/learning_rate`) and the number of finished
//!   epochs (`fit/epochs_done`);
//! - the weights file at the checkpoint's path, the one `save_weights`
//!   writes, for `load_weights` and for people.
//!
//! Each file is replaced atomically, the state file first. Resuming
//! ([`load_checkpoint`]) reads the state file only, so a process killed at
//! any moment (even between the two writes) leaves a consistent checkpoint:
//! the previous one or the new one, never weights of one epoch with the
//! optimizer state of another. A state file of the older two-file format
//! (no `model/` tensors) is still read, together with the weights file.

use std::path::{Path, PathBuf};

use crate::model::Model;
use crate::optim::Optimizer;
use crate::{io, Error, Param, Result, Rng};

/// A model seen through `dyn`, for callbacks.
pub(crate) trait DynModel {
    fn visit(&self, f: &mut dyn FnMut(&'static str, &'static str, &Param));
    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &'static str, &mut Param));
    fn dropout_rng(&mut self) -> &mut Option<Rng>;
}

impl<M: Model> DynModel for M {
    fn visit(&self, f: &mut dyn FnMut(&'static str, &'static str, &Param)) {
        self.visit_weights(f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &'static str, &mut Param)) {
        self.visit_weights_mut(f);
    }
    fn dropout_rng(&mut self) -> &mut Option<Rng> {
        &mut self.slot().rng
    }
}

const MODEL_PREFIX: &str = "model/";
const OPT_PREFIX: &str = "optimizer/";
const EPOCH_KEY: &str = "fit/epochs_done";
const BATCH_KEY: &str = "fit/batches_done";
const LR_KEY: &str = "fit/learning_rate";
const RNG_KEY: &str = "fit/dropout_rng";

/// The optimizer-state file of the checkpoint whose weights are at `path`:
/// `dir/name.safetensors` -> `dir/name.opt.safetensors`.
pub fn optimizer_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().map_or_else(|| "checkpoint".into(), |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}.opt.safetensors"))
}

/// Saves a checkpoint after `epochs_done` epochs: the whole training state
/// (weights, optimizer state, dropout generator, learning rate and epoch
/// count) at [`optimizer_path`]`(path)`, then the weights alone at `path`.
/// Both are replaced atomically; see the module documentation.
pub fn save_checkpoint<M: Model, O: Optimizer>(
    m: &mut M,
    opt: &O,
    path: impl AsRef<Path>,
    epochs_done: usize,
) -> Result<()> {
    save_dyn(m, opt, path.as_ref(), epochs_done, 0)
}

/// Exact `f32` encoding of bytes (each byte a value 0..=255).
fn bytes_to_f32(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes.iter().map(|&b| f32::from(b))
}

/// The generator's full state as exact small integers: seed (32 bytes),
/// stream (8 bytes), word position (16 bytes).
fn encode_rng(r: &Rng) -> Vec<f32> {
    let mut v: Vec<f32> = bytes_to_f32(&r.get_seed()).collect();
    v.extend(bytes_to_f32(&r.get_stream().to_le_bytes()));
    v.extend(bytes_to_f32(&r.get_word_pos().to_le_bytes()));
    v
}

fn decode_rng(v: &[f32]) -> Option<Rng> {
    use rand::SeedableRng;
    if v.len() != 56 || v.iter().any(|&x| !(0.0..=255.0).contains(&x) || x.fract() != 0.0) {
        return None;
    }
    let b: Vec<u8> = v.iter().map(|&x| x as u8).collect();
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&b[..32]);
    let mut r = Rng::from_seed(seed);
    r.set_stream(u64::from_le_bytes(b[32..40].try_into().ok()?));
    r.set_word_pos(u128::from_le_bytes(b[40..56].try_into().ok()?));
    Some(r)
}

/// Saves a checkpoint taken after `epochs_done` epochs and `batches_done`
/// batches of the next one.
pub(crate) fn save_dyn(
    m: &mut dyn DynModel,
    opt: &dyn Optimizer,
    path: &Path,
    epochs_done: usize,
    batches_done: usize,
) -> Result<()> {
    let mut entries: Vec<(String, Vec<usize>, Vec<f32>)> =
        opt.state().into_iter().map(|(k, v)| (format!("{OPT_PREFIX}{k}"), vec![v.len()], v)).collect();
    // The epoch count as two exact halves (f32 holds integers exactly up to 2^24).
    entries.push((EPOCH_KEY.into(), vec![2], encode_count(epochs_done)));
    if batches_done > 0 {
        entries.push((BATCH_KEY.into(), vec![2], encode_count(batches_done)));
    }
    entries.push((LR_KEY.into(), vec![1], vec![opt.learning_rate()]));
    if let Some(r) = m.dropout_rng() {
        entries.push((RNG_KEY.into(), vec![56], encode_rng(r)));
    }
    let mut weights = Vec::new();
    m.visit(&mut |layer, name, p| weights.push((format!("{layer}.{name}"), p.shape(), p.to_vec())));
    entries.extend(weights.iter().map(|(k, s, d)| (format!("{MODEL_PREFIX}{k}"), s.to_vec(), d.clone())));
    let refs: Vec<(String, &[usize], &[f32])> =
        entries.iter().map(|(k, s, d)| (k.clone(), s.as_slice(), d.as_slice())).collect();
    // The state file is the commit point: once it is renamed into place the
    // new checkpoint is complete, whatever happens to the weights file.
    io::save(&optimizer_path(path), &refs)?;

    let refs: Vec<(String, &[usize], &[f32])> = weights.iter().map(|(k, s, d)| (k.clone(), *s, d.as_slice())).collect();
    io::save(path, &refs)
}

/// A count (below 2^32) as two exact halves (f32 holds integers exactly up to 2^24).
fn encode_count(n: usize) -> Vec<f32> {
    vec![((n >> 16) & 0xffff) as f32, (n & 0xffff) as f32]
}

/// A count stored as two exact halves, each an integer in `0..65536`.
fn decode_count(v: &[f32]) -> Option<usize> {
    let half = |x: f32| (x.fract() == 0.0 && (0.0..65536.0).contains(&x)).then_some(x as usize);
    match v {
        [hi, lo] => Some((half(*hi)? << 16) + half(*lo)?),
        _ => None,
    }
}

/// Where a checkpoint was taken: after `epoch` finished epochs and `batch`
/// batches of the next (0 for a checkpoint taken at the end of an epoch).
/// Resume with `FitOptions { initial_epoch: epoch, initial_batch: batch, .. }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePoint {
    /// Epochs finished: `FitOptions::initial_epoch`.
    pub epoch: usize,
    /// Batches of epoch `epoch` finished: `FitOptions::initial_batch`.
    pub batch: usize,
}

/// Loads a checkpoint taken at the end of an epoch, written by
/// [`save_checkpoint`] or `ModelCheckpoint`: the weights, the optimizer
/// state, the learning rate and the dropout generator, all from the state
/// file [`optimizer_path`]`(path)`. Returns the number of epochs done, to
/// pass as `FitOptions::initial_epoch`. A checkpoint taken mid-epoch
/// (`ModelCheckpoint::save_freq`) is an error here, before anything changes:
/// it resumes with [`resume_from_checkpoint`], which also returns the batch.
///
/// All or nothing: every tensor is checked (names, shapes, the optimizer
/// state's sizes against the model's trainable tensors, the epoch count, the
/// learning rate, the generator state) before anything changes; on any error
/// the model and the optimizer are unchanged and the error names the file
/// and the tensor.
pub fn load_checkpoint<M: Model, O: Optimizer + ?Sized>(
    m: &mut M,
    opt: &mut O,
    path: impl AsRef<Path>,
) -> Result<usize> {
    load(m, opt, path.as_ref(), false).map(|at| at.epoch)
}

/// Loads any checkpoint, one taken mid-epoch included (see
/// [`load_checkpoint`], all or nothing in the same way) and returns where it
/// was taken, for `FitOptions::initial_epoch` and `initial_batch`.
pub fn resume_from_checkpoint<M: Model, O: Optimizer + ?Sized>(
    m: &mut M,
    opt: &mut O,
    path: impl AsRef<Path>,
) -> Result<ResumePoint> {
    load(m, opt, path.as_ref(), true)
}

fn load<M: Model, O: Optimizer + ?Sized>(m: &mut M, opt: &mut O, path: &Path, mid_epoch: bool) -> Result<ResumePoint> {
    let opt_path = optimizer_path(path);
    let err = |reason: String| Error::Weights { path: opt_path.clone(), reason };
    let entries = io::load_all(&opt_path)?;
    let mut state = Vec::new();
    let mut stored = std::collections::HashMap::new();
    let (mut epochs, mut batches, mut lr, mut gen) = (None, 0, None, None);
    for (k, shape, v) in entries {
        if let Some(name) = k.strip_prefix(MODEL_PREFIX) {
            stored.insert(name.to_string(), (shape, v));
        } else if let Some(name) = k.strip_prefix(OPT_PREFIX) {
            state.push((name.to_string(), v));
        } else if k == EPOCH_KEY {
            epochs = Some(decode_count(&v).ok_or_else(|| err(format!("tensor `{EPOCH_KEY}` is not an epoch count")))?);
        } else if k == BATCH_KEY {
            batches = decode_count(&v).ok_or_else(|| err(format!("tensor `{BATCH_KEY}` is not a batch count")))?;
        } else if k == LR_KEY {
            match v[..] {
                [x] if x.is_finite() && x >= 0.0 => lr = Some(x),
                _ => return Err(err(format!("tensor `{LR_KEY}` is not a learning rate: {v:?}"))),
            }
        } else if k == RNG_KEY {
            gen = Some(decode_rng(&v).ok_or_else(|| err(format!("tensor `{RNG_KEY}` is not a generator state")))?);
        } else {
            return Err(err(format!("unexpected tensor `{k}`")));
        }
    }
    let epochs = epochs.ok_or_else(|| err(format!("tensor `{EPOCH_KEY}` is missing")))?;
    let lr = lr.ok_or_else(|| err(format!("tensor `{LR_KEY}` is missing")))?;
    if batches > 0 && !mid_epoch {
        return Err(Error::Invalid(format!(
            "checkpoint {} was taken mid-epoch ({epochs} epochs and {batches} batches done): \
             resume it with resume_from_checkpoint and FitOptions::initial_batch",
            opt_path.display()
        )));
    }

    // The new weights, checked against the model before anything changes.
    let new_weights: Vec<Vec<f32>> = if stored.is_empty() {
        // The older format: the weights live only in the weights file.
        let mut expected = Vec::new();
        m.visit_weights(&mut |layer, name, p| expected.push((format!("{layer}.{name}"), p.shape())));
        io::load(path, &expected)?
    } else {
        let mut problems = Vec::new();
        let mut values = Vec::new();
        m.visit_weights(&mut |layer, name, p| {
            let key = format!("{layer}.{name}");
            match stored.remove(&key) {
                None => problems.push(format!("tensor `{MODEL_PREFIX}{key}` is missing")),
                Some((shape, _)) if shape != p.shape() => {
                    problems.push(format!("tensor `{MODEL_PREFIX}{key}` has shape {shape:?}, expected {:?}", p.shape()))
                }
                Some((_, v)) => values.push(v),
            }
        });
        let mut extra: Vec<&String> = stored.keys().collect();
        extra.sort();
        for key in extra {
            problems.push(format!("unexpected tensor `{MODEL_PREFIX}{key}` (the model has no such weight)"));
        }
        if !problems.is_empty() {
            return Err(err(problems.join("; ")));
        }
        values
    };

    // The optimizer: load, check the sizes against the model's trainable
    // tensors (numbered as the training step numbers them: every weight but
    // the moving statistics), and put the old state back on any error.
    let mut sizes = Vec::new();
    crate::model::visit_trainable(m, &mut |_, _, p| sizes.push(p.len()));
    let (old_state, old_lr) = (opt.state(), opt.learning_rate());
    let loaded = opt.load_state(&state).and_then(|()| opt.check_tensor_sizes(&sizes));
    if let Err(e) = loaded {
        // The old state came from this optimizer; restoring it cannot fail
        // in a way that leaves it half-changed (load_state is all or nothing).
        let _ = opt.load_state(&old_state);
        if opt.learning_rate() != old_lr {
            opt.set_learning_rate(old_lr);
        }
        return Err(match e {
            Error::Invalid(reason) => err(format!("optimizer state: {reason}")),
            e => e,
        });
    }
    if opt.learning_rate() != lr {
        opt.set_learning_rate(lr);
    }

    let mut it = new_weights.into_iter();
    m.visit_weights_mut(&mut |_, _, p| {
        if let Some(w) = it.next() {
            p.as_mut_slice().copy_from_slice(&w);
        }
    });
    m.slot().rng = gen;
    Ok(ResumePoint { epoch: epochs, batch: batches })
}
