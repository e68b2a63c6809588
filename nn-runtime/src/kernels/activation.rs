//! Keras's activation functions, each a zero-sized type so that a layer that
//! uses one (`Dense<784, 300, Elu>`) is monomorphized on it.

use super::simd::{dispatch, exp_neg, expm1_neg};
#[cfg(not(feature = "std"))]
use super::CoreMath as _;

/// SELU's alpha (Keras's constant).
pub const SELU_ALPHA: f32 = 1.673_263_2;
/// SELU's scale (Keras's constant).
pub const SELU_SCALE: f32 = 1.050_701;

/// Floats that [`ActivationFn::apply`] copies and transforms at a time.
const APPLY_BLOCK: usize = 64;

/// An activation function applied along the last axis of width `width`.
///
/// Elementwise functions define [`f`](ActivationFn::f) and
/// [`df`](ActivationFn::df); softmax overrides the row-wise methods.
pub trait ActivationFn: Copy + Default + Send + Sync + 'static {
    /// Keras's name for it (`"elu"`).
    const NAME: &'static str;
    /// The function at one point.
    fn f(x: f32) -> f32;
    /// Its derivative at `x`, given `y = f(x)`.
    fn df(x: f32, y: f32) -> f32;
    /// Whether this is the identity (layers then skip copies and passes).
    const LINEAR: bool = false;
    /// Whether [`df`](ActivationFn::df) needs only `y` (`df(y, y)` is the
    /// derivative at `x`): layers then keep no pre-activation for the
    /// backward pass and apply the function in place.
    const FROM_OUTPUT: bool = false;
    /// Whether this is Keras's ReLU (matrix kernels can then apply it to a
    /// tile in registers: [`Epilogue`](crate::kernels::gemm::Epilogue)).
    const RELU: bool = false;

    /// Applies the function in place to rows of `width` values.
    #[inline]
    fn apply(v: &mut [f32], width: usize) {
        let _ = width;
        // Vectorized for this CPU where `f` allows it, each block read
        // through a copy that LLVM cannot see into: in place, it stores only
        // the lanes that `f` changes (relu's zeros) with a masked store,
        // which AMD CPUs run many times slower than a plain one.
        dispatch(|| {
            let from = |v: &mut [f32], x: [f32; APPLY_BLOCK]| {
                let x = core::hint::black_box(x);
                v.iter_mut().zip(&x).for_each(|(v, &x)| *v = Self::f(x));
            };
            let mut blocks = v.chunks_exact_mut(APPLY_BLOCK);
            for block in &mut blocks {
                let x = (&*block).try_into().expect("a whole block");
                from(block, x);
            }
            let rest = blocks.into_remainder();
            let mut x = [0.0; APPLY_BLOCK];
            x[..rest.len()].copy_from_slice(rest);
            from(rest, x);
        });
    }

    /// `y = f(x)`, rows of `width` values.
    #[inline]
    fn apply_to(x: &[f32], y: &mut [f32], width: usize) {
        let _ = width;
        dispatch(|| y.iter_mut().zip(x).for_each(|(y, &x)| *y = Self::f(x)));
    }

    /// `v = f(v + b)` in place, rows of `b.len()` values: the bias added in
    /// the pass that applies the function (the store is of every lane, so
    /// no masked store: `v + b` is a new value).
    #[inline]
    fn apply_bias(v: &mut [f32], b: &[f32]) {
        dispatch(|| {
            for row in v.chunks_exact_mut(b.len()) {
                row.iter_mut().zip(b).for_each(|(v, &b)| *v = Self::f(*v + b));
            }
        });
    }

    /// `z += b`, then `y = f(z)`, rows of `b.len()` values, in one pass.
    #[inline]
    fn apply_bias_to(z: &mut [f32], b: &[f32], y: &mut [f32]) {
        dispatch(|| {
            for (z, y) in z.chunks_exact_mut(b.len()).zip(y.chunks_exact_mut(b.len())) {
                for ((z, y), &b) in z.iter_mut().zip(y).zip(b) {
                    *z += b;
                    *y = Self::f(*z);
                }
            }
        });
    }

    /// `dx = dy * f'(x)`, rows of `width`; `x` the input, `y` the output.
    #[inline]
    fn backward(x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32], width: usize) {
        let _ = width;
        dispatch(|| {
            for (((dx, &dy), &x), &y) in dx.iter_mut().zip(dy).zip(x).zip(y) {
                *dx = dy * Self::df(x, y);
            }
        });
    }
}

/// `f(x) = x`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Linear;
/// `max(x, 0)`; NaN stays NaN, as Keras's `relu`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Relu;
/// Exponential linear unit with alpha 1.
#[derive(Clone, Copy, Debug, Default)]
pub struct Elu;
/// Scaled ELU with Keras's constants.
#[derive(Clone, Copy, Debug, Default)]
pub struct Selu;
/// Leaky ReLU with Keras 3's function default slope 0.2.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeakyRelu;
/// Hyperbolic tangent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tanh;
/// Logistic sigmoid (Keras's `sigmoid` and `logistic`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Sigmoid;
/// Softmax over the last axis.
#[derive(Clone, Copy, Debug, Default)]
pub struct Softmax;
/// `log(1 + exp(x))`, computed stably.
#[derive(Clone, Copy, Debug, Default)]
pub struct Softplus;
/// `x * sigmoid(x)` (also called SiLU).
#[derive(Clone, Copy, Debug, Default)]
pub struct Swish;
/// Gaussian error linear unit, exact (Keras's default `approximate=False`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Gelu;

/// ELU with a given alpha: `x` for `x > 0`, else `alpha * (exp(x) - 1)`.
///
/// Branch-free with a polynomial `expm1` (within 2 ulp of libm's) so that a
/// loop of it vectorizes.
#[inline(always)]
pub fn elu(x: f32, alpha: f32) -> f32 {
    let e = alpha * expm1_neg(x);
    if x > 0.0 {
        x
    } else {
        e
    }
}

/// Derivative of [`elu`] at `x`.
#[inline(always)]
pub fn elu_grad(x: f32, alpha: f32) -> f32 {
    let e = alpha * exp_neg(x);
    if x > 0.0 {
        1.0
    } else {
        e
    }
}

/// Leaky ReLU with slope `alpha` for negative inputs.
#[inline]
pub fn leaky_relu(x: f32, alpha: f32) -> f32 {
    if x >= 0.0 {
        x
    } else {
        alpha * x
    }
}

/// Derivative of [`leaky_relu`] at `x`.
#[inline]
pub fn leaky_relu_grad(x: f32, alpha: f32) -> f32 {
    if x >= 0.0 {
        1.0
    } else {
        alpha
    }
}

/// The logistic function, stable for large `|x|`: `1 / (1 + e)` or
/// `e / (1 + e)` with `e = exp(-|x|)`, branch-free so that it vectorizes
/// (the recurrent gates apply it to every unit of every step).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    let e = exp_neg(-x.abs());
    let s = 1.0 / (1.0 + e);
    if x >= 0.0 {
        s
    } else {
        e * s
    }
}

/// `tanh(x) = sign(x) · (1 − t) / (1 + t)`, `t = exp(−2|x|)`, with `1 − t`
/// from `expm1` (accurate near 0), branch-free so that it vectorizes.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let m = expm1_neg(-2.0 * x.abs());
    (-m / (2.0 + m)).copysign(x)
}

impl ActivationFn for Linear {
    const NAME: &'static str = "linear";
    #[inline]
    fn f(x: f32) -> f32 {
        x
    }
    #[inline]
    fn df(_: f32, _: f32) -> f32 {
        1.0
    }
    const LINEAR: bool = true;
    #[inline]
    fn apply(_: &mut [f32], _: usize) {}
    #[inline]
    fn apply_to(x: &[f32], y: &mut [f32], _: usize) {
        y.copy_from_slice(x);
    }
    #[inline]
    fn backward(_: &[f32], _: &[f32], dy: &[f32], dx: &mut [f32], _: usize) {
        dx.copy_from_slice(dy);
    }
}

impl ActivationFn for Relu {
    const NAME: &'static str = "relu";
    const FROM_OUTPUT: bool = true;
    const RELU: bool = true;
    #[inline]
    fn f(x: f32) -> f32 {
        // Not `x.max(0.0)`, which returns 0 for NaN (so does a vector max
        // with the zero second): NaN must come out as NaN, as in Keras.
        if x > 0.0 || x.is_nan() {
            x
        } else {
            0.0
        }
    }
    #[inline]
    fn df(x: f32, _: f32) -> f32 {
        if x > 0.0 {
            1.0
        } else {
            0.0
        }
    }
}

impl ActivationFn for Elu {
    const NAME: &'static str = "elu";
    #[inline]
    fn f(x: f32) -> f32 {
        elu(x, 1.0)
    }
    #[inline]
    fn df(x: f32, _: f32) -> f32 {
        elu_grad(x, 1.0)
    }
}

impl ActivationFn for Selu {
    const NAME: &'static str = "selu";
    #[inline]
    fn f(x: f32) -> f32 {
        SELU_SCALE * elu(x, SELU_ALPHA)
    }
    #[inline]
    fn df(x: f32, _: f32) -> f32 {
        SELU_SCALE * elu_grad(x, SELU_ALPHA)
    }
}

impl ActivationFn for LeakyRelu {
    const NAME: &'static str = "leaky_relu";
    #[inline]
    fn f(x: f32) -> f32 {
        leaky_relu(x, 0.2)
    }
    #[inline]
    fn df(x: f32, _: f32) -> f32 {
        leaky_relu_grad(x, 0.2)
    }
}

impl ActivationFn for Tanh {
    const NAME: &'static str = "tanh";
    const FROM_OUTPUT: bool = true;
    #[inline]
    fn f(x: f32) -> f32 {
        tanh(x)
    }
    #[inline]
    fn df(_: f32, y: f32) -> f32 {
        1.0 - y * y
    }
}

impl ActivationFn for Sigmoid {
    const NAME: &'static str = "sigmoid";
    const FROM_OUTPUT: bool = true;
    #[inline]
    fn f(x: f32) -> f32 {
        sigmoid(x)
    }
    #[inline]
    fn df(_: f32, y: f32) -> f32 {
        y * (1.0 - y)
    }
}

impl ActivationFn for Softplus {
    const NAME: &'static str = "softplus";
    #[inline]
    fn f(x: f32) -> f32 {
        x.max(0.0) + (-x.abs()).exp().ln_1p()
    }
    #[inline]
    fn df(x: f32, _: f32) -> f32 {
        sigmoid(x)
    }
}

impl ActivationFn for Swish {
    const NAME: &'static str = "swish";
    #[inline]
    fn f(x: f32) -> f32 {
        x * sigmoid(x)
    }
    #[inline]
    fn df(x: f32, _: f32) -> f32 {
        let s = sigmoid(x);
        s + x * s * (1.0 - s)
    }
}

impl ActivationFn for Gelu {
    const NAME: &'static str = "gelu";
    #[inline]
    fn f(x: f32) -> f32 {
        0.5 * x * (1.0 + libm::erff(x * core::f32::consts::FRAC_1_SQRT_2))
    }
    #[inline]
    fn df(x: f32, _: f32) -> f32 {
        let cdf = 0.5 * (1.0 + libm::erff(x * core::f32::consts::FRAC_1_SQRT_2));
        let pdf = (-0.5 * x * x).exp() * 0.398_942_3; // 1 / sqrt(2 pi)
        cdf + x * pdf
    }
}

impl ActivationFn for Softmax {
    const NAME: &'static str = "softmax";
    fn f(_: f32) -> f32 {
        unreachable!("softmax is applied row-wise")
    }
    fn df(_: f32, _: f32) -> f32 {
        unreachable!("softmax is differentiated row-wise")
    }
    #[inline]
    fn apply(v: &mut [f32], width: usize) {
        dispatch(|| {
            for row in v.chunks_exact_mut(width) {
                softmax_row(row);
            }
        });
    }
    #[inline]
    fn apply_to(x: &[f32], y: &mut [f32], width: usize) {
        y.copy_from_slice(x);
        Self::apply(y, width);
    }
    #[inline]
    fn apply_bias(v: &mut [f32], b: &[f32]) {
        add_bias(v, b);
        Self::apply(v, b.len());
    }
    #[inline]
    fn apply_bias_to(z: &mut [f32], b: &[f32], y: &mut [f32]) {
        add_bias(z, b);
        Self::apply_to(z, y, b.len());
    }
    #[inline]
    fn backward(_: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32], width: usize) {
        for ((dx, y), dy) in dx.chunks_exact_mut(width).zip(y.chunks_exact(width)).zip(dy.chunks_exact(width)) {
            let dot: f32 = y.iter().zip(dy).map(|(y, d)| y * d).sum();
            for ((dx, &y), &dy) in dx.iter_mut().zip(y).zip(dy) {
                *dx = y * (dy - dot);
            }
        }
    }
}

/// `v += b` on each row of `b.len()` values.
fn add_bias(v: &mut [f32], b: &[f32]) {
    for row in v.chunks_exact_mut(b.len()) {
        row.iter_mut().zip(b).for_each(|(v, &b)| *v += b);
    }
}

/// Softmax of one row in place, shifted by the row's maximum for stability.
///
/// A NaN or an infinity anywhere in the row makes the whole row NaN, as in
/// Keras (`exp(NaN - max)`, `inf - inf`): never a plausible distribution.
#[inline(always)]
pub fn softmax_row(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for v in row.iter_mut() {
        *v = exp_neg(*v - max);
    }
    // The sum in order, as before (a sequential reduction).
    let mut sum = 0.0;
    for v in row.iter() {
        sum += *v;
    }
    let inv = 1.0 / sum;
    row.iter_mut().for_each(|v| *v *= inv);
}
