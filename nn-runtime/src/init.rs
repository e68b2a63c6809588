//! Weight initializers: Keras 3's `Zeros`, `Ones`, `Constant` and the
//! `VarianceScaling` family (`glorot_*`, `he_*`, `lecun_*`).
//!
//! The formulas are Keras 3's, term for term: the fans come from
//! [`compute_fans`], the variance target is `scale / n` with `n` the fan the
//! mode picks (at least 1), and the truncated normal is cut at two standard
//! deviations and widened by `1 / 0.87962566103423978` so that the samples
//! still have variance `scale / n`.
//!
//! ```
//! use nn_runtime::init::Initializer;
//!
//! let mut rng = nn_runtime::rng::seeded(42);
//! let shape = [784, 300]; // a Dense kernel, Keras layout [in, out]
//! let mut kernel = vec![0.0f32; 784 * 300];
//! Initializer::he_normal().fill(&shape, &mut kernel, &mut rng);
//!
//! // He normal: variance 2 / fan_in, truncated at two standard deviations.
//! let stddev = (2.0f32 / 784.0).sqrt() / 0.879_625_66;
//! assert!(kernel.iter().all(|w| w.abs() <= 2.0 * stddev * 1.000_001));
//! ```

use rand::Rng as _;
use rand_distr::{Distribution as _, StandardNormal, Uniform};

use crate::Rng;

/// Which fan the variance of a [`Initializer::VarianceScaling`] is divided by
/// (Keras's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    /// `fan_in`: the number of inputs of a unit.
    FanIn,
    /// `fan_out`: the number of outputs of a unit.
    FanOut,
    /// `fan_avg`: the mean of `fan_in` and `fan_out`.
    FanAvg,
}

/// The distribution a [`Initializer::VarianceScaling`] draws from (Keras's
/// `distribution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// `truncated_normal` (alias `normal`): a normal cut at two standard
    /// deviations, rescaled so that the samples keep the target variance.
    TruncatedNormal,
    /// `untruncated_normal`: a plain normal with the target variance.
    UntruncatedNormal,
    /// `uniform`: uniform on `[-limit, limit)`, `limit = sqrt(3 * scale / n)`.
    Uniform,
}

/// How a weight tensor is filled before training (Keras's initializers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initializer {
    /// Every value `0.0` (Keras's default for biases).
    Zeros,
    /// Every value `1.0`.
    Ones,
    /// Every value the given constant.
    Constant(f32),
    /// Keras's `VarianceScaling`: samples with variance `scale / n`, where `n`
    /// is the fan chosen by `mode` (at least 1).
    ///
    /// `scale` must be positive and finite, as Keras requires; any other
    /// value fills zeros here rather than panic.
    VarianceScaling {
        /// Multiplier of the variance (Keras's `scale`).
        scale: f32,
        /// Which fan divides the variance.
        mode: FanMode,
        /// Which distribution the samples come from.
        distribution: Distribution,
    },
    /// Keras's `Orthogonal(gain)`, the default recurrent kernel: a matrix
    /// of normal samples (rows: the product of every axis but the last)
    /// made orthonormal by QR, each column signed by R's diagonal, times `gain`.
    Orthogonal {
        /// Multiplier of the orthonormal matrix.
        gain: f32,
    },
    /// Keras's `RandomUniform(minval, maxval)` (Embedding's default, −0.05..0.05).
    RandomUniform {
        /// Lower bound.
        min: f32,
        /// Upper bound (excluded).
        max: f32,
    },
}

impl Initializer {
    /// Keras's `glorot_uniform`, the default for kernels: scale 1, `fan_avg`, uniform.
    pub const fn glorot_uniform() -> Self {
        Self::variance_scaling(1.0, FanMode::FanAvg, Distribution::Uniform)
    }

    /// Keras's `glorot_normal`: scale 1, `fan_avg`, truncated normal.
    pub const fn glorot_normal() -> Self {
        Self::variance_scaling(1.0, FanMode::FanAvg, Distribution::TruncatedNormal)
    }

    /// Keras's `he_normal`: scale 2, `fan_in`, truncated normal.
    pub const fn he_normal() -> Self {
        Self::variance_scaling(2.0, FanMode::FanIn, Distribution::TruncatedNormal)
    }

    /// Keras's `he_uniform`: scale 2, `fan_in`, uniform.
    pub const fn he_uniform() -> Self {
        Self::variance_scaling(2.0, FanMode::FanIn, Distribution::Uniform)
    }

    /// Keras's `lecun_normal` (the one for SELU): scale 1, `fan_in`, truncated normal.
    pub const fn lecun_normal() -> Self {
        Self::variance_scaling(1.0, FanMode::FanIn, Distribution::TruncatedNormal)
    }

    /// Keras's `lecun_uniform`: scale 1, `fan_in`, uniform.
    pub const fn lecun_uniform() -> Self {
        Self::variance_scaling(1.0, FanMode::FanIn, Distribution::Uniform)
    }

    /// Keras's `orthogonal` with gain 1 (recurrent kernels' default).
    pub const fn orthogonal() -> Self {
        Initializer::Orthogonal { gain: 1.0 }
    }

    /// Keras's `RandomUniform(min, max)`.
    pub const fn random_uniform(min: f32, max: f32) -> Self {
        Initializer::RandomUniform { min, max }
    }

    /// Keras's `VarianceScaling(scale, mode, distribution)`.
    pub const fn variance_scaling(scale: f32, mode: FanMode, distribution: Distribution) -> Self {
        Initializer::VarianceScaling { scale, mode, distribution }
    }

    /// A trainable tensor of `shape` drawn by this initializer (what every
    /// layer's `new` makes its kernels and biases with).
    pub fn draw(&self, shape: &'static [usize], rng: &mut Rng) -> crate::Param {
        let mut p = crate::Param::filled(shape, 0.0, true);
        self.fill(shape, &mut p, rng);
        p
    }

    /// Fills `out` (row-major tensor of `shape`, Keras layout) with samples.
    ///
    /// The fans come from `shape` ([`compute_fans`]); `out` should hold
    /// `shape`'s product of values and is filled entirely. Only
    /// `VarianceScaling`, `Orthogonal` and `RandomUniform` draw from `rng`; the same generator state gives the
    /// same values, bit for bit.
    pub fn fill(&self, shape: &[usize], out: &mut [f32], rng: &mut Rng) {
        debug_assert_eq!(out.len(), shape.iter().product::<usize>(), "initializer output length vs shape {shape:?}");
        match *self {
            Initializer::Zeros => out.fill(0.0),
            Initializer::Ones => out.fill(1.0),
            Initializer::Constant(c) => out.fill(c),
            Initializer::Orthogonal { gain } => orthogonal(shape, gain, out, rng),
            Initializer::RandomUniform { min, max } => match Uniform::new(min, max) {
                Ok(uniform) => out.iter_mut().for_each(|v| *v = uniform.sample(rng)),
                // Keras refuses min >= max or non-finite bounds; nn fills zeros.
                Err(_) => out.fill(0.0),
            },
            Initializer::VarianceScaling { scale, mode, distribution } => {
                let (fan_in, fan_out) = compute_fans(shape);
                let n = match mode {
                    FanMode::FanIn => fan_in,
                    FanMode::FanOut => fan_out,
                    FanMode::FanAvg => (fan_in + fan_out) / 2.0,
                };
                // Keras: `scale /= max(1.0, n)`; computed in f64 as Python does.
                let var = f64::from(scale) / f64::from(n).max(1.0);
                if !(var > 0.0 && var.is_finite()) {
                    out.fill(0.0);
                    return;
                }
                match distribution {
                    Distribution::TruncatedNormal => {
                        // Keras: stddev of the untruncated normal, so that the
                        // normal cut at 2 stddev has variance `var`
                        // (0.8796... is the stddev of a standard normal
                        // truncated to [-2, 2]).
                        let stddev = var.sqrt() / 0.879_625_661_034_239_8;
                        for v in out.iter_mut() {
                            // As TF/Keras: resample values outside [-2, 2] stddev.
                            let z = loop {
                                let z: f64 = rng.sample(StandardNormal);
                                if z.abs() <= 2.0 {
                                    break z;
                                }
                            };
                            *v = (z * stddev) as f32;
                        }
                    }
                    Distribution::UntruncatedNormal => {
                        let stddev = var.sqrt();
                        for v in out.iter_mut() {
                            let z: f64 = rng.sample(StandardNormal);
                            *v = (z * stddev) as f32;
                        }
                    }
                    Distribution::Uniform => {
                        let limit = (3.0 * var).sqrt();
                        match Uniform::new(-limit, limit) {
                            Ok(uniform) => {
                                for v in out.iter_mut() {
                                    *v = uniform.sample(rng) as f32;
                                }
                            }
                            // Unreachable: `limit` is positive and finite here.
                            Err(_) => out.fill(0.0),
                        }
                    }
                }
            }
        }
    }
}

impl Default for Initializer {
    /// `glorot_uniform`, Keras's default kernel initializer.
    fn default() -> Self {
        Self::glorot_uniform()
    }
}

/// Keras's `Orthogonal`: `rows × cols` (rows the product of every axis but
/// the last) from a `max × min` matrix of standard normal samples whose QR
/// factor Q (columns signed so that R's diagonal is positive, which
/// Gram-Schmidt gives directly) is transposed when `rows < cols`.
fn orthogonal(shape: &[usize], gain: f32, out: &mut [f32], rng: &mut Rng) {
    let cols = shape.last().copied().unwrap_or(1).max(1);
    let rows = out.len() / cols;
    let (tall, narrow) = (rows.max(cols), rows.min(cols));
    // `a` column-major: column j at a[j * tall..].
    let mut a: Vec<f64> = (0..tall * narrow).map(|_| rng.sample(StandardNormal)).collect();
    for j in 0..narrow {
        // Gram-Schmidt twice against the earlier columns, for orthogonality
        // to rounding in f64.
        for _ in 0..2 {
            for i in 0..j {
                let (done, rest) = a.split_at_mut(j * tall);
                let (qi, aj) = (&done[i * tall..(i + 1) * tall], &mut rest[..tall]);
                let dot: f64 = qi.iter().zip(aj.iter()).map(|(q, v)| q * v).sum();
                aj.iter_mut().zip(qi).for_each(|(v, q)| *v -= dot * q);
            }
        }
        let col = &mut a[j * tall..(j + 1) * tall];
        let norm = col.iter().map(|v| v * v).sum::<f64>().sqrt();
        col.iter_mut().for_each(|v| *v /= norm);
    }
    for r in 0..rows {
        for c in 0..cols {
            // Q is tall × narrow; the result is Q (rows ≥ cols) or Qᵀ.
            let q = if rows >= cols { a[c * tall + r] } else { a[r * tall + c] };
            out[r * cols + c] = (q * f64::from(gain)) as f32;
        }
    }
}

/// Keras's `compute_fans`: `(fan_in, fan_out)` of a weight tensor of `shape`.
///
/// Rank 0 gives `(1, 1)`; rank 1 `(n, n)`; rank 2 `(shape[0], shape[1])`
/// (a Dense kernel `[in, out]`); a higher rank (a convolution kernel
/// `[..spatial, in, out]`) multiplies both by the receptive field, the product
/// of the leading dimensions.
pub fn compute_fans(shape: &[usize]) -> (f32, f32) {
    let (fan_in, fan_out) = match *shape {
        [] => (1, 1),
        [n] => (n, n),
        [fan_in, fan_out] => (fan_in, fan_out),
        [ref spatial @ .., fan_in, fan_out] => {
            let receptive_field: usize = spatial.iter().product();
            (fan_in * receptive_field, fan_out * receptive_field)
        }
    };
    (fan_in as f32, fan_out as f32)
}
