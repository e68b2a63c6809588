//! Keras's optimizers and learning-rate schedules.
//!
//! The training loop calls [`Optimizer::begin_step`] once per batch, then
//! [`Optimizer::update`] for each trainable tensor in a fixed order, so an
//! optimizer keeps its per-tensor state (momenta, accumulators) by index and
//! allocates only on the first step.
//!
//! Every optimizer follows Keras 3's update rule for the TensorFlow backend
//! operation by operation in `f32`, including where Keras rounds a Python
//! float hyper-parameter to `f32`, so that a step matches Keras to the last
//! bit or two (`tests/optim.rs` compares with numbers produced by Keras).
//!
//! | type | Keras | defaults | builder methods |
//! | --- | --- | --- | --- |
//! | [`Sgd`] | `SGD` | momentum 0, nesterov off | [`momentum`](Sgd::momentum), [`nesterov`](Sgd::nesterov) |
//! | [`Adam`] | `Adam` | 0.9, 0.999, 1e-7 | [`beta_1`](Adam::beta_1), [`beta_2`](Adam::beta_2), [`epsilon`](Adam::epsilon) |
//! | [`Nadam`] | `Nadam` | 0.9, 0.999, 1e-7 | as Adam |
//! | [`Adamax`] | `Adamax` | 0.9, 0.999, 1e-7 | as Adam |
//! | [`AdamW`] | `AdamW` | as Adam, weight decay 0.004 | Adam's, [`weight_decay`](AdamW::weight_decay) |
//! | [`RmsProp`] | `RMSprop` | rho 0.9, momentum 0, 1e-7, not centered | [`rho`](RmsProp::rho), [`momentum`](RmsProp::momentum), [`epsilon`](RmsProp::epsilon), [`centered`](RmsProp::centered) |
//! | [`Adagrad`] | `Adagrad` | initial accumulator 0.1, 1e-7 | [`initial_accumulator_value`](Adagrad::initial_accumulator_value), [`epsilon`](Adagrad::epsilon) |
//!
//! Every optimizer also has `.clipnorm(f)` (each gradient tensor rescaled so
//! that its own L2 norm is at most `f`, as Keras 3's `clipnorm`) and
//! `.clipvalue(f)` (each gradient element clamped to `[-f, f]`); as in Keras,
//! only one of the two may be set.
//!
//! # Hyper-parameters
//!
//! Every value a builder takes is checked by [`Optimizer::validate`], which
//! training calls before each step changes anything: a value outside the
//! range Keras accepts is an [`Error::Invalid`] naming the optimizer and the
//! parameter (`Sgd: learning_rate must be a finite number >= 0, got NaN`),
//! and the model and the optimizer are left as they were. The learning rate
//! (a constant, every schedule parameter, and the rate a schedule gives at
//! the step) must be a finite number `>= 0` (Keras accepts 0); clipping
//! thresholds a finite number `> 0`; the rest are documented on each
//! builder. An optimizer's state belongs to the first model it steps
//! ([`Optimizer::check_model`]); using it for another is an error, as in Keras.
//!
//! The learning rate is a constant or a schedule ([`ExponentialDecay`],
//! [`PiecewiseConstantDecay`], [`InverseTimeDecay`], [`OneCycle`]), evaluated
//! at the number of steps completed before the current one, as Keras does.
//!
//! # In a training loop
//!
//! - Per batch: [`begin_step`](Optimizer::begin_step) once, then
//!   [`update`](Optimizer::update)`(i, param, grad)` for the trainable
//!   tensors, `i` numbering them the same way at every step (the index keys
//!   the per-tensor state). Clipping rewrites `grad` in place.
//! - Between steps, [`learning_rate`](Optimizer::learning_rate) is the rate
//!   of the next step; callbacks (`LearningRateScheduler`,
//!   `ReduceLROnPlateau`) call [`set_learning_rate`](Optimizer::set_learning_rate)
//!   between steps.
//! - Checkpoints: [`state`](Optimizer::state) between steps gives named flat
//!   `f32` tensors (`"iterations"`, `"learning_rate"` when constant, Nadam's
//!   `"u_product"`, then `"<slot>.<index>"` with Keras's slot names such as
//!   `"momentum.0"`, `"velocity.0"`); store each as an F32 tensor. To resume,
//!   build the optimizer with the same hyper-parameters, call
//!   [`load_state`](Optimizer::load_state), then
//!   [`check_tensor_sizes`](Optimizer::check_tensor_sizes) with the model's
//!   trainable tensor sizes.
//!
//! # Example
//!
//! ```
//! use nn_runtime::optim::{Adam, ExponentialDecay, Optimizer, Sgd};
//!
//! // Two trainable tensors, e.g. a kernel and a bias.
//! let mut kernel = vec![0.5_f32, -1.25, 2.0];
//! let mut bias = vec![0.0_f32];
//!
//! let mut opt = Sgd::new(0.1).momentum(0.9).nesterov(true).clipnorm(1.0);
//! for _ in 0..3 {
//!     // Gradients from the backward pass; clipping may change them in place.
//!     let mut g_kernel = vec![0.1_f32, -0.2, 0.3];
//!     let mut g_bias = vec![0.5_f32];
//!     opt.begin_step();
//!     opt.update(0, &mut kernel, &mut g_kernel);
//!     opt.update(1, &mut bias, &mut g_bias);
//! }
//! assert!(kernel[0] < 0.5 && bias[0] < 0.0);
//!
//! // A checkpoint holds the optimizer's state next to the weights.
//! let saved = opt.state();
//! let mut resumed = Sgd::new(0.1).momentum(0.9).nesterov(true).clipnorm(1.0);
//! resumed.load_state(&saved)?;
//! assert_eq!(resumed.state(), saved);
//!
//! // A schedule instead of a constant learning rate.
//! let adam = Adam::new(ExponentialDecay::new(0.01, 20_000, 0.1)).beta_1(0.95);
//! assert_eq!(adam.learning_rate(), 0.01);
//! # Ok::<(), nn_runtime::Error>(())
//! ```

mod adagrad;
mod adam;
mod adamax;
mod hyper;
mod nadam;
mod rmsprop;
mod schedules;
mod sgd;

pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW};
pub use adamax::Adamax;
pub use nadam::Nadam;
pub use rmsprop::RmsProp;
pub use schedules::{
    CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay, LearningRate, OneCycle,
    PiecewiseConstantDecay, PolynomialDecay,
};
pub use sgd::Sgd;

pub(crate) use hyper::{check, Range};

use crate::{Error, Result};

/// The trainable tensors of the model a training step is for, as
/// [`Optimizer::check_model`] sees them: each one's layer and weight name
/// (`dense`, `kernel`) and shape, in the order [`Optimizer::update`] numbers
/// them. They are enumerated on demand, so a check allocates nothing.
pub struct ModelTensors<'a> {
    visit: &'a TensorVisitor<'a>,
}

/// What [`ModelTensors::new`] takes: a function that calls its argument with
/// (layer name, weight name, shape) of each tensor, in update order.
pub type TensorVisitor<'a> = dyn Fn(&mut dyn FnMut(&str, &str, &[usize])) + 'a;

impl<'a> ModelTensors<'a> {
    /// The tensors that `visit` enumerates.
    pub fn new(visit: &'a TensorVisitor<'a>) -> Self {
        ModelTensors { visit }
    }

    /// Calls `f` with (index, layer name, weight name, shape) of each tensor.
    pub fn for_each(&self, mut f: impl FnMut(usize, &str, &str, &[usize])) {
        let mut index = 0;
        (self.visit)(&mut |layer, weight, shape| {
            f(index, layer, weight, shape);
            index += 1;
        });
    }

    /// A hash (64-bit FNV-1a) of every tensor's names and shape, in order:
    /// two models with the same tensors have the same fingerprint.
    pub fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        self.for_each(|_, layer, weight, shape| {
            eat(layer.as_bytes());
            eat(b".");
            eat(weight.as_bytes());
            eat(&(shape.len() as u64).to_le_bytes());
            for &d in shape {
                eat(&(d as u64).to_le_bytes());
            }
        });
        h
    }

    /// The tensors as text: `dense.kernel [4, 8], dense.bias [8]`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        self.for_each(|_, layer, weight, shape| parts.push(format!("{layer}.{weight} {shape:?}")));
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// An optimizer: Keras's update rule for one tensor at a time.
pub trait Optimizer {
    /// Checks every hyper-parameter against the range Keras accepts (see the
    /// [module documentation](self)), and that the learning rate of the next
    /// step is a finite number `>= 0`; the error names the optimizer and the
    /// parameter. Training calls it before each step changes anything. The
    /// default accepts everything.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Checks, before a step changes anything, that this optimizer's
    /// per-tensor state belongs to the model whose trainable tensors are
    /// `tensors`. The first call binds a new optimizer (or one whose state
    /// was just loaded, after checking the state's sizes) to them; a later
    /// call with other tensors is an [`Error::Invalid`] saying that the state
    /// belongs to another model, as Keras refuses an optimizer built for other
    /// variables. Models with the same tensors (two of one `sequential!`
    /// type) share an optimizer fine. The default accepts everything.
    fn check_model(&mut self, tensors: &ModelTensors<'_>) -> Result<()> {
        let _ = tensors;
        Ok(())
    }

    /// Starts a step: advances the iteration count (and the learning-rate schedule).
    fn begin_step(&mut self);

    /// Updates tensor number `index` from its gradient (which clipping may change in place).
    fn update(&mut self, index: usize, param: &mut [f32], grad: &mut [f32]);

    /// The learning rate the next step uses.
    fn learning_rate(&self) -> f32;

    /// Replaces the learning rate (and any schedule) by a constant (Keras's `LearningRateScheduler`).
    fn set_learning_rate(&mut self, lr: f32);

    /// Everything needed to resume exactly: the iteration count and every
    /// per-tensor slot, as named flat tensors (`"iterations"`, `"m.3"`, ...).
    fn state(&self) -> Vec<(String, Vec<f32>)>;

    /// Restores what [`state`](Optimizer::state) returned; an unknown or
    /// misshaped entry is an error and leaves the optimizer unchanged.
    fn load_state(&mut self, state: &[(String, Vec<f32>)]) -> Result<()>;

    /// Checks that every per-tensor slot of [`state`](Optimizer::state)
    /// (entries named `"<slot>.<index>"`) has as many values as tensor
    /// `index`, whose sizes are `sizes[index]`.
    ///
    /// [`load_state`](Optimizer::load_state) cannot know the tensors' sizes;
    /// a checkpoint loader calls this afterwards (and restores the old state
    /// if it fails) so that a state saved for another model is an error rather
    /// than a panic in the next [`update`](Optimizer::update).
    fn check_tensor_sizes(&self, sizes: &[usize]) -> Result<()> {
        for (name, values) in self.state() {
            let Some((slot, index)) = split_slot_name(&name) else { continue };
            match sizes.get(index) {
                Some(&n) if n == values.len() => {}
                Some(&n) => {
                    return Err(Error::Invalid(format!(
                        "optimizer state `{name}` has {} values but trainable tensor {index} has {n}",
                        values.len()
                    )))
                }
                None => {
                    return Err(Error::Invalid(format!(
                    "optimizer state `{name}` ({slot}) is for tensor {index} but the model has {} trainable tensors",
                    sizes.len()
                )))
                }
            }
        }
        Ok(())
    }
}

/// Splits `"momentum.3"` into `("momentum", 3)`.
fn split_slot_name(name: &str) -> Option<(&str, usize)> {
    let (slot, index) = name.rsplit_once('.')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((slot, index.parse().ok()?))
}

/// Largest tensor index `load_state` accepts (guards against absurd allocations).
const MAX_TENSOR_INDEX: usize = 1 << 24;

/// Gradient clipping (Keras's `clipnorm` / `clipvalue`; only one can be set).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Clip {
    None,
    Norm(f32),
    Value(f32),
}

/// The model an optimizer's state belongs to (see [`Optimizer::check_model`]).
#[derive(Clone, Debug)]
struct Owner {
    /// [`ModelTensors::fingerprint`] of its tensors.
    fingerprint: u64,
    /// [`ModelTensors::describe`] of them, for the error.
    tensors: String,
}

/// What every optimizer shares: the learning rate, the iteration count,
/// gradient clipping, the lazily allocated per-tensor slots and the model
/// they belong to.
#[derive(Clone, Debug)]
struct Core {
    lr: LearningRate,
    /// Keras's `iterations`: steps completed, plus one while a step is in progress.
    iterations: u64,
    /// The learning rate of the step in progress (the schedule at the count before it).
    step_lr: f32,
    clip: Clip,
    /// `slots[index][kind]`; an empty `Vec` for a tensor not updated yet.
    slots: Vec<Vec<Vec<f32>>>,
    /// The model the slots belong to; `None` until the first checked step
    /// (and after a state is loaded).
    owner: Option<Owner>,
}

impl Core {
    fn new(lr: LearningRate) -> Self {
        let step_lr = lr.at(0);
        Core { lr, iterations: 0, step_lr, clip: Clip::None, slots: Vec::new(), owner: None }
    }

    /// The shared part of [`Optimizer::validate`] for optimizer `name`: the
    /// learning rate (or the schedule's parameters and its rate at the next
    /// step) and the clipping threshold.
    fn validate(&self, name: &str) -> Result<()> {
        self.lr.validate(name)?;
        if !matches!(self.lr, LearningRate::Constant(_)) {
            let lr = self.lr.at(self.iterations);
            if !Range::NonNegative.contains(f64::from(lr)) {
                return Err(Error::Invalid(format!(
                    "{name}: the learning-rate schedule gives {lr} at step {}; a learning rate must be a finite number >= 0",
                    self.iterations
                )));
            }
        }
        match self.clip {
            Clip::None => Ok(()),
            Clip::Norm(c) => check(name, "clipnorm", f64::from(c), Range::Positive),
            Clip::Value(c) => check(name, "clipvalue", f64::from(c), Range::Positive),
        }
    }

    /// [`Optimizer::check_model`] for optimizer `name`.
    fn check_model(&mut self, name: &str, tensors: &ModelTensors<'_>) -> Result<()> {
        let fingerprint = tensors.fingerprint();
        match &self.owner {
            Some(owner) if owner.fingerprint == fingerprint => return Ok(()),
            Some(owner) => {
                return Err(Error::Invalid(format!(
                    "{name}: this optimizer's state belongs to another model, whose trainable tensors are {}; \
                     this model's are {} (use a new optimizer for each model, as Keras requires)",
                    owner.tensors,
                    tensors.describe()
                )))
            }
            None => {}
        }
        // Not bound yet: any state it has (loaded, or from direct `update`
        // calls) must fit these tensors.
        let (mut count, mut problem) = (0, None);
        tensors.for_each(|index, layer, weight, shape| {
            count += 1;
            let len: usize = shape.iter().product();
            match self.slots.get(index).and_then(|s| s.first()) {
                Some(slot) if slot.len() != len && problem.is_none() => {
                    problem = Some(format!(
                        "{name}: the optimizer state for trainable tensor {index} (`{layer}.{weight}`, shape \
                         {shape:?}) has {} values but the tensor has {len} (a state of another model?)",
                        slot.len()
                    ));
                }
                _ => {}
            }
        });
        if problem.is_none() {
            if let Some(index) = (count..self.slots.len()).find(|&i| !self.slots[i].is_empty()) {
                problem = Some(format!(
                    "{name}: the optimizer has state for trainable tensor {index} but the model has {count} \
                     (a state of another model?)"
                ));
            }
        }
        if let Some(problem) = problem {
            return Err(Error::Invalid(problem));
        }
        self.owner = Some(Owner { fingerprint, tensors: tensors.describe() });
        Ok(())
    }

    fn set_clip(&mut self, clip: Clip) {
        assert!(
            self.clip == Clip::None || std::mem::discriminant(&self.clip) == std::mem::discriminant(&clip),
            "only one of clipnorm and clipvalue can be set (as in Keras)"
        );
        self.clip = clip;
    }

    fn begin_step(&mut self) {
        self.step_lr = self.lr.at(self.iterations);
        self.iterations += 1;
    }

    /// Keras's `_clip_gradients` for one tensor (`tf.clip_by_norm` / `ops.clip`).
    fn clip(&self, grad: &mut [f32]) {
        match self.clip {
            Clip::Norm(c) if c > 0.0 => {
                let l2sum = grad.iter().map(|&g| f64::from(g) * f64::from(g)).sum::<f64>() as f32;
                let l2norm = if l2sum > 0.0 { l2sum.sqrt() } else { l2sum };
                let denom = l2norm.max(c);
                // Keras multiplies by clipnorm then divides, even when nothing is clipped.
                for g in grad {
                    *g = *g * c / denom;
                }
            }
            Clip::Value(c) if c > 0.0 => {
                for g in grad {
                    *g = g.clamp(-c, c);
                }
            }
            _ => {}
        }
    }

    /// Takes tensor `index`'s slots out (allocating them on first use), to be
    /// put back with [`put_slots`](Core::put_slots); no allocation once warm.
    fn take_slots(&mut self, index: usize, len: usize, kinds: usize, init: f32) -> Vec<Vec<f32>> {
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, Vec::new);
        }
        let mut slots = std::mem::take(&mut self.slots[index]);
        if slots.is_empty() {
            slots = (0..kinds).map(|_| vec![init; len]).collect();
        }
        for s in &slots {
            assert!(
                s.len() == len,
                "optimizer state for trainable tensor {index} has {} values but the tensor has {len} \
                 (state of another model? Optimizer::check_model refuses it before a step)",
                s.len()
            );
        }
        slots
    }

    fn put_slots(&mut self, index: usize, slots: Vec<Vec<f32>>) {
        self.slots[index] = slots;
    }

    fn state(&self, names: &[&str], scalars: &[(&str, f32)]) -> Vec<(String, Vec<f32>)> {
        let mut out = vec![("iterations".to_string(), encode_iterations(self.iterations))];
        if let LearningRate::Constant(lr) = self.lr {
            out.push(("learning_rate".to_string(), vec![lr]));
        }
        out.extend(scalars.iter().map(|&(n, v)| (n.to_string(), vec![v])));
        for (index, slots) in self.slots.iter().enumerate() {
            for (name, values) in names.iter().zip(slots) {
                out.push((format!("{name}.{index}"), values.clone()));
            }
        }
        out
    }

    /// Parses and checks a saved state without changing anything.
    fn parse_state(&self, state: &[(String, Vec<f32>)], names: &[&str], scalar_names: &[&str]) -> Result<LoadedState> {
        let mut iterations = None;
        let mut lr = None;
        let mut scalars = vec![None; scalar_names.len()];
        let mut slots: Vec<Vec<Option<Vec<f32>>>> = Vec::new();
        let bad = |name: &str, why: String| Error::Invalid(format!("optimizer state entry `{name}`: {why}"));
        let scalar = |name: &str, values: &[f32]| -> Result<f32> {
            match values {
                [v] if v.is_finite() => Ok(*v),
                _ => Err(bad(name, format!("expected one finite value, found {values:?}"))),
            }
        };
        for (name, values) in state {
            let dup = || bad(name, "appears twice".to_string());
            if name == "iterations" {
                let n = decode_iterations(values)
                    .ok_or_else(|| bad(name, format!("expected a non-negative whole count, found {values:?}")))?;
                if iterations.replace(n).is_some() {
                    return Err(dup());
                }
            } else if name == "learning_rate" {
                if lr.replace(scalar(name, values)?).is_some() {
                    return Err(dup());
                }
            } else if let Some(k) = scalar_names.iter().position(|s| s == name) {
                if scalars[k].replace(scalar(name, values)?).is_some() {
                    return Err(dup());
                }
            } else {
                let unknown = || {
                    let expected: Vec<String> = ["iterations", "learning_rate"]
                        .iter()
                        .chain(scalar_names)
                        .map(|s| s.to_string())
                        .chain(names.iter().map(|s| format!("{s}.<index>")))
                        .collect();
                    bad(name, format!("unknown for this optimizer (expected {})", expected.join(", ")))
                };
                let (slot, index) = split_slot_name(name).ok_or_else(unknown)?;
                let kind = names.iter().position(|s| *s == slot).ok_or_else(unknown)?;
                if index > MAX_TENSOR_INDEX {
                    return Err(bad(name, format!("tensor index {index} is too large")));
                }
                if let Some(current) = self.slots.get(index).and_then(|s| s.first()) {
                    if current.len() != values.len() {
                        return Err(bad(
                            name,
                            format!("has {} values but tensor {index} has {}", values.len(), current.len()),
                        ));
                    }
                }
                if slots.len() <= index {
                    slots.resize_with(index + 1, Vec::new);
                }
                let entry = &mut slots[index];
                if entry.is_empty() {
                    entry.resize(names.len(), None);
                }
                if entry[kind].replace(values.clone()).is_some() {
                    return Err(dup());
                }
            }
        }
        let iterations = iterations.ok_or_else(|| bad("iterations", "missing".to_string()))?;
        let scalars = scalars
            .into_iter()
            .zip(scalar_names)
            .map(|(v, name)| v.ok_or_else(|| bad(name, "missing".to_string())))
            .collect::<Result<Vec<f32>>>()?;
        let mut full = Vec::with_capacity(slots.len());
        for (index, entry) in slots.into_iter().enumerate() {
            if entry.is_empty() {
                full.push(Vec::new());
                continue;
            }
            let mut tensor = Vec::with_capacity(names.len());
            for (kind, values) in entry.into_iter().enumerate() {
                let name = format!("{}.{index}", names[kind]);
                let values = values.ok_or_else(|| bad(&name, "missing".to_string()))?;
                if let Some(first) = tensor.first().map(Vec::len) {
                    if values.len() != first {
                        return Err(bad(
                            &name,
                            format!("has {} values but `{}.{index}` has {first}", values.len(), names[0]),
                        ));
                    }
                }
                tensor.push(values);
            }
            full.push(tensor);
        }
        Ok(LoadedState { iterations, lr, scalars, slots: full })
    }

    fn commit(&mut self, loaded: LoadedState) {
        self.iterations = loaded.iterations;
        if let Some(lr) = loaded.lr {
            self.lr = LearningRate::Constant(lr);
        }
        self.step_lr = self.lr.at(self.iterations);
        self.slots = loaded.slots;
        // Whose state it is is checked again at the next step.
        self.owner = None;
    }
}

/// A checked state, ready to replace the optimizer's.
struct LoadedState {
    iterations: u64,
    lr: Option<f32>,
    scalars: Vec<f32>,
    slots: Vec<Vec<Vec<f32>>>,
}

/// Counts up to 2^24 are exact in one `f32`; larger ones are split into
/// `[count mod 2^24, count / 2^24]`.
const F32_EXACT: u64 = 1 << 24;

fn encode_iterations(n: u64) -> Vec<f32> {
    if n < F32_EXACT {
        vec![n as f32]
    } else {
        vec![(n % F32_EXACT) as f32, (n / F32_EXACT) as f32]
    }
}

fn decode_iterations(values: &[f32]) -> Option<u64> {
    let whole = |v: f32| (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < F32_EXACT as f32).then_some(v as u64);
    match *values {
        [n] => whole(n),
        [lo, hi] => {
            let (lo, hi) = (whole(lo)?, whole(hi)?);
            (lo < F32_EXACT).then(|| hi.checked_mul(F32_EXACT)?.checked_add(lo))?
        }
        _ => None,
    }
}

/// The per-optimizer part: Keras's `update_step` for one tensor.
trait Rule {
    /// Keras's names of the per-tensor slots, in storage order.
    fn slot_names(&self) -> &'static [&'static str];
    /// Initial value of the slots (zero unless given).
    fn slot_init(&self) -> f32 {
        0.0
    }
    /// Scalar state besides the iteration count (Nadam's `u_product`).
    fn scalars(&self) -> Vec<(&'static str, f32)> {
        Vec::new()
    }
    /// Restores the scalars, in the order of [`scalars`](Rule::scalars).
    fn set_scalars(&mut self, _values: &[f32]) {}
    /// Checks the optimizer's own hyper-parameters (see [`Optimizer::validate`]);
    /// `name` is the optimizer's, for the message.
    fn validate(&self, name: &str) -> Result<()> {
        let _ = name;
        Ok(())
    }
    /// Called once per step after the count advanced to `t` (1 for the first step).
    fn on_begin_step(&mut self, _t: u64) {}
    /// One update: `lr` is the step's learning rate, `t` the step number
    /// (Keras's `iterations + 1`), `grad` already clipped.
    fn apply(&self, lr: f32, t: u64, param: &mut [f32], grad: &[f32], slots: &mut [Vec<f32>]);
}

/// Implements [`Optimizer`], the shared builder methods and `iterations` for
/// a struct with a `core: Core` field and a [`Rule`] impl.
macro_rules! optimizer_common {
    ($ty:ident) => {
        impl $ty {
            /// Clips each gradient tensor by its own L2 norm: `g * clipnorm / max(‖g‖, clipnorm)`
            /// (Keras's `clipnorm`; not a global norm). Must be a finite number `> 0`
            /// (0 would give 0/0 = NaN for a zero gradient).
            ///
            /// # Panics
            ///
            /// If [`clipvalue`](Self::clipvalue) was set too (Keras allows only one).
            #[must_use]
            pub fn clipnorm(mut self, clipnorm: impl Into<f64>) -> Self {
                self.core.set_clip($crate::optim::Clip::Norm(clipnorm.into() as f32));
                self
            }

            /// Clamps each gradient element to `[-clipvalue, clipvalue]` (Keras's `clipvalue`).
            /// Must be a finite number `> 0` (0 would freeze every weight).
            ///
            /// # Panics
            ///
            /// If [`clipnorm`](Self::clipnorm) was set too (Keras allows only one).
            #[must_use]
            pub fn clipvalue(mut self, clipvalue: impl Into<f64>) -> Self {
                self.core.set_clip($crate::optim::Clip::Value(clipvalue.into() as f32));
                self
            }

            /// Steps completed so far (Keras's `optimizer.iterations`).
            pub fn iterations(&self) -> u64 {
                self.core.iterations
            }
        }

        impl $crate::optim::Optimizer for $ty {
            fn validate(&self) -> $crate::Result<()> {
                self.core.validate(stringify!($ty))?;
                $crate::optim::Rule::validate(self, stringify!($ty))
            }

            fn check_model(&mut self, tensors: &$crate::optim::ModelTensors<'_>) -> $crate::Result<()> {
                self.core.check_model(stringify!($ty), tensors)
            }

            fn begin_step(&mut self) {
                self.core.begin_step();
                let t = self.core.iterations;
                $crate::optim::Rule::on_begin_step(self, t);
            }

            fn update(&mut self, index: usize, param: &mut [f32], grad: &mut [f32]) {
                assert_eq!(param.len(), grad.len(), "tensor {index}: parameter and gradient lengths differ");
                debug_assert!(self.core.iterations > 0, "call Optimizer::begin_step before update");
                let kinds = $crate::optim::Rule::slot_names(self).len();
                let mut slots = self.core.take_slots(index, param.len(), kinds, $crate::optim::Rule::slot_init(self));
                self.core.clip(grad);
                $crate::optim::Rule::apply(self, self.core.step_lr, self.core.iterations, param, grad, &mut slots);
                self.core.put_slots(index, slots);
            }

            fn learning_rate(&self) -> f32 {
                self.core.lr.at(self.core.iterations)
            }

            fn set_learning_rate(&mut self, lr: f32) {
                self.core.lr = $crate::optim::LearningRate::Constant(lr);
                self.core.step_lr = lr;
            }

            fn state(&self) -> Vec<(String, Vec<f32>)> {
                self.core.state($crate::optim::Rule::slot_names(self), &$crate::optim::Rule::scalars(self))
            }

            fn load_state(&mut self, state: &[(String, Vec<f32>)]) -> $crate::Result<()> {
                let scalars = $crate::optim::Rule::scalars(self);
                let scalar_names: Vec<&str> = scalars.iter().map(|s| s.0).collect();
                let loaded = self.core.parse_state(state, $crate::optim::Rule::slot_names(self), &scalar_names)?;
                $crate::optim::Rule::set_scalars(self, &loaded.scalars);
                self.core.commit(loaded);
                Ok(())
            }
        }
    };
}
use optimizer_common;

/// `f64` hyper-parameter `1 - x` rounded to `f32`, as Keras's `1 - self.beta_1`
/// (a Python float) becomes an `f32` operand.
fn one_minus(x: f64) -> f32 {
    (1.0 - x) as f32
}
