//! Keras's `LSTM` cell, gates in Keras's order i, f, c, o:
//! `z = x · kernel + bias + hm · recurrent_kernel`, `i = σ(z_i)`,
//! `f = σ(z_f)`, `g = act(z_c)`, `o = σ(z_o)` (σ the recurrent activation),
//! `c = f · c_prev + i · g`, `h = o · act(c)`.

use core::marker::PhantomData;

use super::recurrent::{lanes, store, unmask, Cell, StepGrad, StepIn, StepKept, StepOut, LANES};
#[cfg(feature = "std")]
use crate::init::Initializer;
use crate::kernels::simd::{dispatch_body, Body};
use crate::kernels::ActivationFn;
#[cfg(feature = "std")]
use crate::Rng;

/// The `LSTM` cell with activation `A` and recurrent activation `R`; the
/// layer is [`Recurrent<LstmCell<A, R>, ..>`](super::Recurrent).
#[derive(Debug, Clone, Copy, Default)]
pub struct LstmCell<A, R>(PhantomData<(A, R)>);

impl<A: ActivationFn, R: ActivationFn> LstmCell<A, R> {
    /// Whether the gates overwrite their pre-activations (see [`Cell::ACT`]):
    /// a third less memory kept and read back per step.
    const IN_PLACE: bool = A::FROM_OUTPUT && R::FROM_OUTPUT;
}

impl<A: ActivationFn, R: ActivationFn> Cell for LstmCell<A, R> {
    const GATES: usize = 4;
    const ADDITIVE: bool = true;
    const CARRY: bool = true;
    // The gates over their pre-activations in `pre` when both functions'
    // derivatives need only their outputs (tanh, sigmoid), else in `act`.
    const ACT: usize = if Self::IN_PLACE { 0 } else { 4 };
    // act(c).
    const AUX: usize = 1;

    fn forward(step: &StepIn, out: StepOut) {
        let u = step.units;
        if !step.projected {
            step.recurrent_times(1.0, out.pre);
        }
        // One pass over the gates, compiled for this CPU's vector instructions.
        dispatch_body(Forward::<A, R> { u, c_prev: step.c_prev, out, act: PhantomData });
    }

    fn backward(step: &StepIn, kept: &StepKept, grad: StepGrad) {
        let u = step.units;
        dispatch_body(Backward::<A, R> {
            u,
            c_prev: step.c_prev,
            kept,
            dh: grad.dh,
            dc: grad.dc,
            dpre: grad.dpre,
            act: PhantomData,
        });
        if !grad.dh_prev.is_empty() {
            step.state_grad(grad.dpre, grad.tmp_h);
            unmask(grad.tmp_h, grad.mask, grad.dh_prev);
        }
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

/// The gates, `c` and `h` of one step, as a loop compiled per instruction set.
struct Forward<'a, A, R> {
    u: usize,
    c_prev: &'a [f32],
    out: StepOut<'a>,
    act: PhantomData<(A, R)>,
}

impl<A: ActivationFn, R: ActivationFn> Body for Forward<'_, A, R> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let Forward { u, c_prev, out, .. } = self;
        let (keep, in_place) = (out.keep, LstmCell::<A, R>::IN_PLACE);
        let rows = out.pre.chunks_exact_mut(4 * u).enumerate().zip(out.aux.chunks_exact_mut(u));
        let state = out.h.chunks_exact_mut(u).zip(out.c.chunks_exact_mut(u)).zip(c_prev.chunks_exact(u));
        for (((row, z), aux), ((h, c), c_prev)) in rows.zip(state) {
            // Lanes of 16 through local arrays (one vector register each on
            // AVX-512): LLVM vectorizes these without alias checks.
            let mut j = 0;
            while j < u {
                let w = LANES.min(u - j);
                let r = j..j + w;
                let gate = |g: usize| lanes(&z[g * u + j..g * u + j + w]);
                let (zi, zf, zc, zo) = (gate(0), gate(1), gate(2), gate(3));
                let cp = lanes(&c_prev[r.clone()]);
                let mut v = [[0.0f32; LANES]; 7];
                let [i, f, g, o, cn, ac, hn] = &mut v;
                for k in 0..LANES {
                    (i[k], f[k], g[k], o[k]) = (R::f(zi[k]), R::f(zf[k]), A::f(zc[k]), R::f(zo[k]));
                    cn[k] = f[k] * cp[k] + i[k] * g[k];
                    ac[k] = A::f(cn[k]);
                    hn[k] = o[k] * ac[k];
                }
                let [i, f, g, o, cn, ac, hn] = &v;
                if keep {
                    let a = if in_place { &mut *z } else { &mut out.act[row * 4 * u..(row + 1) * 4 * u] };
                    for (gate, v) in [i, f, g, o].into_iter().enumerate() {
                        store(&mut a[gate * u + j..gate * u + j + w], v);
                    }
                    store(&mut aux[r.clone()], ac);
                }
                store(&mut c[r.clone()], cn);
                store(&mut h[r], hn);
                j += w;
            }
        }
    }
}

/// The pre-activations' gradients of one step and the previous carry's (in
/// `dc`), as a loop compiled per instruction set.
struct Backward<'a, A, R> {
    u: usize,
    c_prev: &'a [f32],
    kept: &'a StepKept<'a>,
    dh: &'a [f32],
    dc: &'a mut [f32],
    dpre: &'a mut [f32],
    act: PhantomData<(A, R)>,
}

impl<A: ActivationFn, R: ActivationFn> Body for Backward<'_, A, R> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let Backward { u, c_prev, kept, dh, dc, dpre, .. } = self;
        let in_place = LstmCell::<A, R>::IN_PLACE;
        // The gates, and their pre-activations unless the gates replaced them.
        let gates = if in_place { kept.pre } else { kept.act };
        let rows = gates.chunks_exact(4 * u).zip(kept.aux.chunks_exact(u)).zip(kept.pre.chunks_exact(4 * u));
        let state = kept.c.chunks_exact(u).zip(c_prev.chunks_exact(u));
        let grads = dh.chunks_exact(u).zip(dc.chunks_exact_mut(u)).zip(dpre.chunks_exact_mut(4 * u));
        for (((a, ac), z), ((c, c_prev), ((dh, dc), dz))) in rows.zip(state.zip(grads)) {
            let (di, rest) = dz.split_at_mut(u);
            let (df, rest) = rest.split_at_mut(u);
            let (dg, d_o) = rest.split_at_mut(u);
            let mut j = 0;
            while j < u {
                let w = LANES.min(u - j);
                let r = j..j + w;
                let gate = |g: usize| lanes(&a[g * u + j..g * u + j + w]);
                let (i, f, g, o) = (gate(0), gate(1), gate(2), gate(3));
                let (ac, cp) = (lanes(&ac[r.clone()]), lanes(&c_prev[r.clone()]));
                // The functions' inputs: their outputs where that is all
                // the derivative needs.
                let ct = if A::FROM_OUTPUT { ac } else { lanes(&c[r.clone()]) };
                let pre = |g: usize, y: [f32; LANES]| if in_place { y } else { lanes(&z[g * u + j..g * u + j + w]) };
                let (pi, pf, pc, po) = (pre(0, i), pre(1, f), pre(2, g), pre(3, o));
                let (gh, gc) = (lanes(&dh[r.clone()]), lanes(&dc[r.clone()]));
                let mut out = [[0.0f32; LANES]; 5];
                for k in 0..LANES {
                    let dct = gc[k] + gh[k] * o[k] * A::df(ct[k], ac[k]);
                    out[0][k] = dct * g[k] * R::df(pi[k], i[k]);
                    out[1][k] = dct * cp[k] * R::df(pf[k], f[k]);
                    out[2][k] = dct * i[k] * A::df(pc[k], g[k]);
                    out[3][k] = gh[k] * ac[k] * R::df(po[k], o[k]);
                    out[4][k] = dct * f[k];
                }
                store(&mut di[r.clone()], &out[0]);
                store(&mut df[r.clone()], &out[1]);
                store(&mut dg[r.clone()], &out[2]);
                store(&mut d_o[r.clone()], &out[3]);
                store(&mut dc[r], &out[4]);
                j += w;
            }
        }
    }
}
