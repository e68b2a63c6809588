//! Numeric kernels over flat row-major `f32` slices: matrix products and activations.

pub mod activation;
pub mod gemm;
pub mod simd;

pub use activation::ActivationFn;
