//! Keras's optimizers.
//!
//! The training loop calls [`Optimizer::begin_step`] once per batch, then
//! [`Optimizer::update`] for each trainable tensor in a fixed order, so an
//! optimizer keeps its per-tensor state (momenta, accumulators) by index and
//! allocates only on the first step.

/// An optimizer: Keras's update rule for one tensor at a time.
pub trait Optimizer {
    /// Starts a step: advances the iteration count (and the learning-rate schedule).
    fn begin_step(&mut self);

    /// Updates tensor number `index` from its gradient (which clipping may change in place).
    fn update(&mut self, index: usize, param: &mut [f32], grad: &mut [f32]);
}
