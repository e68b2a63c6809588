//! `const` constructors from given tensors, for models whose weights are
//! baked into the binary (`sequential!`'s `#[weights = ".."]` and
//! `M::embedded()`): with `Param::from_static` they build a model in a
//! `static` with no allocation.

use core::marker::PhantomData;

use super::{BatchNorm, Dense, PRelu};
use crate::Param;

impl<const I: usize, const O: usize, A> Dense<I, O, A> {
    /// The layer over the given `kernel` (`[I, O]`) and `bias` (`[O]`, `None`
    /// for `use_bias = false`).
    pub const fn from_params(kernel: Param, bias: Option<Param>) -> Self {
        Dense { kernel, bias, act: PhantomData }
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
        BatchNorm { gamma, beta, moving_mean, moving_variance, momentum, epsilon }
    }
}

impl<const N: usize> PRelu<N> {
    /// The layer over the given slopes (shaped like one sample).
    pub const fn from_params(alpha: Param) -> Self {
        PRelu { alpha }
    }
}
