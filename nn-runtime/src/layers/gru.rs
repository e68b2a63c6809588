//! Keras's `GRU` cell, gates in Keras's order z, r, h. With `reset_after`
//! (Keras's default; bias `[2, 3u]`, input and recurrent rows):
//! `hh = act(x_h + r · (hm · U_h + b_rh))`; without it (bias `[3u]`):
//! `hh = act(x_h + (r · hm) · U_h)`; then `h = z · h_prev + (1 − z) · hh`,
//! with `z = σ(x_z + hm · U_z)`, `r = σ(x_r + hm · U_r)` (plus the recurrent
//! bias with `reset_after`), `x = x · kernel + input bias`, σ the recurrent
//! activation and `hm` the previous output after recurrent dropout.

use core::marker::PhantomData;

use super::recurrent::{gate, recurrent_grads, times, unmask, Cell, StepGrad, StepIn, StepKept, StepOut};
use crate::kernels::ActivationFn;

/// The `GRU` cell with activation `A`, recurrent activation `R` and Keras's
/// `reset_after`; the layer is [`Recurrent<GruCell<A, R, RESET_AFTER>, ..>`](super::Recurrent).
#[derive(Debug, Clone, Copy, Default)]
pub struct GruCell<A, R, const RESET_AFTER: bool>(PhantomData<(A, R)>);

impl<A: ActivationFn, R: ActivationFn, const RESET_AFTER: bool> Cell for GruCell<A, R, RESET_AFTER> {
    const GATES: usize = 3;
    const BIAS_ROWS: usize = if RESET_AFTER { 2 } else { 1 };

    fn forward(step: &StepIn, out: StepOut) {
        let u = step.units;
        let w = 3 * u;
        // aux = hm · U (+ the recurrent bias).
        let beta = match step.recurrent_bias {
            Some(b) => {
                out.aux.chunks_exact_mut(w).for_each(|row| row.copy_from_slice(b));
                1.0
            }
            None => 0.0,
        };
        times(u, w, step.hm, step.recurrent_kernel, beta, out.aux);
        for (pre, aux) in out.pre.chunks_exact_mut(w).zip(out.aux.chunks_exact(w)) {
            pre[..2 * u].iter_mut().zip(&aux[..2 * u]).for_each(|(p, a)| *p += a);
        }
        gate::<R>(out.pre, out.act, u, 3, 0);
        gate::<R>(out.pre, out.act, u, 3, 1);
        if RESET_AFTER {
            for ((pre, aux), act) in
                out.pre.chunks_exact_mut(w).zip(out.aux.chunks_exact(w)).zip(out.act.chunks_exact(w))
            {
                for j in 0..u {
                    pre[2 * u + j] += act[u + j] * aux[2 * u + j];
                }
            }
        } else {
            // r · hm into `h` (free until the end), kept in aux's h
            // columns (the product with U_h there is not needed), and its
            // product with U_h added to pre's h columns.
            for ((rh, hm), act) in out.h.chunks_exact_mut(u).zip(step.hm.chunks_exact(u)).zip(out.act.chunks_exact(w)) {
                for j in 0..u {
                    rh[j] = act[u + j] * hm[j];
                }
            }
            for (aux, rh) in out.aux.chunks_exact_mut(w).zip(out.h.chunks_exact(u)) {
                aux[2 * u..].copy_from_slice(rh);
            }
            times_h(u, out.h, step.recurrent_kernel, out.pre);
        }
        gate::<A>(out.pre, out.act, u, 3, 2);
        let rows = out.act.chunks_exact(w).zip(step.h_prev.chunks_exact(u));
        for ((a, h_prev), h) in rows.zip(out.h.chunks_exact_mut(u)) {
            for j in 0..u {
                let (z, hh) = (a[j], a[2 * u + j]);
                h[j] = z * h_prev[j] + (1.0 - z) * hh;
            }
        }
    }

    fn backward(step: &StepIn, kept: &StepKept, grad: StepGrad) {
        let u = step.units;
        let w = 3 * u;
        let rows = kept.act.chunks_exact(w).zip(kept.pre.chunks_exact(w)).zip(step.h_prev.chunks_exact(u));
        let grads = grad.dh.chunks_exact(u).zip(grad.dpre.chunks_exact_mut(w)).zip(grad.tmp.chunks_exact_mut(w));
        // dpre's h columns and tmp = the gradient of the recurrent product
        // (z and r columns filled below).
        for (((a, pre), h_prev), ((dh, dz), t)) in rows.zip(grads) {
            for j in 0..u {
                let (z, hh) = (a[j], a[2 * u + j]);
                let dah = dh[j] * (1.0 - z) * A::df(pre[2 * u + j], hh);
                dz[2 * u + j] = dah;
                dz[j] = dh[j] * (h_prev[j] - hh) * R::df(pre[j], z);
                t[j] = 0.0;
                t[u + j] = 0.0;
                t[2 * u + j] = if RESET_AFTER { dah * a[u + j] } else { dah };
            }
        }
        if RESET_AFTER {
            // dr = dah · (hm · U_h + b_rh), kept in aux's h columns.
            let rows = kept.act.chunks_exact(w).zip(kept.pre.chunks_exact(w)).zip(kept.aux.chunks_exact(w));
            for (((a, pre), aux), (dz, t)) in rows.zip(grad.dpre.chunks_exact_mut(w).zip(grad.tmp.chunks_exact_mut(w)))
            {
                for j in 0..u {
                    let dr = dz[2 * u + j] * aux[2 * u + j];
                    dz[u + j] = dr * R::df(pre[u + j], a[u + j]);
                    t[j] = dz[j];
                    t[u + j] = dz[u + j];
                }
            }
            if let Some(db) = grad.drecurrent_bias {
                for row in grad.tmp.chunks_exact(w) {
                    db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
                }
            }
            recurrent_grads(u, step.hm, grad.tmp, step.recurrent_kernel, grad.drecurrent, grad.tmp_h, 0.0);
        } else {
            // (r · hm) · U_h: its gradients first, with r · hm (kept in aux)
            // copied to a contiguous buffer (dh_prev, written last).
            for (rh, aux) in grad.dh_prev.chunks_exact_mut(u).zip(kept.aux.chunks_exact(w)) {
                rh.copy_from_slice(&aux[2 * u..]);
            }
            recurrent_grads(u, grad.dh_prev, grad.tmp, step.recurrent_kernel, grad.drecurrent, grad.tmp_h, 0.0);
            // tmp_h = d(r · hm): dr = tmp_h · hm, and tmp_h becomes its part of dhm (tmp_h · r).
            let rows = kept.act.chunks_exact(w).zip(kept.pre.chunks_exact(w)).zip(step.hm.chunks_exact(u));
            let grads =
                grad.tmp_h.chunks_exact_mut(u).zip(grad.dpre.chunks_exact_mut(w)).zip(grad.tmp.chunks_exact_mut(w));
            for (((a, pre), hm), ((drh, dz), t)) in rows.zip(grads) {
                for j in 0..u {
                    let r = a[u + j];
                    dz[u + j] = drh[j] * hm[j] * R::df(pre[u + j], r);
                    drh[j] *= r;
                    t[j] = dz[j];
                    t[u + j] = dz[u + j];
                    t[2 * u + j] = 0.0;
                }
            }
            recurrent_grads(u, step.hm, grad.tmp, step.recurrent_kernel, grad.drecurrent, grad.tmp_h, 1.0);
        }
        unmask(grad.tmp_h, grad.mask, grad.dh_prev);
        // The direct path: h = z · h_prev + ...
        for ((d, dh), a) in grad.dh_prev.chunks_exact_mut(u).zip(grad.dh.chunks_exact(u)).zip(kept.act.chunks_exact(w))
        {
            for j in 0..u {
                d[j] += dh[j] * a[j];
            }
        }
    }
}

/// Adds the h columns of `rh · recurrent_kernel` (`rh` is `n × u`, the
/// kernel `u × 3u`) to `pre`'s h columns, one row at a time.
fn times_h(u: usize, rh: &[f32], recurrent: &[f32], pre: &mut [f32]) {
    let w = 3 * u;
    for (r, p) in rh.chunks_exact(u).zip(pre.chunks_exact_mut(w)) {
        let out = &mut p[2 * u..];
        for (k, &v) in r.iter().enumerate() {
            let row = &recurrent[k * w + 2 * u..(k + 1) * w];
            out.iter_mut().zip(row).for_each(|(o, b)| *o += v * b);
        }
    }
}
