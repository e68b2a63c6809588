//! Keras's `Activation` layer: a function applied on the last axis.

use core::marker::PhantomData;

use super::Layer;
#[cfg(feature = "std")]
use super::Train;
use crate::kernels::ActivationFn;

/// Applies `A` to rows of `F` values (`F` matters for softmax only).
#[derive(Debug, Clone, Copy, Default)]
pub struct Activation<A, const F: usize>(PhantomData<A>);

impl<A, const F: usize> Activation<A, F> {
    /// The layer (it has no weights).
    pub const fn new() -> Self {
        Activation(PhantomData)
    }
}

impl<A: ActivationFn, const F: usize> Layer for Activation<A, F> {
    const IN: usize = F;
    const OUT: usize = F;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        A::apply_to(x, y, F);
    }
}

#[cfg(feature = "std")]
impl<A: ActivationFn, const F: usize> Train for Activation<A, F> {
    type State = ();

    fn backward(&mut self, _: &mut (), x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            A::backward(x, y, dy, dx, F);
        }
    }

    fn backward_logits(&mut self, _: &mut (), _: &[f32], _: &[f32], dz: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            dx.copy_from_slice(dz);
        }
    }
}
