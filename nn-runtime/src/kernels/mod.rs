//! Numeric kernels over flat row-major `f32` slices: matrix products and activations.

pub mod activation;
pub mod gemm;
#[cfg(not(feature = "std"))]
mod math;
#[cfg(feature = "std")]
pub(crate) mod parallel;
pub mod simd;
pub(crate) mod slot;

pub use activation::ActivationFn;
#[cfg(not(feature = "std"))]
pub(crate) use math::CoreMath;
