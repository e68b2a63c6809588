//! Keras's `GRU` cell, gates in Keras's order z, r, h. With `reset_after`
//! (Keras's default; bias `[2, 3u]`, input and recurrent rows):
//! `hh = act(x_h + r · (hm · U_h + b_rh))`; without it (bias `[3u]`):
//! `hh = act(x_h + (r · hm) · U_h)`; then `h = z · h_prev + (1 − z) · hh`,
//! with `z = σ(x_z + hm · U_z)`, `r = σ(x_r + hm · U_r)` (plus the recurrent
//! bias with `reset_after`), `x = x · kernel + input bias`, σ the recurrent
//! activation and `hm` the previous output after recurrent dropout.

use core::marker::PhantomData;

use super::recurrent::{
    lanes, recurrent_grads, store, times, unmask, Cell, StepGrad, StepIn, StepKept, StepOut, LANES,
};
use crate::kernels::simd::{dispatch, dispatch_body, Body};
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
        let StepOut { pre, act, aux, h, keep, .. } = out;
        // aux = hm · U (+ the recurrent bias).
        let beta = match step.recurrent_bias {
            Some(b) => {
                aux.chunks_exact_mut(w).for_each(|row| row.copy_from_slice(b));
                1.0
            }
            None => 0.0,
        };
        times(u, w, step.hm, step.recurrent_kernel, beta, aux);
        if RESET_AFTER {
            dispatch_body(ResetAfter::<A, R> { u, h_prev: step.h_prev, pre, act, aux, h, keep, act_fns: PhantomData });
        } else {
            // z and r, then r · hm (into `h`, free until the end, and kept in
            // aux's h columns, whose product with U_h is not needed), its
            // product with U_h added to pre's h columns, then the candidate.
            dispatch_body(UpdateReset::<R> {
                u,
                hm: step.hm,
                pre: &mut *pre,
                act: &mut *act,
                aux,
                h: &mut *h,
                act_fn: PhantomData,
            });
            dispatch(|| times_h(u, h, step.recurrent_kernel, pre));
            dispatch_body(Candidate::<A> { u, h_prev: step.h_prev, pre, act, h, act_fn: PhantomData });
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

/// One step of the gates with `reset_after`: `z`, `r`, the candidate and
/// `h`, from `pre` (the input projection) and `aux` (the recurrent one).
struct ResetAfter<'a, A, R> {
    u: usize,
    h_prev: &'a [f32],
    pre: &'a mut [f32],
    act: &'a mut [f32],
    aux: &'a [f32],
    h: &'a mut [f32],
    keep: bool,
    act_fns: PhantomData<(A, R)>,
}

impl<A: ActivationFn, R: ActivationFn> Body for ResetAfter<'_, A, R> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let ResetAfter { u, h_prev, pre, act, aux, h, keep, .. } = self;
        let w = 3 * u;
        let rows = pre.chunks_exact_mut(w).zip(act.chunks_exact_mut(w)).zip(aux.chunks_exact(w));
        for (((p, a), x), (hp, h)) in rows.zip(h_prev.chunks_exact(u).zip(h.chunks_exact_mut(u))) {
            let (pz, rest) = p.split_at_mut(u);
            let (pr, ph) = rest.split_at_mut(u);
            let (az, rest) = a.split_at_mut(u);
            let (ar, ah) = rest.split_at_mut(u);
            let (xz, xr, xh) = (&x[..u], &x[u..2 * u], &x[2 * u..]);
            let mut j = 0;
            while j < u {
                let r = j..(j + LANES).min(u);
                let (zs, rs, hs, xzl, xrl, xhl) = (
                    lanes(&pz[r.clone()]),
                    lanes(&pr[r.clone()]),
                    lanes(&ph[r.clone()]),
                    lanes(&xz[r.clone()]),
                    lanes(&xr[r.clone()]),
                    lanes(&xh[r.clone()]),
                );
                let hpl = lanes(&hp[r.clone()]);
                let mut out = [[0.0f32; LANES]; 7];
                let [z, rg, cand, zp, rp, cp, hn] = &mut out;
                for k in 0..LANES {
                    zp[k] = zs[k] + xzl[k];
                    rp[k] = rs[k] + xrl[k];
                    z[k] = R::f(zp[k]);
                    rg[k] = R::f(rp[k]);
                    cp[k] = hs[k] + rg[k] * xhl[k];
                    cand[k] = A::f(cp[k]);
                    hn[k] = z[k] * hpl[k] + (1.0 - z[k]) * cand[k];
                }
                if keep {
                    store(&mut pz[r.clone()], zp);
                    store(&mut pr[r.clone()], rp);
                    store(&mut ph[r.clone()], cp);
                    store(&mut az[r.clone()], z);
                    store(&mut ar[r.clone()], rg);
                    store(&mut ah[r.clone()], cand);
                }
                j = r.end;
                store(&mut h[r], hn);
            }
        }
    }
}

/// Without `reset_after`: `z` and `r` into `act` (their pre-activations
/// into `pre`), and `r · hm` into `h` and aux's h columns.
struct UpdateReset<'a, R> {
    u: usize,
    hm: &'a [f32],
    pre: &'a mut [f32],
    act: &'a mut [f32],
    aux: &'a mut [f32],
    h: &'a mut [f32],
    act_fn: PhantomData<R>,
}

impl<R: ActivationFn> Body for UpdateReset<'_, R> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let UpdateReset { u, hm, pre, act, aux, h, .. } = self;
        let w = 3 * u;
        let rows = pre.chunks_exact_mut(w).zip(act.chunks_exact_mut(w)).zip(aux.chunks_exact_mut(w));
        for (((p, a), x), (hm, rh)) in rows.zip(hm.chunks_exact(u).zip(h.chunks_exact_mut(u))) {
            let (pz, rest) = p.split_at_mut(u);
            let pr = &mut rest[..u];
            let (az, rest) = a.split_at_mut(u);
            let ar = &mut rest[..u];
            let (xz, rest) = x.split_at_mut(u);
            let (xr, xh) = rest.split_at_mut(u);
            let mut j = 0;
            while j < u {
                let r = j..(j + LANES).min(u);
                let (zs, rs, xzl, xrl, hml) = (
                    lanes(&pz[r.clone()]),
                    lanes(&pr[r.clone()]),
                    lanes(&xz[r.clone()]),
                    lanes(&xr[r.clone()]),
                    lanes(&hm[r.clone()]),
                );
                let mut out = [[0.0f32; LANES]; 5];
                let [z, rg, zp, rp, rhl] = &mut out;
                for k in 0..LANES {
                    zp[k] = zs[k] + xzl[k];
                    rp[k] = rs[k] + xrl[k];
                    z[k] = R::f(zp[k]);
                    rg[k] = R::f(rp[k]);
                    rhl[k] = rg[k] * hml[k];
                }
                store(&mut pz[r.clone()], zp);
                store(&mut pr[r.clone()], rp);
                store(&mut az[r.clone()], z);
                store(&mut ar[r.clone()], rg);
                store(&mut xh[r.clone()], rhl);
                j = r.end;
                store(&mut rh[r], rhl);
            }
        }
    }
}

/// Without `reset_after`: the candidate from pre's h columns and the new `h`.
struct Candidate<'a, A> {
    u: usize,
    h_prev: &'a [f32],
    pre: &'a [f32],
    act: &'a mut [f32],
    h: &'a mut [f32],
    act_fn: PhantomData<A>,
}

impl<A: ActivationFn> Body for Candidate<'_, A> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let Candidate { u, h_prev, pre, act, h, .. } = self;
        let w = 3 * u;
        for ((p, a), (hp, h)) in
            pre.chunks_exact(w).zip(act.chunks_exact_mut(w)).zip(h_prev.chunks_exact(u).zip(h.chunks_exact_mut(u)))
        {
            let (az, ah) = a.split_at_mut(2 * u);
            let ph = &p[2 * u..];
            let mut j = 0;
            while j < u {
                let r = j..(j + LANES).min(u);
                let (cp, z, hpl) = (lanes(&ph[r.clone()]), lanes(&az[r.clone()]), lanes(&hp[r.clone()]));
                let mut out = [[0.0f32; LANES]; 2];
                let [cand, hn] = &mut out;
                for k in 0..LANES {
                    cand[k] = A::f(cp[k]);
                    hn[k] = z[k] * hpl[k] + (1.0 - z[k]) * cand[k];
                }
                store(&mut ah[r.clone()], cand);
                j = r.end;
                store(&mut h[r], hn);
            }
        }
    }
}
