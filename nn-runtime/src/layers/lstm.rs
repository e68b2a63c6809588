//! Keras's `LSTM` cell, gates in Keras's order i, f, c, o:
//! `z = x · kernel + bias + hm · recurrent_kernel`, `i = σ(z_i)`,
//! `f = σ(z_f)`, `g = act(z_c)`, `o = σ(z_o)` (σ the recurrent activation),
//! `c = f · c_prev + i · g`, `h = o · act(c)`.

use core::marker::PhantomData;

use super::recurrent::{gate, recurrent_grads, times, unmask, Cell, StepGrad, StepIn, StepKept, StepOut};
#[cfg(feature = "std")]
use crate::init::Initializer;
use crate::kernels::ActivationFn;
#[cfg(feature = "std")]
use crate::Rng;

/// The `LSTM` cell with activation `A` and recurrent activation `R`; the
/// layer is [`Recurrent<LstmCell<A, R>, ..>`](super::Recurrent).
#[derive(Debug, Clone, Copy, Default)]
pub struct LstmCell<A, R>(PhantomData<(A, R)>);

impl<A: ActivationFn, R: ActivationFn> Cell for LstmCell<A, R> {
    const GATES: usize = 4;
    const CARRY: bool = true;

    fn forward(step: &StepIn, out: StepOut) {
        let u = step.units;
        times(u, 4 * u, step.hm, step.recurrent_kernel, 1.0, out.pre);
        gate::<R>(out.pre, out.act, u, 4, 0);
        gate::<R>(out.pre, out.act, u, 4, 1);
        gate::<A>(out.pre, out.act, u, 4, 2);
        gate::<R>(out.pre, out.act, u, 4, 3);
        let rows = out.act.chunks_exact(4 * u).zip(out.aux.chunks_exact_mut(4 * u));
        let state = out.h.chunks_exact_mut(u).zip(out.c.chunks_exact_mut(u)).zip(step.c_prev.chunks_exact(u));
        for ((a, aux), ((h, c), c_prev)) in rows.zip(state) {
            let (i, f, g, o) = (&a[..u], &a[u..2 * u], &a[2 * u..3 * u], &a[3 * u..]);
            for j in 0..u {
                c[j] = f[j] * c_prev[j] + i[j] * g[j];
            }
            // aux keeps act(c) in its first `u` columns.
            A::apply_to(c, &mut aux[..u], u);
            for j in 0..u {
                h[j] = o[j] * aux[j];
            }
        }
    }

    fn backward(step: &StepIn, kept: &StepKept, grad: StepGrad) {
        let u = step.units;
        let rows = kept.act.chunks_exact(4 * u).zip(kept.aux.chunks_exact(4 * u)).zip(kept.pre.chunks_exact(4 * u));
        let state = kept.c.chunks_exact(u).zip(step.c_prev.chunks_exact(u));
        let grads = grad.dh.chunks_exact(u).zip(grad.dc.chunks_exact_mut(u)).zip(grad.dpre.chunks_exact_mut(4 * u));
        for (((a, aux), z), ((c, c_prev), ((dh, dc), dz))) in rows.zip(state.zip(grads)) {
            for j in 0..u {
                let (i, f, g, o, ac) = (a[j], a[u + j], a[2 * u + j], a[3 * u + j], aux[j]);
                let dct = dc[j] + dh[j] * o * A::df(c[j], ac);
                dz[j] = dct * g * R::df(z[j], i);
                dz[u + j] = dct * c_prev[j] * R::df(z[u + j], f);
                dz[2 * u + j] = dct * i * A::df(z[2 * u + j], g);
                dz[3 * u + j] = dh[j] * ac * R::df(z[3 * u + j], o);
                dc[j] = dct * f;
            }
        }
        recurrent_grads(u, step.hm, grad.dpre, step.recurrent_kernel, grad.drecurrent, grad.tmp_h, 0.0);
        unmask(grad.tmp_h, grad.mask, grad.dh_prev);
    }

    /// Keras's `unit_forget_bias`: the initializer for the i gate, ones for
    /// the f gate, the initializer for the c and o gates.
    #[cfg(feature = "std")]
    fn init_bias(init: &Initializer, unit_forget_bias: bool, units: usize, bias: &mut [f32], rng: &mut Rng) {
        if !unit_forget_bias {
            init.fill(&[bias.len()], bias, rng);
            return;
        }
        init.fill(&[units], &mut bias[..units], rng);
        bias[units..2 * units].fill(1.0);
        init.fill(&[2 * units], &mut bias[2 * units..], rng);
    }
}
