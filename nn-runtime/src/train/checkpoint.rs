//! Checkpoints that resume training exactly: the weights file (the one
//! `save_weights` writes) and, beside it, `<stem>.opt.safetensors` with the
//! optimizer's state (`optimizer/<name>`), the dropout generator's state
//! (`fit/dropout_rng`), the learning rate and the number of finished epochs.
//! Both files are written atomically, the optimizer's first.

use std::path::{Path, PathBuf};

use safetensors::tensor::Dtype;
use safetensors::SafeTensors;

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

const OPT_PREFIX: &str = "optimizer/";
const EPOCH_KEY: &str = "fit/epochs_done";
const LR_KEY: &str = "fit/learning_rate";
const RNG_KEY: &str = "fit/dropout_rng";

/// The optimizer-state file of the checkpoint whose weights are at `path`:
/// `dir/name.safetensors` -> `dir/name.opt.safetensors`.
pub fn optimizer_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().map_or_else(|| "checkpoint".into(), |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}.opt.safetensors"))
}

/// Saves a checkpoint after `epochs_done` epochs: the weights at `path` and
/// the optimizer state, dropout generator and epoch count at
/// [`optimizer_path`]`(path)`.
pub fn save_checkpoint<M: Model, O: Optimizer>(
    m: &mut M,
    opt: &O,
    path: impl AsRef<Path>,
    epochs_done: usize,
) -> Result<()> {
    save_dyn(m, opt, path.as_ref(), epochs_done)
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

pub(crate) fn save_dyn(m: &mut dyn DynModel, opt: &dyn Optimizer, path: &Path, epochs_done: usize) -> Result<()> {
    let mut entries: Vec<(String, Vec<usize>, Vec<f32>)> =
        opt.state().into_iter().map(|(k, v)| (format!("{OPT_PREFIX}{k}"), vec![v.len()], v)).collect();
    // The epoch count as two exact halves (f32 holds integers exactly up to 2^24).
    entries.push((EPOCH_KEY.into(), vec![2], vec![(epochs_done >> 16) as f32, (epochs_done & 0xffff) as f32]));
    entries.push((LR_KEY.into(), vec![1], vec![opt.learning_rate()]));
    if let Some(r) = m.dropout_rng() {
        entries.push((RNG_KEY.into(), vec![56], encode_rng(r)));
    }
    let refs: Vec<(String, &[usize], &[f32])> =
        entries.iter().map(|(k, s, d)| (k.clone(), s.as_slice(), d.as_slice())).collect();
    io::save(&optimizer_path(path), &refs)?;

    let mut weights = Vec::new();
    m.visit(&mut |layer, name, p| weights.push((format!("{layer}.{name}"), p.shape(), p.to_vec())));
    let refs: Vec<(String, &[usize], &[f32])> = weights.iter().map(|(k, s, d)| (k.clone(), *s, d.as_slice())).collect();
    io::save(path, &refs)
}

/// Every tensor of a safetensors file, F32 only.
fn read_all(path: &Path) -> Result<Vec<(String, Vec<f32>)>> {
    let err = |reason: String| Error::Weights { path: path.to_path_buf(), reason };
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| err(format!("not a safetensors file: {e}")))?;
    let mut out = Vec::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(err(format!("tensor `{name}` has dtype {}, expected F32", view.dtype())));
        }
        let data = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        out.push((name, data));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Loads a checkpoint written by [`save_checkpoint`] (or `ModelCheckpoint`):
/// the weights, the optimizer state and the dropout generator. Returns the
/// number of epochs done, to pass as `FitOptions::initial_epoch`. All or
/// nothing: on any error the model and the optimizer are unchanged.
pub fn load_checkpoint<M: Model, O: Optimizer + ?Sized>(
    m: &mut M,
    opt: &mut O,
    path: impl AsRef<Path>,
) -> Result<usize> {
    let path = path.as_ref();
    let opt_path = optimizer_path(path);
    let err = |reason: String| Error::Weights { path: opt_path.clone(), reason };
    let entries = read_all(&opt_path)?;
    let mut state = Vec::new();
    let (mut epochs, mut lr, mut gen) = (None, None, None);
    for (k, v) in entries {
        if let Some(name) = k.strip_prefix(OPT_PREFIX) {
            state.push((name.to_string(), v));
        } else if k == EPOCH_KEY && v.len() == 2 {
            epochs = Some(((v[0] as usize) << 16) + v[1] as usize);
        } else if k == LR_KEY && v.len() == 1 {
            lr = Some(v[0]);
        } else if k == RNG_KEY {
            gen = Some(decode_rng(&v).ok_or_else(|| err(format!("tensor `{RNG_KEY}` is not a generator state")))?);
        } else {
            return Err(err(format!("unexpected tensor `{k}` (or misshaped: {} values)", v.len())));
        }
    }
    let epochs = epochs.ok_or_else(|| err(format!("tensor `{EPOCH_KEY}` is missing")))?;
    let lr = lr.ok_or_else(|| err(format!("tensor `{LR_KEY}` is missing")))?;

    let mut before = Vec::new();
    m.visit_weights(&mut |_, _, p| before.push(p.to_vec()));
    crate::model::load_weights(m, path)?;
    if let Err(e) = opt.load_state(&state) {
        let mut it = before.iter();
        m.visit_weights_mut(&mut |_, _, p| {
            if let Some(w) = it.next() {
                p.as_mut_slice().copy_from_slice(w);
            }
        });
        return Err(e);
    }
    if opt.learning_rate() != lr {
        opt.set_learning_rate(lr);
    }
    m.slot().rng = gen;
    Ok(epochs)
}
