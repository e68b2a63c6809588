//! Keras's `SimpleRNN` cell: `h = activation(x · kernel + bias + hm · recurrent_kernel)`,
//! `hm` the previous output (after recurrent dropout in training).

use core::marker::PhantomData;

use super::recurrent::{unmask, Cell, StepGrad, StepIn, StepKept, StepOut};
use crate::kernels::ActivationFn;

/// The `SimpleRNN` cell with activation `A`; the layer is
/// [`Recurrent<SimpleRnnCell<A>, ..>`](super::Recurrent).
#[derive(Debug, Clone, Copy, Default)]
pub struct SimpleRnnCell<A>(PhantomData<A>);

impl<A: ActivationFn> Cell for SimpleRnnCell<A> {
    const GATES: usize = 1;
    const ADDITIVE: bool = true;
    // Backward reads `pre` and `h` only.
    const ACT: usize = 0;
    const AUX: usize = 0;

    fn forward(step: &StepIn, out: StepOut) {
        let u = step.units;
        if !step.projected {
            step.recurrent_times(1.0, out.pre);
        }
        A::apply_to(out.pre, out.h, u);
    }

    fn backward(step: &StepIn, kept: &StepKept, grad: StepGrad) {
        let u = step.units;
        A::backward(kept.pre, kept.h, grad.dh, grad.dpre, u);
        if !grad.dh_prev.is_empty() {
            step.state_grad(grad.dpre, grad.tmp_h);
            unmask(grad.tmp_h, grad.mask, grad.dh_prev);
        }
    }
}
