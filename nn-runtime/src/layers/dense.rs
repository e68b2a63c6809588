//! Keras's `Dense`: `y = activation(x · kernel + bias)` on the last axis.
//!
//! ```
//! use nn_runtime::{init::Initializer, kernels::activation::Relu, layers::{Dense, Layer}, rng};
//! let d = Dense::<3, 2, Relu>::new(&Initializer::glorot_uniform(), Some(&Initializer::Zeros), &mut rng::seeded(0));
//! let mut y = [0.0; 2];
//! d.infer(&[1.0, 2.0, 3.0], &mut y, &mut []);
//! assert!(y.iter().all(|v| *v >= 0.0));
//! ```

use core::marker::PhantomData;

use super::kernel_bias;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use super::{activated, scratch};
use super::{rows, Layer};
#[cfg(feature = "std")]
use crate::init::Initializer;
#[cfg(feature = "std")]
use crate::kernels::gemm::{run2, sgemm_single_thread, SharedMut};
use crate::kernels::gemm::{sgemm, Layout};
use crate::kernels::ActivationFn;
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// A fully connected layer from `I` to `O` features with a fused activation `A`.
#[derive(Debug, Clone)]
pub struct Dense<const I: usize, const O: usize, A> {
    /// `[I, O]`, Keras's layout.
    pub kernel: Param,
    /// `[O]`, absent with `use_bias = false`.
    pub bias: Option<Param>,
    pub(super) act: PhantomData<A>,
}

/// Multiply-adds of one backward product from which the kernel gradient and
/// the input gradient are computed concurrently on the two threads.
#[cfg(feature = "std")]
const PAR_MIN_FLOPS_PAIR: usize = 1 << 19;

/// Which part of `run2` computes the input gradient (the other, the kernel gradient).
#[cfg(feature = "std")]
const DX_PART: usize = 0;

/// Dense's training caches and gradients.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct DenseState {
    z: Vec<f32>,
    dz: Vec<f32>,
    dkernel: Vec<f32>,
    dbias: Vec<f32>,
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, A: ActivationFn> Dense<I, O, A> {
    const KERNEL_SHAPE: &'static [usize] = &[I, O];
    const BIAS_SHAPE: &'static [usize] = &[O];

    /// A layer with the kernel drawn from `kernel_init`, then the bias from
    /// `bias_init` (`None`: no bias, Keras's `use_bias=False`).
    pub fn new(kernel_init: &Initializer, bias_init: Option<&Initializer>, rng: &mut Rng) -> Self {
        let (kernel, bias) = kernel_bias::draw((Self::KERNEL_SHAPE, Self::BIAS_SHAPE), kernel_init, bias_init, rng);
        Dense { kernel, bias, act: PhantomData }
    }
}

impl<const I: usize, const O: usize, A: ActivationFn> Dense<I, O, A> {
    /// `y = x · kernel + bias`, before the activation.
    fn affine(&self, x: &[f32], y: &mut [f32]) {
        let n = rows(x.len(), I);
        let beta = match &self.bias {
            Some(b) => {
                for row in y.chunks_exact_mut(O) {
                    row.copy_from_slice(b);
                }
                1.0
            }
            None => 0.0,
        };
        sgemm(n, I, O, 1.0, x, Layout::Normal, &self.kernel, Layout::Normal, beta, y);
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, A: ActivationFn> Dense<I, O, A> {
    /// Weight and input gradients from the pre-activation gradient `dz`.
    fn backward_affine(&self, st: &mut DenseState, x: &[f32], dz: &[f32], dx: Option<&mut [f32]>) {
        let n = rows(x.len(), I);
        let dz = &dz[..n * O];
        let dk = scratch(&mut st.dkernel, I * O);
        let dx = match dx {
            // Two independent products of the same size: one per thread,
            // each whole (cheaper than splitting both in two).
            Some(dx) if n * I * O >= PAR_MIN_FLOPS_PAIR => {
                let (dkp, dxp) = (SharedMut::new(dk), SharedMut::new(&mut dx[..n * I]));
                run2(&|part: usize| {
                    // SAFETY: one part alone uses dx, the other alone dk; both outlive run2.
                    if part == DX_PART {
                        let dx = unsafe { dxp.get() };
                        sgemm_single_thread(
                            n,
                            O,
                            I,
                            1.0,
                            dz,
                            Layout::Normal,
                            &self.kernel,
                            Layout::Transposed,
                            0.0,
                            dx,
                        );
                    } else {
                        let dk = unsafe { dkp.get() };
                        sgemm_single_thread(I, n, O, 1.0, x, Layout::Transposed, dz, Layout::Normal, 0.0, dk);
                    }
                });
                None
            }
            dx => {
                sgemm(I, n, O, 1.0, x, Layout::Transposed, dz, Layout::Normal, 0.0, dk);
                dx
            }
        };
        if self.bias.is_some() {
            activated::bias_gradient(&mut st.dbias, dz, O);
        }
        if let Some(dx) = dx {
            sgemm(n, O, I, 1.0, dz, Layout::Normal, &self.kernel, Layout::Transposed, 0.0, dx);
        }
    }
}

impl<const I: usize, const O: usize, A: ActivationFn> Layer for Dense<I, O, A> {
    const IN: usize = I;
    const OUT: usize = O;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        self.affine(x, y);
        A::apply(y, O);
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        kernel_bias::visit(&self.kernel, self.bias.as_ref(), f);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        kernel_bias::visit_mut(&mut self.kernel, self.bias.as_mut(), f);
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, A: ActivationFn> Train for Dense<I, O, A> {
    type State = DenseState;

    fn forward(&mut self, st: &mut DenseState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        activated::forward::<A>(&mut st.z, y, O, |z| self.affine(x, z));
    }

    fn backward(&mut self, st: &mut DenseState, x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let mut buf = core::mem::take(&mut st.dz);
        let dz = activated::pre_activation_gradient::<A>(&st.z, &mut buf, y, dy, O);
        self.backward_affine(st, x, dz, dx);
        st.dz = buf;
    }

    fn backward_logits(&mut self, st: &mut DenseState, x: &[f32], _: &[f32], dz: &[f32], dx: Option<&mut [f32]>) {
        self.backward_affine(st, x, dz, dx);
    }

    fn visit_grads(&mut self, st: &mut DenseState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        kernel_bias::visit_grads(&mut self.kernel, self.bias.as_mut(), (&mut st.dkernel, &mut st.dbias), f);
    }
}

impl<const I: usize, const O: usize, A> Dense<I, O, A> {
    /// The layer over the given `kernel` (`[I, O]`) and `bias` (`[O]`, `None`
    /// for `use_bias = false`).
    pub const fn from_params(kernel: Param, bias: Option<Param>) -> Self {
        Dense { kernel, bias, act: PhantomData }
    }
}
