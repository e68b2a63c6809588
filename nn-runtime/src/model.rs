//! What every `sequential!` model implements, and the model-level operations
//! written once here instead of in every expansion: batched prediction and
//! weight files.
//!
//! Without the `std` feature only [`Slot`] (empty), [`max_of`], [`fits`], the
//! size formulas of `sizes`, [`freeze`] and [`set_trainable`] are left: the
//! macro's `embedded()` and `predict_one` need nothing else.

#[cfg(feature = "std")]
use std::path::Path;

#[cfg(feature = "std")]
use ndarray::{Array, ArrayD, ArrayViewD, Dimension, IxDyn};

#[cfg(feature = "std")]
use crate::error::shape_string;
use crate::layers::Layer;
#[cfg(feature = "std")]
use crate::summary::Row;
use crate::Param;
#[cfg(feature = "std")]
use crate::{io, Error, Result, Rng};

/// Implemented by the `sequential!` macro; the hooks the runtime's generic
/// code (predict, training, weight files) needs.
#[cfg(feature = "std")]
pub trait Model: Sized {
    /// snake_case of the struct name.
    const NAME: &'static str;
    /// One sample's input shape.
    const INPUT_SHAPE: &'static [usize];
    /// One sample's output shape.
    const OUTPUT_SHAPE: &'static [usize];
    /// Floats per input sample.
    const IN: usize;
    /// Floats per output sample.
    const OUT: usize;
    /// Whether the last layer ends in softmax (for the fused cross-entropy gradient).
    const SOFTMAX_OUTPUT: bool;
    /// `Some(n)` when every input value must be an integer id in `0..n` (a
    /// model that starts with an Embedding): its first layer's `Layer::IDS`.
    const IDS: Option<usize> = None;
    /// Whether every layer's [`Train::PER_SAMPLE`](crate::layers::Train::PER_SAMPLE)
    /// holds, so that a training step may run in chunks ([`training_chunk`]).
    const PER_SAMPLE: bool = false;
    /// Floats per sample that a training pass keeps: every layer's output
    /// and its gradient, and what its state keeps ([`Train::KEPT`](crate::layers::Train::KEPT)).
    const KEPT: usize = 0;
    /// Training buffers: every layer's state, activations and gradients.
    type Workspace: Default + Send;

    /// Inference-mode forward pass of a flat batch (`x.len() == batch * IN`).
    fn infer(&self, x: &[f32], y: &mut [f32]);

    /// Training-mode forward pass; returns the output, kept in `ws`.
    fn forward<'w>(&mut self, ws: &'w mut Self::Workspace, x: &[f32], rng: &mut Rng) -> &'w [f32];

    /// Backward pass of the last `forward` from the output gradient `dy`
    /// (with respect to the softmax's input when `logits` is true).
    fn backward(&mut self, ws: &mut Self::Workspace, x: &[f32], dy: &[f32], logits: bool) {
        self.backward_to(ws, x, dy, logits, None);
    }

    /// [`Model::backward`], also writing the gradient with respect to the
    /// input into `dx` when it is given (a model nested in another needs it).
    fn backward_to(&mut self, ws: &mut Self::Workspace, x: &[f32], dy: &[f32], logits: bool, dx: Option<&mut [f32]>);

    /// Calls `f` with (layer name, weight name, tensor) for every weight, in Keras's order.
    fn visit_weights(&self, f: &mut dyn FnMut(&'static str, &'static str, &Param));

    /// Calls `f` for every weight, writable.
    fn visit_weights_mut(&mut self, f: &mut dyn FnMut(&'static str, &'static str, &mut Param));

    /// Calls `f` with each trainable tensor and its gradient from the last backward pass.
    fn visit_grads(&mut self, ws: &mut Self::Workspace, f: &mut dyn FnMut(&mut Param, &mut [f32]));

    /// The model's training slot (workspace and dropout generator).
    fn slot(&mut self) -> &mut Slot<Self>;

    /// Its layers as Keras's files describe them: class, name, config
    /// arguments, variable shapes (for `.weights.h5` and `.keras`).
    fn keras_layers(&self) -> Vec<nn_files::layout::Layer>;

    /// The model as Keras's files describe it.
    fn keras_model(&self) -> nn_files::layout::Model {
        nn_files::layout::Model {
            name: Self::NAME.to_string(),
            input_shape: Self::INPUT_SHAPE.to_vec(),
            layers: self.keras_layers(),
        }
    }
}

/// Where a model `M` keeps what training needs between steps: the
/// workspace, allocated on the first step and reused, and the generator for
/// dropout. (Every `sequential!` struct has one, in a hidden field.)
#[cfg(feature = "std")]
pub struct Slot<M: Model> {
    /// The workspace; `None` until the first training step.
    pub workspace: Option<Box<M::Workspace>>,
    /// Seed of the dropout generator.
    pub seed: u64,
    /// The dropout generator, created on the first training step.
    pub rng: Option<Rng>,
}

#[cfg(feature = "std")]
impl<M: Model> Slot<M> {
    /// An empty slot; nothing is allocated.
    pub const fn new(seed: u64) -> Self {
        Slot { workspace: None, seed, rng: None }
    }
}

#[cfg(feature = "std")]
impl<M: Model> std::fmt::Debug for Slot<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("workspace", &self.workspace.as_ref().map(|_| ".."))
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "std")]
impl<M: Model> Clone for Slot<M> {
    /// A clone starts with an empty workspace and the same dropout generator state.
    fn clone(&self) -> Self {
        Slot { workspace: None, seed: self.seed, rng: self.rng.clone() }
    }
}

/// Without `std` a model cannot be trained, so its slot holds nothing (the
/// struct that `sequential!` emits is the same with and without `std`).
#[cfg(not(feature = "std"))]
pub struct Slot<M>(core::marker::PhantomData<fn() -> M>);

#[cfg(not(feature = "std"))]
impl<M> Slot<M> {
    /// The empty slot (`seed` is for training, which needs `std`).
    pub const fn new(seed: u64) -> Self {
        let _ = seed;
        Slot(core::marker::PhantomData)
    }
}

#[cfg(not(feature = "std"))]
impl<M> core::fmt::Debug for Slot<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Slot").finish_non_exhaustive()
    }
}

#[cfg(not(feature = "std"))]
impl<M> Clone for Slot<M> {
    fn clone(&self) -> Self {
        Slot(core::marker::PhantomData)
    }
}

/// The largest of `xs` (a `const fn`, for buffer sizes in generated code).
pub const fn max_of(xs: &[usize]) -> usize {
    let mut m = 0;
    let mut i = 0;
    while i < xs.len() {
        if xs[i] > m {
            m = xs[i];
        }
        i += 1;
    }
    m
}

/// Floats in each of the two activation buffers of one piece of
/// inference: 512 KiB, so that a piece's activations stay in a core's L2
/// from layer to layer (mnist_convnet's batch-1000 inference: about 2×
/// faster than whole batches on Zen 5, where conv 1's output of a 512-row
/// half is 44 MB).
pub const PIECE_FLOATS: usize = 1 << 17;

/// Rows of inference at a time for a model whose widest activation has
/// `width` floats: as many as [`PIECE_FLOATS`] holds, at least 1.
pub const fn piece_rows(width: usize) -> usize {
    let rows = PIECE_FLOATS / if width == 0 { 1 } else { width };
    if rows == 0 {
        1
    } else {
        rows
    }
}

/// Bytes that a training chunk keeps ([`Model::KEPT`] floats a sample):
/// 6 MiB, about a third of the L3 of the machines measured, so that a
/// chunk's activations are read back from cache by the next layer and by
/// the backward pass rather than from memory.
#[cfg(feature = "std")]
pub const TRAINING_CHUNK_BYTES: usize = 6 << 20;

/// Samples per chunk of a training step on `n` samples: all `n` unless the
/// model is [`Model::PER_SAMPLE`] and its activations exceed
/// [`TRAINING_CHUNK_BYTES`]; then the most that fit in a multiple of twice
/// the gemm's tile rows ([`tile_rows`](crate::kernels::gemm::tile_rows)), so
/// that each of the two threads' halves fills whole tiles (a recurrent
/// step's products have a chunk's rows).
///
/// Zen 2 (AVX2, 6-row tiles), training samples/s at batch 128 by chunk
/// size, three interleaved runs: the LSTM(128) model 9.6–9.9k at 12,
/// 9.5–9.8k at 24, 7.8–8.3k at 16, 9.0–9.1k at 32, 8.0–8.2k unchunked;
/// mnist_convnet 7.3–7.7k at 12 to 24, 6.6–6.9k at 32 (9.7 MB kept).
#[cfg(feature = "std")]
pub fn training_chunk<M: Model>(n: usize) -> usize {
    let per = 4 * M::KEPT.max(1);
    if !M::PER_SAMPLE || n.saturating_mul(per) <= TRAINING_CHUNK_BYTES {
        return n.max(1);
    }
    let step = 2 * crate::kernels::gemm::tile_rows();
    ((TRAINING_CHUNK_BYTES / per / step).max(1) * step).min(n)
}

/// The sample ranges of a training step on `n` samples in chunks of
/// `chunk`: the last one takes a remainder of less than half a chunk with
/// it (128 in chunks of 24: four of 24 and one of 32, not a fifth of 24
/// and one of 8, whose halves are smaller than a tile).
#[cfg(feature = "std")]
pub fn chunks(n: usize, chunk: usize) -> impl Iterator<Item = core::ops::Range<usize>> {
    let chunk = chunk.max(1);
    let mut s0 = 0;
    core::iter::from_fn(move || {
        let left = n - s0;
        if left == 0 {
            return None;
        }
        let k = if left < chunk + chunk / 2 { left } else { chunk };
        s0 += k;
        Some(s0 - k..s0)
    })
}

#[doc(hidden)]
pub use nn_sizes as sizes;

/// Whether the product of `dims` fits in a `usize` (a `const fn`, for the
/// overflow checks of sizes given as const items).
pub const fn fits(dims: &[usize]) -> bool {
    let mut n: usize = 1;
    let mut i = 0;
    while i < dims.len() {
        match n.checked_mul(dims[i]) {
            Some(m) => n = m,
            None => return false,
        }
        i += 1;
    }
    true
}

/// Marks every weight of a layer as not trainable (Keras's `trainable = False`).
pub fn freeze<L: Layer>(layer: &mut L) {
    set_trainable(layer, false);
}

/// Sets whether a layer's weights are trained; statistics (BatchNorm's moving mean and variance) never are.
pub fn set_trainable<L: Layer>(layer: &mut L, trainable: bool) {
    layer.visit_mut(&mut |_, p| p.trainable = trainable && !p.is_statistic());
}

/// Sets the regularizer of weight `weight` (its Keras name: `"kernel"`,
/// `"bias"`, ...) of `layer`; what `sequential!`'s `kernel_regularizer = l2(0.01)`
/// emits in the constructor:
/// `nn::model::set_regularizer(&mut model.dense, "kernel", nn::regularizers::Regularizer::l2(0.01))`.
///
/// # Panics
///
/// If the layer has no weight of that name (the message lists those it has).
pub fn set_regularizer<L: Layer>(layer: &mut L, weight: &str, r: crate::regularizers::Regularizer) {
    with_weight(layer, weight, "set_regularizer", &mut |p| p.regularizer = Some(r));
}

/// Sets the constraint of weight `weight` (its Keras name) of `layer`; what
/// `sequential!`'s `kernel_constraint = max_norm(1.0)` emits in the constructor.
///
/// # Panics
///
/// If the layer has no weight of that name, or the constraint's axis is not
/// an axis of that weight's shape.
pub fn set_constraint<L: Layer>(layer: &mut L, weight: &str, c: crate::constraints::Constraint) {
    with_weight(layer, weight, "set_constraint", &mut |p| {
        if let Some(axis) = c.axis() {
            assert!(
                p.shape().is_empty() || axis < p.shape().len(),
                "set_constraint: axis {axis} is not an axis of `{weight}`, of shape {:?}",
                p.shape()
            );
        }
        p.constraint = Some(c);
    });
}

/// Calls `f` on the weight of `layer` named `weight`; panics naming the ones there are if none is.
fn with_weight<L: Layer>(layer: &mut L, weight: &str, what: &str, f: &mut dyn FnMut(&mut Param)) {
    let mut found = false;
    layer.visit_mut(&mut |name, p| {
        if name == weight {
            found = true;
            f(p);
        }
    });
    if !found {
        let mut names: [&str; 16] = [""; 16];
        let mut n = 0;
        layer.visit(&mut |name, _| {
            if n < names.len() {
                names[n] = name;
                n += 1;
            }
        });
        panic!("{what}: the layer has no weight `{weight}` (its weights: {:?})", &names[..n]);
    }
}

/// The sum of the regularization penalties of every trainable tensor of the
/// model (Keras 3's regularization losses, which it adds to the loss;
/// frozen tensors do not count, as Keras only regularizes `trainable_weights`).
#[cfg(feature = "std")]
pub fn regularization_loss<M: Model>(model: &M) -> f32 {
    let mut total = 0.0f32;
    model.visit_weights(&mut |_, _, p| {
        if let Some(r) = p.regularizer {
            if p.trainable && !p.is_statistic() {
                total += r.penalty(p);
            }
        }
    });
    total
}

/// The Keras summary of a model, counting trainable weights as they are now.
#[cfg(feature = "std")]
pub fn summary<M: Model>(model: &M, rows: &[Row<'_>]) -> String {
    let (mut trainable, mut frozen) = (0, 0);
    model.visit_weights(&mut |_, _, p| {
        if p.trainable {
            trainable += p.len();
        } else {
            frozen += p.len();
        }
    });
    crate::summary::render(M::NAME, rows, trainable, frozen)
}

/// Checks that `x` is a batch of `M::INPUT_SHAPE` samples.
#[cfg(feature = "std")]
pub fn check_input<M: Model>(what: &'static str, x: &ArrayViewD<'_, f32>) -> Result<usize> {
    let shape = x.shape();
    if shape.len() != M::INPUT_SHAPE.len() + 1 || &shape[1..] != M::INPUT_SHAPE {
        return Err(Error::Shape {
            what,
            expected: shape_string(None, M::INPUT_SHAPE),
            found: format!("{:?}", shape).replace('[', "(").replace(']', ")"),
        });
    }
    if let Some(end) = M::IDS {
        check_ids(what, x, M::IN, end)?;
    }
    Ok(shape[0])
}

/// Every value of `x` an integer in `0..end`, else an error naming the
/// first that is not by its sample and position.
#[cfg(feature = "std")]
fn check_ids(what: &str, x: &ArrayViewD<'_, f32>, width: usize, end: usize) -> Result<()> {
    match x.iter().position(|&v| !(v >= 0.0 && v.fract() == 0.0 && v < end as f32)) {
        None => Ok(()),
        Some(i) => {
            let value = x.iter().nth(i).copied().unwrap_or(f32::NAN);
            Err(Error::Invalid(format!(
                "{what}: sample {}, position {}: id {value} is not an integer in 0..{end} (the Embedding's input_dim)",
                i / width.max(1),
                i % width.max(1)
            )))
        }
    }
}

/// Inference over a batch: the batch first, then `M::INPUT_SHAPE`.
#[cfg(feature = "std")]
pub fn predict<M: Model + Sync, D: Dimension>(model: &M, x: ArrayViewD<'_, f32>) -> Result<Array<f32, D>> {
    into_rank(predict_dyn(model, x)?)
}

/// `a` as an array of rank `D` (the rank `sequential!` knows the output has).
#[cfg(feature = "std")]
pub fn into_rank<D: Dimension>(a: ArrayD<f32>) -> Result<Array<f32, D>> {
    let shape = a.shape().to_vec();
    a.into_dimensionality::<D>().map_err(|_| Error::Shape {
        what: "predict output",
        expected: format!("rank {}", D::NDIM.unwrap_or(0)),
        found: format!("{shape:?}"),
    })
}

/// Inference over a batch, with a dynamic-rank result.
#[cfg(feature = "std")]
pub fn predict_dyn<M: Model + Sync>(model: &M, x: ArrayViewD<'_, f32>) -> Result<ArrayD<f32>> {
    let batch = check_input::<M>("predict input", &x)?;
    if batch == 0 {
        return Err(Error::Invalid(format!("predict: empty input, x has 0 samples (shape {:?})", x.shape())));
    }
    let x = x.as_standard_layout();
    let flat = x.as_slice().expect("standard layout is contiguous");
    let mut out_shape = vec![batch];
    out_shape.extend_from_slice(M::OUTPUT_SHAPE);
    let mut y = ArrayD::<f32>::zeros(IxDyn(&out_shape));
    let out = y.as_slice_mut().expect("new arrays are contiguous");
    // Chunks keep the intermediate activations in cache.
    const CHUNK: usize = 1024;
    for (xc, yc) in flat.chunks(CHUNK * M::IN).zip(out.chunks_mut(CHUNK * M::OUT)) {
        infer_parallel(model, xc, yc);
    }
    Ok(y)
}

/// Batches at least this large are inferred as two halves on two threads.
#[cfg(feature = "std")]
const PAR_MIN_ROWS: usize = 128;

/// Rows that each thread of [`infer_parallel`] infers at a time, so that a
/// piece's activations stay in the core's L2 cache from layer to layer
/// (measured on the seed model's batch-1000 inference: 3-5 % faster than
/// whole halves on Zen 4).
#[cfg(feature = "std")]
const PIECE_ROWS: usize = 256;

/// `model.infer` on a flat batch; a large batch is cut in two halves that the
/// calling thread and the gemm's helper thread infer at once (every layer of
/// inference is row-wise, so the halves are independent and the result is
/// the same bit for bit), each half in pieces of `PIECE_ROWS` (256) rows.
#[cfg(feature = "std")]
pub fn infer_parallel<M: Model + Sync>(model: &M, x: &[f32], y: &mut [f32]) {
    let n = x.len() / M::IN.max(1);
    if n < PAR_MIN_ROWS || M::IN == 0 || M::OUT == 0 {
        model.infer(x, y);
        return;
    }
    let half = n / 2;
    let (y0, y1) = y.split_at_mut(half * M::OUT);
    let ys = [crate::kernels::gemm::SharedMut::new(y0), crate::kernels::gemm::SharedMut::new(y1)];
    let mc = mc_pass();
    crate::kernels::gemm::run2(&|part: usize| {
        let xs = if part == 0 { &x[..half * M::IN] } else { &x[half * M::IN..] };
        // SAFETY: each part writes only its own half of y, which outlives `run2`.
        let ys = unsafe { ys[part].get() };
        let _marks = (Mark::enter(&INFER_PART, Some(part)), Mark::enter(&MC_PASS, mc));
        for (xp, yp) in xs.chunks(PIECE_ROWS * M::IN).zip(ys.chunks_mut(PIECE_ROWS * M::OUT)) {
            model.infer(xp, yp);
        }
    });
}

#[cfg(feature = "std")]
thread_local! {
    /// Which half of a batch split by [`infer_parallel`] this thread infers.
    static INFER_PART: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
    /// Whether this thread infers a pass of [`predict_mc`].
    static MC_PASS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Sets one of this thread's inference marks ([`INFER_PART`], [`MC_PASS`])
/// until dropped, then restores the value it had.
#[cfg(feature = "std")]
struct Mark<T: Copy + 'static> {
    key: &'static std::thread::LocalKey<std::cell::Cell<T>>,
    before: T,
}

#[cfg(feature = "std")]
impl<T: Copy + 'static> Mark<T> {
    fn enter(key: &'static std::thread::LocalKey<std::cell::Cell<T>>, value: T) -> Self {
        Mark { key, before: key.with(|p| p.replace(value)) }
    }
}

#[cfg(feature = "std")]
impl<T: Copy + 'static> Drop for Mark<T> {
    fn drop(&mut self) {
        let _ = self.key.try_with(|p| p.set(self.before));
    }
}

/// Whether this thread infers a pass of [`predict_mc`]: every dropout layer
/// (`Dropout`, `AlphaDropout`, `GaussianDropout`, `SpatialDropout1D/2D`)
/// then drops as in training, with masks from its inference generator;
/// otherwise they are the identity at inference. Always false without `std`.
pub fn mc_pass() -> bool {
    #[cfg(feature = "std")]
    {
        MC_PASS.try_with(std::cell::Cell::get).unwrap_or(false)
    }
    #[cfg(not(feature = "std"))]
    {
        false
    }
}

/// The half of a batch that this thread is inferring when [`infer_parallel`]
/// split it in two (`Some(0)` or `Some(1)`), else `None`: what the MC dropout
/// layers key their inference masks on, so that the two halves draw the same
/// masks whichever thread starts first.
pub fn infer_part() -> Option<usize> {
    #[cfg(feature = "std")]
    {
        INFER_PART.try_with(std::cell::Cell::get).ok().flatten()
    }
    #[cfg(not(feature = "std"))]
    {
        None
    }
}

/// Monte Carlo prediction (the book's MC dropout, Keras's
/// `model(x, training=True)` averaged): the mean and the standard deviation
/// (population, as NumPy's `std`) over `samples` inference passes on `x`,
/// with BatchNorm in inference mode and every dropout layer active (the MC
/// ones, which are active in `predict` too, and `Dropout`, `AlphaDropout`,
/// `GaussianDropout`, `SpatialDropout1D/2D`, which are only in these passes;
/// see [`mc_pass`]). Both arrays have `predict`'s shape. Every call draws
/// new masks, reproducibly from the model's seed.
///
/// `samples == 0` and a wrong input shape are errors.
#[cfg(feature = "std")]
pub fn predict_mc<M: Model + Sync>(
    model: &M,
    x: ArrayViewD<'_, f32>,
    samples: usize,
) -> Result<(ArrayD<f32>, ArrayD<f32>)> {
    if samples == 0 {
        return Err(Error::Invalid("predict_mc: samples must be at least 1, got 0".to_string()));
    }
    let _mc = Mark::enter(&MC_PASS, true);
    let first = predict_dyn(model, x.view())?;
    let mut sum = first.mapv(f64::from);
    let mut sq = first.mapv(|v| f64::from(v) * f64::from(v));
    for _ in 1..samples {
        let y = predict_dyn(model, x.view())?;
        ndarray::Zip::from(&mut sum).and(&mut sq).and(&y).for_each(|s, q, &v| {
            let v = f64::from(v);
            *s += v;
            *q += v * v;
        });
    }
    let n = samples as f64;
    let mean = sum.mapv(|s| (s / n) as f32);
    let mut std = ArrayD::<f32>::zeros(first.raw_dim());
    ndarray::Zip::from(&mut std).and(&sum).and(&sq).for_each(|d, &s, &q| {
        let m = s / n;
        *d = (q / n - m * m).max(0.0).sqrt() as f32;
    });
    Ok((mean, std))
}

#[cfg(feature = "std")]
thread_local! {
    /// One pair of buffers per nesting depth (a model inside a model infers
    /// inside its parent's `with_buffers`), kept and reused.
    static INFER_BUFFERS: std::cell::RefCell<Vec<[Vec<f32>; 3]>> = const { std::cell::RefCell::new(Vec::new()) };
    static INFER_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Runs `f` with two buffers of `n * W` floats for a generated inference
/// pass (the ping-pong activations; `W` is the widest one) and one of
/// `n * S` for the layers' scratch (`S`, the largest `Layer::SCRATCH`). One
/// sample gets them from `one` (the model's static room, `N` ≥ `2W + S`),
/// or on the stack while another thread holds it and without `std` (no
/// allocation, bounded stack); a batch gets buffers kept per thread and
/// nesting depth, allocated once and reused. Their content on entry is
/// unspecified.
///
/// # Panics
///
/// Without the `std` feature, for a batch of more than one sample (only
/// `predict_one` infers there).
pub fn with_buffers<const W: usize, const S: usize, const N: usize, R>(
    n: usize,
    one: &OneSample<N>,
    f: impl FnOnce(&mut [f32], &mut [f32], &mut [f32]) -> R,
) -> R {
    const { assert!(N >= 2 * W + S, "OneSample too small for the buffers") };
    if n <= 1 {
        #[cfg(feature = "std")]
        if let Some(mut held) = one.0.take() {
            let (a, rest) = held.floats().split_at_mut(W);
            let (b, s) = rest.split_at_mut(W);
            return f(&mut a[..n * W], &mut b[..n * W], &mut s[..n * S]);
        }
        let _ = one;
        let (mut a, mut b, mut s) = ([0.0f32; W], [0.0f32; W], [0.0f32; S]);
        return f(&mut a[..n * W], &mut b[..n * W], &mut s[..n * S]);
    }
    batch_buffers([n * W, n * W, n * S], f)
}

/// Room for one sample's inference buffers (`N` floats: the two activation
/// buffers and the scratch of [`with_buffers`]), a static of each generated
/// model: `predict_one` and `predict_step` take it instead of zeroing
/// buffers on the stack each call (about 300 KB for mnist_convnet), and
/// fall back to the stack while another thread holds it. Without `std`, it
/// holds nothing and the stack is always used.
pub struct OneSample<const N: usize>(#[cfg(feature = "std")] crate::kernels::slot::Slot<N>);

impl<const N: usize> OneSample<N> {
    /// Free room, zero pages until first used.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        OneSample(
            #[cfg(feature = "std")]
            crate::kernels::slot::Slot::new(),
        )
    }
}

#[cfg(feature = "std")]
fn batch_buffers<R>(lens: [usize; 3], f: impl FnOnce(&mut [f32], &mut [f32], &mut [f32]) -> R) -> R {
    /// Puts the buffers back and the depth down, also when `f` panics.
    struct Restore {
        depth: usize,
        bufs: [Vec<f32>; 3],
    }
    impl Drop for Restore {
        fn drop(&mut self) {
            let bufs = core::mem::take(&mut self.bufs);
            let _ = INFER_BUFFERS.try_with(|c| c.borrow_mut()[self.depth] = bufs);
            let _ = INFER_DEPTH.try_with(|d| d.set(self.depth));
        }
    }
    let depth = INFER_DEPTH.with(|d| d.replace(d.get() + 1));
    let pair = INFER_BUFFERS.with(|c| {
        let mut all = c.borrow_mut();
        if all.len() <= depth {
            all.resize_with(depth + 1, Default::default);
        }
        core::mem::take(&mut all[depth])
    });
    let mut guard = Restore { depth, bufs: pair };
    for (buf, &len) in guard.bufs.iter_mut().zip(&lens) {
        if buf.len() < len {
            buf.resize(len, 0.0);
        }
    }
    let [a, b, s] = &mut guard.bufs;
    f(&mut a[..lens[0]], &mut b[..lens[1]], &mut s[..lens[2]])
}

#[cfg(not(feature = "std"))]
fn batch_buffers<R>(_: [usize; 3], _: impl FnOnce(&mut [f32], &mut [f32], &mut [f32]) -> R) -> R {
    panic!("batched inference needs nn's `std` feature; without it only `predict_one` infers")
}

/// The name under which a nested model shows weight `weight` of one of its
/// layers: `names` pairs the layer's own weight names with the qualified
/// ones (`("kernel", "dense.kernel")`), written by `sequential!`.
pub fn qualify(names: &[(&'static str, &'static str)], weight: &str) -> &'static str {
    names.iter().find(|(w, _)| *w == weight).map_or("", |(_, q)| q)
}

/// Calls `f` with (layer name, weight name, tensor) for every tensor that has
/// a gradient, in the order of [`Model::visit_grads`] (every weight but
/// statistics such as BatchNorm's moving mean, frozen ones included): the
/// order in which an optimizer numbers its per-tensor state.
#[cfg(feature = "std")]
pub fn visit_trainable<M: Model>(model: &M, f: &mut dyn FnMut(&'static str, &'static str, &Param)) {
    model.visit_weights(&mut |layer, weight, p| {
        if !p.is_statistic() {
            f(layer, weight, p);
        }
    });
}

/// The `<layer>.<weight>` key of a tensor in a weights file.
#[cfg(feature = "std")]
fn key(layer: &str, weight: &str) -> String {
    format!("{layer}.{weight}")
}

/// Writes every weight, replacing `path` atomically, in the format its name
/// says: Keras's HDF5 layout for `.h5` (`x.weights.h5`), a Keras archive with
/// `config.json` for `.keras`, safetensors otherwise.
#[cfg(feature = "std")]
pub fn save_weights<M: Model>(model: &M, path: &Path) -> Result<()> {
    let mut tensors = Vec::new();
    model.visit_weights(&mut |layer, weight, p| tensors.push((key(layer, weight), p.shape(), p.as_slice().to_vec())));
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("h5" | "keras") => {
            let weights_err = |reason: String| Error::Weights { path: path.to_path_buf(), reason };
            let values: Vec<&[f32]> = tensors.iter().map(|(_, _, d)| d.as_slice()).collect();
            let keras = model.keras_model();
            let mut bytes = nn_files::h5::write(&keras, &values).map_err(weights_err)?;
            if ext.as_deref() == Some("keras") {
                let config = nn_files::config::to_json(&keras).map_err(weights_err)?;
                bytes = nn_files::archive::write(&config, &bytes, &date_saved()).map_err(weights_err)?;
            }
            io::write_atomic(path, |w| w.write_all(&bytes))
        }
        _ => {
            let refs: Vec<(String, &[usize], &[f32])> =
                tensors.iter().map(|(k, s, d)| (k.clone(), *s, d.as_slice())).collect();
            io::save(path, &refs)
        }
    }
}

/// Now as Keras's `date_saved` writes it (`2026-12-01@17:29:40`, UTC).
#[cfg(feature = "std")]
fn date_saved() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}@{:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60)
}

/// Reads every weight from a weights file, told apart by its content: a
/// Keras `.weights.h5` (HDF5), a `.keras` archive, or safetensors. Keras's
/// files are matched by layout (`layers/<class>[_k]/vars/<i>`), not by layer
/// names. On any error the model is unchanged.
#[cfg(feature = "std")]
pub fn load_weights<M: Model>(model: &mut M, path: &Path) -> Result<()> {
    let data = match sniff(path)? {
        nn_files::sniff::Kind::Safetensors => {
            let mut expected = Vec::new();
            model.visit_weights(&mut |layer, weight, p| expected.push((key(layer, weight), p.shape())));
            io::load(path, &expected)?
        }
        kind => {
            let weights_err = |reason: String| Error::Weights { path: path.to_path_buf(), reason };
            let bytes = io::read_regular(path)?;
            let h5 = match kind {
                nn_files::sniff::Kind::Zip => nn_files::archive::read(&bytes).map_err(weights_err)?.weights,
                _ => bytes,
            };
            nn_files::h5::read(h5, &model.keras_model()).map_err(weights_err)?
        }
    };
    let mut it = data.into_iter();
    model.visit_weights_mut(&mut |_, _, p| {
        if let Some(d) = it.next() {
            p.as_mut_slice().copy_from_slice(&d);
        }
    });
    Ok(())
}

/// The kind of weights file at `path`, from its first bytes.
#[cfg(feature = "std")]
fn sniff(path: &Path) -> Result<nn_files::sniff::Kind> {
    use std::io::Read;
    let mut head = Vec::with_capacity(2048);
    io::open_regular(path)?
        .take(2048)
        .read_to_end(&mut head)
        .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    Ok(nn_files::sniff::kind(&head))
}
