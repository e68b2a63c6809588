//! Keras's `BatchNormalization` over the last axis.
//!
//! Training normalizes with the batch's mean and biased variance (as Keras's
//! `ops.moments`) and moves the moving statistics by
//! `moving = moving * momentum + batch * (1 - momentum)`, with the same
//! biased variance (Keras applies no Bessel correction, unlike PyTorch).
//! Inference uses the moving statistics.

use super::{rows, scratch, Layer};
use crate::{Param, Rng};

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
#[derive(Debug, Default)]
pub struct BatchNormState {
    mean: Vec<f32>,
    inv_std: Vec<f32>,
    dgamma: Vec<f32>,
    dbeta: Vec<f32>,
}

impl<const F: usize> BatchNorm<F> {
    const SHAPE: &'static [usize] = &[F];

    /// A fresh layer with the given `momentum` and `epsilon`.
    pub fn new(momentum: f32, epsilon: f32) -> Self {
        BatchNorm {
            gamma: Param::filled(Self::SHAPE, 1.0, true),
            beta: Param::filled(Self::SHAPE, 0.0, true),
            moving_mean: Param::filled(Self::SHAPE, 0.0, false),
            moving_variance: Param::filled(Self::SHAPE, 1.0, false),
            momentum,
            epsilon,
        }
    }

    fn normalize(x: &[f32], y: &mut [f32], scale: impl Fn(usize) -> (f32, f32)) {
        for (xr, yr) in x.chunks_exact(F).zip(y.chunks_exact_mut(F)) {
            for (j, (x, y)) in xr.iter().zip(yr.iter_mut()).enumerate() {
                let (a, b) = scale(j);
                *y = x * a + b;
            }
        }
    }
}

impl<const F: usize> Layer for BatchNorm<F> {
    const IN: usize = F;
    const OUT: usize = F;
    type State = BatchNormState;

    fn infer(&self, x: &[f32], y: &mut [f32]) {
        let (g, b, m, v) = (&*self.gamma, &*self.beta, &*self.moving_mean, &*self.moving_variance);
        let eps = self.epsilon;
        // As tf.nn.batch_normalization: x * (gamma / sqrt(var + eps)) + (beta - mean * that).
        Self::normalize(x, y, |j| {
            let a = g[j] / (v[j] + eps).sqrt();
            (a, b[j] - m[j] * a)
        });
    }

    fn forward(&mut self, st: &mut BatchNormState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        let n = rows(x.len(), F);
        let mean = scratch(&mut st.mean, F);
        mean.fill(0.0);
        for r in x.chunks_exact(F) {
            mean.iter_mut().zip(r).for_each(|(m, x)| *m += x);
        }
        let inv_n = 1.0 / n as f32;
        mean.iter_mut().for_each(|m| *m *= inv_n);
        let var = scratch(&mut st.inv_std, F);
        var.fill(0.0);
        for r in x.chunks_exact(F) {
            for ((v, x), m) in var.iter_mut().zip(r).zip(mean.iter()) {
                let d = x - m;
                *v += d * d;
            }
        }
        var.iter_mut().for_each(|v| *v *= inv_n);
        let mom = self.momentum;
        for (mm, m) in self.moving_mean.iter_mut().zip(mean.iter()) {
            *mm = *mm * mom + m * (1.0 - mom);
        }
        for (mv, v) in self.moving_variance.iter_mut().zip(var.iter()) {
            *mv = *mv * mom + v * (1.0 - mom);
        }
        let eps = self.epsilon;
        var.iter_mut().for_each(|v| *v = 1.0 / (*v + eps).sqrt());
        let (g, b, inv, mean) = (&*self.gamma, &*self.beta, &*var, &*mean);
        Self::normalize(x, y, |j| {
            let a = g[j] * inv[j];
            (a, b[j] - mean[j] * a)
        });
    }

    fn backward(&mut self, st: &mut BatchNormState, x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let n = rows(x.len(), F);
        let (mean, inv) = (&st.mean[..F], &st.inv_std[..F]);
        let dgamma = scratch(&mut st.dgamma, F);
        dgamma.fill(0.0);
        let dbeta = scratch(&mut st.dbeta, F);
        dbeta.fill(0.0);
        for (xr, dr) in x.chunks_exact(F).zip(dy.chunks_exact(F)) {
            for j in 0..F {
                let xhat = (xr[j] - mean[j]) * inv[j];
                dgamma[j] += dr[j] * xhat;
                dbeta[j] += dr[j];
            }
        }
        if let Some(dx) = dx {
            let g = &*self.gamma;
            let inv_n = 1.0 / n as f32;
            for ((xr, dr), dxr) in x.chunks_exact(F).zip(dy.chunks_exact(F)).zip(dx.chunks_exact_mut(F)) {
                for j in 0..F {
                    let xhat = (xr[j] - mean[j]) * inv[j];
                    dxr[j] = g[j] * inv[j] * (dr[j] - (dbeta[j] + xhat * dgamma[j]) * inv_n);
                }
            }
        }
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

    fn visit_grads(&mut self, st: &mut BatchNormState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        f(&mut self.gamma, &mut st.dgamma[..F]);
        f(&mut self.beta, &mut st.dbeta[..F]);
    }
}
