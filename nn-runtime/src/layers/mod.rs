//! The layers a `sequential!` model is made of, one module each.
//!
//! Every layer works on a flat row-major batch: `x.len() == batch * IN`,
//! `y.len() == batch * OUT`. Layers that act on the last axis (Dense,
//! BatchNorm, softmax) treat the batch and every leading axis as rows, as
//! Keras does.

#[cfg(feature = "std")]
mod activated;
mod activation;
mod alpha_dropout;
mod batch_norm;
mod bidirectional;
mod conv2d;
mod conv2d_transpose;
mod dense;
mod depthwise_conv2d;
mod dropout;
mod dropping;
mod elu;
mod embedding;
mod gaussian_dropout;
mod gaussian_noise;
mod gru;
mod kernel_bias;
mod leaky_relu;
mod lstm;
mod mc_dropout;
mod pooling2d;
mod prelu;
mod recurrent;
mod relu;
mod remap2d;
mod reshape;
mod rrelu;
mod separable_conv2d;
mod simple_rnn;
mod spatial_dropout;

pub use activation::Activation;
pub use alpha_dropout::AlphaDropout;
pub use batch_norm::BatchNorm;
#[cfg(feature = "std")]
pub use batch_norm::BatchNormState;
#[cfg(feature = "std")]
pub use bidirectional::BidirectionalState;
pub use bidirectional::{merge, Bidirectional, Sequence};
#[cfg(feature = "std")]
pub use conv2d::Conv2DState;
pub use conv2d::{Conv2D, ConvGeometry};
pub use conv2d_transpose::Conv2DTranspose;
#[cfg(feature = "std")]
pub use conv2d_transpose::Conv2DTransposeState;
pub use dense::Dense;
#[cfg(feature = "std")]
pub use dense::DenseState;
pub use depthwise_conv2d::DepthwiseConv2D;
#[cfg(feature = "std")]
pub use depthwise_conv2d::DepthwiseConv2DState;
pub use dropout::Dropout;
pub use dropping::{layer_seed, Rule as DropRule};
pub use elu::Elu;
pub use embedding::Embedding;
#[cfg(feature = "std")]
pub use embedding::EmbeddingState;
pub use gaussian_dropout::GaussianDropout;
pub use gaussian_noise::GaussianNoise;
pub use gru::GruCell;
pub use leaky_relu::LeakyRelu;
pub use lstm::LstmCell;
pub use mc_dropout::{Alpha, DropKind, Inverted, Mc, McAlphaDropout, McDropout};
#[cfg(feature = "std")]
pub use pooling2d::PoolingState;
pub use pooling2d::{Average, AveragePooling2D, Max, MaxPooling2D, Pool, Pooling2D};
pub use prelu::PRelu;
#[cfg(feature = "std")]
pub use prelu::PReluState;
#[cfg(feature = "std")]
pub use recurrent::RecurrentState;
pub use recurrent::{Cell, Recurrent, StepGrad, StepIn, StepKept, StepOut};
pub use relu::Relu;
pub use remap2d::{Remap, Remap2D};
pub use reshape::Reshape;
pub use rrelu::RRelu;
pub use separable_conv2d::SeparableConv2D;
#[cfg(feature = "std")]
pub use separable_conv2d::SeparableConv2DState;
pub use simple_rnn::SimpleRnnCell;
pub use spatial_dropout::SpatialDropout;

use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// Inference: what `predict_one` and batched inference call on each layer
/// (also without the `std` feature, over `'static` weights).
pub trait Layer {
    /// Floats per sample going in.
    const IN: usize;
    /// Floats per sample coming out.
    const OUT: usize;
    /// Floats of scratch space per sample that `infer` needs (an im2col
    /// buffer, a recurrent state), sized at compile time; most layers need none.
    const SCRATCH: usize = 0;
    /// `Some(n)` when every input value must be an integer id in `0..n`
    /// (Embedding's); the batched entry points refuse other values with an
    /// error naming the sample and position.
    const IDS: Option<usize> = None;

    /// Inference-mode forward pass over a batch; `scratch` holds at least
    /// `SCRATCH` floats per sample, its content on entry unspecified.
    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]);

    /// Calls `f` on each weight tensor with its Keras name, in Keras's order.
    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        let _ = f;
    }

    /// Calls `f` on each weight tensor, writable.
    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        let _ = f;
    }
}

/// Streaming: a layer that runs one time step at a time, carrying a state
/// from step to step (a recurrent layer, an embedding), for `predict_step`.
pub trait Step: Layer {
    /// Floats of state carried between steps (`h`, and LSTM's `c`); all
    /// zeros starts a new sequence.
    const STATE: usize;
    /// Floats of one input step.
    const STEP_IN: usize;
    /// Floats of one output step.
    const STEP_OUT: usize;
    /// Floats of scratch one step needs.
    const STEP_SCRATCH: usize = 0;

    /// One step: `y` (`STEP_OUT`) from `x` (`STEP_IN`) and `state`
    /// (`STATE`), which it advances; `scratch` holds `STEP_SCRATCH` floats.
    fn step(&self, state: &mut [f32], x: &[f32], y: &mut [f32], scratch: &mut [f32]);
}

/// Training, on top of inference: what the generated forward and backward
/// passes call on each layer (needs the `std` feature).
#[cfg(feature = "std")]
pub trait Train: Layer {
    /// Training-time caches and gradients; empty until the first training step.
    type State: Default + Send;
    /// Whether a sample's training pass depends on no other sample of the
    /// batch (false for BatchNorm's batch statistics): a model of such
    /// layers may train a batch in chunks of samples, summing the gradients.
    const PER_SAMPLE: bool = true;
    /// Floats per sample that the training pass keeps in `State` for the
    /// backward pass (besides the output), for [`training_chunk`](crate::model::training_chunk).
    const KEPT: usize = 0;

    /// Training-mode forward pass: keeps in `state` what backward needs and
    /// updates running statistics. The default is `infer`, for layers that
    /// need no scratch.
    fn forward(&mut self, state: &mut Self::State, x: &[f32], y: &mut [f32], rng: &mut Rng) {
        let _ = (state, rng);
        debug_assert_eq!(Self::SCRATCH, 0, "a layer with scratch implements `forward`");
        self.infer(x, y, &mut []);
    }

    /// Backward pass of the last `forward`: stores the weight gradients in
    /// `state` and, unless `dx` is `None` (first layer), the input gradient.
    fn backward(&mut self, state: &mut Self::State, x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>);

    /// Backward pass of the last layer when `dz` is already the gradient with
    /// respect to the pre-activation of its softmax (fused softmax +
    /// cross-entropy); layers without a softmax never get it.
    fn backward_logits(&mut self, state: &mut Self::State, x: &[f32], y: &[f32], dz: &[f32], dx: Option<&mut [f32]>) {
        self.backward(state, x, y, dz, dx);
    }

    /// Calls `f` on each trainable tensor with its gradient from the last backward pass.
    fn visit_grads(&mut self, state: &mut Self::State, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        let _ = (state, f);
    }
}

/// Grows `v` to `n` elements if it is shorter (allocates only the first time
/// a batch of that size is seen) and returns the first `n`.
#[cfg(feature = "std")]
pub fn scratch(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if v.len() < n {
        v.resize(n, 0.0);
    }
    &mut v[..n]
}

/// Number of rows of a batch of `len` values with `width` values per row.
#[inline]
pub(crate) fn rows(len: usize, width: usize) -> usize {
    debug_assert!(width > 0 && len.is_multiple_of(width), "batch of {len} values is not a multiple of {width}");
    len / width
}
