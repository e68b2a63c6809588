//! Keras's `BatchNormalization` over the last axis.
//!
//! Training normalizes with the batch's mean and biased variance (as Keras's
//! `ops.moments`) and moves the moving statistics by
//! `moving = moving * momentum + batch * (1 - momentum)`, with the same
//! biased variance (Keras applies no Bessel correction, unlike PyTorch).
//! Inference uses the moving statistics.

use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use super::{rows, scratch};
use crate::kernels::simd::dispatch;
#[cfg(not(feature = "std"))]
use crate::kernels::CoreMath as _;
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// Batch normalization of `F` features with Keras's defaults
/// (`epsilon = 1e-3`, `momentum = 0.99`, gamma ones, beta zeros).
#[derive(Debug, Clone)]
pub struct BatchNorm<const F: usize> {
    /// Scale, `[F]`.
    pub gamma: Param,
    /// Offset, `[F]`.
    pub beta: Param,
    /// Running mean, `[F]`, not trainable.
    pub moving_mean: Param,
    /// Running variance, `[F]`, not trainable.
    pub moving_variance: Param,
    /// Weight of the old value in the moving averages.
    pub momentum: f32,
    /// Added to the variance before the square root.
    pub epsilon: f32,
}

/// BatchNorm's training caches and gradients.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct BatchNormState {
    mean: Vec<f32>,
    inv_std: Vec<f32>,
    scale: Vec<f32>,
    shift: Vec<f32>,
    dgamma: Vec<f32>,
    dbeta: Vec<f32>,
}

/// Features per block of the inference pass (the per-feature scale and
/// shift of a block live on the stack).
const BLOCK: usize = 512;

#[cfg(feature = "std")]
impl<const F: usize> BatchNorm<F> {
    const SHAPE: &'static [usize] = &[F];

    /// A fresh layer with the given `momentum` and `epsilon`.
    pub fn new(momentum: f32, epsilon: f32) -> Self {
        BatchNorm {
            gamma: Param::filled(Self::SHAPE, 1.0, true),
            beta: Param::filled(Self::SHAPE, 0.0, true),
            moving_mean: Param::filled(Self::SHAPE, 0.0, false).into_statistic(),
            moving_variance: Param::filled(Self::SHAPE, 1.0, false).into_statistic(),
            momentum,
            epsilon,
        }
    }
}

/// `y = x * a + b` per feature, over rows of `a.len()` features.
#[inline(always)]
fn normalize(x: &[f32], y: &mut [f32], a: &[f32], b: &[f32], width: usize) {
    for (xr, yr) in x.chunks_exact(width).zip(y.chunks_exact_mut(width)) {
        for (((y, &x), &a), &b) in yr.iter_mut().zip(xr).zip(a).zip(b) {
            *y = x * a + b;
        }
    }
}

impl<const F: usize> Layer for BatchNorm<F> {
    const IN: usize = F;
    const OUT: usize = F;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        let (g, b, m, v) = (&*self.gamma, &*self.beta, &*self.moving_mean, &*self.moving_variance);
        let eps = self.epsilon;
        // As tf.nn.batch_normalization: x * (gamma / sqrt(var + eps)) + (beta - mean * that),
        // with the per-feature factors computed once per block of features, not per element.
        dispatch(|| {
            let (mut a, mut c) = ([0.0f32; BLOCK], [0.0f32; BLOCK]);
            let mut j0 = 0;
            while j0 < F {
                let w = BLOCK.min(F - j0);
                let (a, c) = (&mut a[..w], &mut c[..w]);
                for ((((a, c), &g), &b), (&m, &v)) in
                    a.iter_mut().zip(c.iter_mut()).zip(&g[j0..]).zip(&b[j0..]).zip(m[j0..].iter().zip(&v[j0..]))
                {
                    *a = g / (v + eps).sqrt();
                    *c = b - m * *a;
                }
                if w == F {
                    normalize(x, y, a, c, F);
                } else {
                    for (xr, yr) in x.chunks_exact(F).zip(y.chunks_exact_mut(F)) {
                        normalize(&xr[j0..j0 + w], &mut yr[j0..j0 + w], a, c, w);
                    }
                }
                j0 += w;
            }
        });
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        f("gamma", &self.gamma);
        f("beta", &self.beta);
        f("moving_mean", &self.moving_mean);
        f("moving_variance", &self.moving_variance);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        f("gamma", &mut self.gamma);
        f("beta", &mut self.beta);
        f("moving_mean", &mut self.moving_mean);
        f("moving_variance", &mut self.moving_variance);
    }
}

#[cfg(feature = "std")]
impl<const F: usize> Train for BatchNorm<F> {
    type State = BatchNormState;
    // The batch's mean and variance.
    const PER_SAMPLE: bool = false;

    fn forward(&mut self, st: &mut BatchNormState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        let n = rows(x.len(), F);
        let mom = self.momentum;
        let eps = self.epsilon;
        let (g, b) = (&*self.gamma, &*self.beta);
        let (mm, mv) = (&mut *self.moving_mean, &mut *self.moving_variance);
        let mean = scratch(&mut st.mean, F);
        let var = scratch(&mut st.inv_std, F);
        let a = scratch(&mut st.scale, F);
        let c = scratch(&mut st.shift, F);
        dispatch(|| {
            // Sums in row order per feature (vectorized across features).
            mean.fill(0.0);
            for r in x.chunks_exact(F) {
                mean.iter_mut().zip(r).for_each(|(m, x)| *m += x);
            }
            let inv_n = 1.0 / n as f32;
            mean.iter_mut().for_each(|m| *m *= inv_n);
            var.fill(0.0);
            for r in x.chunks_exact(F) {
                for ((v, x), m) in var.iter_mut().zip(r).zip(mean.iter()) {
                    let d = x - m;
                    *v += d * d;
                }
            }
            var.iter_mut().for_each(|v| *v *= inv_n);
            for (mm, m) in mm.iter_mut().zip(mean.iter()) {
                *mm = *mm * mom + m * (1.0 - mom);
            }
            for (mv, v) in mv.iter_mut().zip(var.iter()) {
                *mv = *mv * mom + v * (1.0 - mom);
            }
            var.iter_mut().for_each(|v| *v = 1.0 / (*v + eps).sqrt());
            for ((((a, c), &g), &b), (&inv, &m)) in
                a.iter_mut().zip(c.iter_mut()).zip(g).zip(b).zip(var.iter().zip(mean.iter()))
            {
                *a = g * inv;
                *c = b - m * *a;
            }
            normalize(x, y, a, c, F);
        });
    }

    fn backward(&mut self, st: &mut BatchNormState, x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let n = rows(x.len(), F);
        let (mean, inv, a) = (&st.mean[..F], &st.inv_std[..F], &st.scale[..F]);
        let dgamma = scratch(&mut st.dgamma, F);
        let dbeta = scratch(&mut st.dbeta, F);
        dispatch(|| {
            dgamma.fill(0.0);
            dbeta.fill(0.0);
            for (xr, dr) in x.chunks_exact(F).zip(dy.chunks_exact(F)) {
                for ((((dg, db), &x), &d), (&m, &inv)) in
                    dgamma.iter_mut().zip(dbeta.iter_mut()).zip(xr).zip(dr).zip(mean.iter().zip(inv))
                {
                    let xhat = (x - m) * inv;
                    *dg += d * xhat;
                    *db += d;
                }
            }
            if let Some(dx) = dx {
                // a = gamma * inv_std, as computed in the forward pass.
                let inv_n = 1.0 / n as f32;
                let (dgamma, dbeta) = (&*dgamma, &*dbeta);
                for ((xr, dr), dxr) in x.chunks_exact(F).zip(dy.chunks_exact(F)).zip(dx.chunks_exact_mut(F)) {
                    for (((dx, &x), &d), (((&m, &inv), &a), (&dg, &db))) in
                        dxr.iter_mut().zip(xr).zip(dr).zip(mean.iter().zip(inv).zip(a).zip(dgamma.iter().zip(dbeta)))
                    {
                        let xhat = (x - m) * inv;
                        *dx = a * (d - (db + xhat * dg) * inv_n);
                    }
                }
            }
        });
    }

    fn visit_grads(&mut self, st: &mut BatchNormState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        f(&mut self.gamma, &mut st.dgamma[..F]);
        f(&mut self.beta, &mut st.dbeta[..F]);
    }
}

impl<const F: usize> BatchNorm<F> {
    /// The layer over the given tensors (each `[F]`), `momentum` and `epsilon`.
    pub const fn from_params(
        gamma: Param,
        beta: Param,
        moving_mean: Param,
        moving_variance: Param,
        momentum: f32,
        epsilon: f32,
    ) -> Self {
        BatchNorm {
            gamma,
            beta,
            moving_mean: moving_mean.into_statistic(),
            moving_variance: moving_variance.into_statistic(),
            momentum,
            epsilon,
        }
    }
}
