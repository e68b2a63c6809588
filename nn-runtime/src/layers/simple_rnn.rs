//! Keras's `SimpleRNN` cell: `h = activation(x · kernel + bias + hm · recurrent_kernel)`,
//! `hm` the previous output (after recurrent dropout in training).

use core::marker::PhantomData;

use super::recurrent::{state_grad, times, unmask, Cell, StepGrad, StepIn, StepKept, StepOut};
use crate::kernels::ActivationFn;

/// The `SimpleRNN` cell with activation `A`; the layer is
/// [`Recurrent<SimpleRnnCell<A>, ..>`](super::Recurrent).
#[derive(Debug, Clone, Copy, Default)]
pub struct SimpleRnnCell<A>(PhantomData<A>);

impl<A: ActivationFn> Cell for SimpleRnnCell<A> {
    const GATES: usize = 1;
    const ADDITIVE: bool = true;

    fn forward(step: &StepIn, out: StepOut) {
        let u = step.units;
        if !step.projected {
            times(u, u, step.hm, step.recurrent_kernel, 1.0, out.pre);
        }
        A::apply_to(out.pre, out.h, u);
    }

    fn backward(step: &StepIn, kept: &StepKept, grad: StepGrad) {
        let u = step.units;
        A::backward(kept.pre, kept.h, grad.dh, grad.dpre, u);
        state_grad(u, grad.dpre, step.recurrent_kernel, grad.tmp_h);
        unmask(grad.tmp_h, grad.mask, grad.dh_prev);
    }
}
