//! Keras's `SeparableConv2D` (channels last): a depthwise convolution
//! (`depthwise_kernel` `[kh, kw, in, dm]`, no bias) into `in·dm` channels,
//! then a pointwise (1×1) convolution (`pointwise_kernel` `[1, 1, in·dm,
//! filters]`) as one product with the project's gemm, then the bias and the
//! activation. The depthwise output is the layer's scratch.
//!
//! ```
//! use nn_runtime::{init::Initializer, kernels::activation::Linear, layers::{ConvGeometry, Layer, SeparableConv2D}, rng};
//! // 4×4×2 in, 3×3 kernel, depth_multiplier 1, 3 filters: 2×2×3 out.
//! const G: ConvGeometry = ConvGeometry::new([4, 4, 2], 2, [3, 3], [1, 1], [1, 1], [0, 0], [2, 2]);
//! let shapes: (&[usize], &[usize], &[usize]) = (&[3, 3, 2, 1], &[1, 1, 2, 3], &[3]);
//! let s = SeparableConv2D::<32, 12, 8, Linear>::new(G, shapes, &Initializer::Ones, &Initializer::Ones, Some(&Initializer::Zeros), &mut rng::seeded(0));
//! let mut y = [0.0; 12];
//! s.infer(&[1.0; 32], &mut y, &mut [0.0; 8]);
//! assert!(y.iter().all(|v| *v == 18.0));
//! ```

use core::marker::PhantomData;

use super::conv2d::ConvGeometry;
use super::depthwise_conv2d::depthwise;
#[cfg(feature = "std")]
use super::depthwise_conv2d::depthwise_backward;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use super::{activated, scratch};
#[cfg(feature = "std")]
use crate::init::Initializer;
use crate::kernels::gemm::{sgemm, Layout};
use crate::kernels::ActivationFn;
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// A depthwise-separable 2-D convolution from `I` to `O` values per sample
/// whose scratch takes `MID` values per sample (the depthwise stage's output,
/// `positions · in · depth_multiplier`, then with a depth multiplier above 1
/// the expanded input, `I · depth_multiplier`), with a fused activation `A`.
/// Its geometry is the depthwise stage's (`filters` = `in ·
/// depth_multiplier`); the pointwise filters are `O / positions`.
#[derive(Debug, Clone)]
pub struct SeparableConv2D<const I: usize, const O: usize, const MID: usize, A> {
    /// `[kh, kw, in, depth_multiplier]`.
    pub depthwise_kernel: Param,
    /// `[1, 1, in · depth_multiplier, filters]`.
    pub pointwise_kernel: Param,
    /// `[filters]`, absent with `use_bias = false`.
    pub bias: Option<Param>,
    /// Where the depthwise windows read.
    pub geometry: ConvGeometry,
    act: PhantomData<A>,
}

/// SeparableConv2D's training caches and gradients.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct SeparableConv2DState {
    mid: Vec<f32>,
    dexpanded: Vec<f32>,
    z: Vec<f32>,
    dz: Vec<f32>,
    dmid: Vec<f32>,
    ddepthwise: Vec<f32>,
    dpointwise: Vec<f32>,
    dbias: Vec<f32>,
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const MID: usize, A: ActivationFn> SeparableConv2D<I, O, MID, A> {
    /// A layer with the depthwise kernel (of `shapes.0`) drawn from
    /// `depthwise_init`, then the pointwise kernel (of `shapes.1`) from
    /// `pointwise_init`, then the bias (of `shapes.2`) from `bias_init`
    /// (`None`: no bias).
    pub fn new(
        geometry: ConvGeometry,
        shapes: (&'static [usize], &'static [usize], &'static [usize]),
        depthwise_init: &Initializer,
        pointwise_init: &Initializer,
        bias_init: Option<&Initializer>,
        rng: &mut Rng,
    ) -> Self {
        let depthwise_kernel = depthwise_init.draw(shapes.0, rng);
        let pointwise_kernel = pointwise_init.draw(shapes.1, rng);
        let bias = bias_init.map(|init| init.draw(shapes.2, rng));
        SeparableConv2D { depthwise_kernel, pointwise_kernel, bias, geometry, act: PhantomData }
    }
}

impl<const I: usize, const O: usize, const MID: usize, A> SeparableConv2D<I, O, MID, A> {
    /// The layer over the given kernels and `bias` (`None` for `use_bias = false`).
    pub const fn from_params(
        geometry: ConvGeometry,
        depthwise_kernel: Param,
        pointwise_kernel: Param,
        bias: Option<Param>,
    ) -> Self {
        SeparableConv2D { depthwise_kernel, pointwise_kernel, bias, geometry, act: PhantomData }
    }

    /// Output channels.
    const fn filters(&self) -> usize {
        O / self.geometry.positions()
    }
}

impl<const I: usize, const O: usize, const MID: usize, A: ActivationFn> SeparableConv2D<I, O, MID, A> {
    /// `z = depthwise(x) · pointwise + bias`; `mid` gets the depthwise output.
    fn affine(&self, x: &[f32], z: &mut [f32], mid: &mut [f32]) {
        let g = &self.geometry;
        let n = x.len() / I;
        let (rows, cm, f) = (n * g.positions(), g.filters, self.filters());
        let (mid, xe) = mid[..n * MID].split_at_mut(rows * cm);
        depthwise(g, x, &self.depthwise_kernel, None, mid, xe);
        let beta = match &self.bias {
            Some(b) => {
                z.chunks_exact_mut(f).for_each(|r| r.copy_from_slice(b));
                1.0
            }
            None => 0.0,
        };
        sgemm(rows, cm, f, 1.0, mid, Layout::Normal, &self.pointwise_kernel, Layout::Normal, beta, z);
    }
}

impl<const I: usize, const O: usize, const MID: usize, A: ActivationFn> Layer for SeparableConv2D<I, O, MID, A> {
    const IN: usize = I;
    const OUT: usize = O;
    const SCRATCH: usize = MID;

    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        self.affine(x, y, scratch);
        A::apply(y, self.filters());
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        f("depthwise_kernel", &self.depthwise_kernel);
        f("pointwise_kernel", &self.pointwise_kernel);
        if let Some(b) = &self.bias {
            f("bias", b);
        }
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        f("depthwise_kernel", &mut self.depthwise_kernel);
        f("pointwise_kernel", &mut self.pointwise_kernel);
        if let Some(b) = &mut self.bias {
            f("bias", b);
        }
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const MID: usize, A: ActivationFn> SeparableConv2D<I, O, MID, A> {
    fn backward_affine(&self, st: &mut SeparableConv2DState, x: &[f32], dz: &[f32], dx: Option<&mut [f32]>) {
        let g = &self.geometry;
        let n = x.len() / I;
        let (rows, cm, f) = (n * g.positions(), g.filters, self.filters());
        let (mid, xe) = st.mid[..n * MID].split_at(rows * cm);
        let dp = scratch(&mut st.dpointwise, cm * f);
        sgemm(cm, rows, f, 1.0, mid, Layout::Transposed, dz, Layout::Normal, 0.0, dp);
        if self.bias.is_some() {
            activated::bias_gradient(&mut st.dbias, dz, f);
        }
        let dmid = scratch(&mut st.dmid, rows * cm);
        sgemm(rows, f, cm, 1.0, dz, Layout::Normal, &self.pointwise_kernel, Layout::Transposed, 0.0, dmid);
        let dd = scratch(&mut st.ddepthwise, self.depthwise_kernel.len());
        depthwise_backward(g, x, &self.depthwise_kernel, dmid, dd, dx, xe, &mut st.dexpanded);
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const MID: usize, A: ActivationFn> Train for SeparableConv2D<I, O, MID, A> {
    type State = SeparableConv2DState;

    fn forward(&mut self, st: &mut SeparableConv2DState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        let n = x.len() / I;
        let mut mid = core::mem::take(&mut st.mid);
        scratch(&mut mid, n * MID);
        activated::forward::<A>(&mut st.z, y, self.filters(), |z| self.affine(x, z, &mut mid));
        st.mid = mid;
    }

    fn backward(&mut self, st: &mut SeparableConv2DState, x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let mut buf = core::mem::take(&mut st.dz);
        let dz = activated::pre_activation_gradient::<A>(&st.z, &mut buf, y, dy, self.filters());
        self.backward_affine(st, x, dz, dx);
        st.dz = buf;
    }

    fn backward_logits(
        &mut self,
        st: &mut SeparableConv2DState,
        x: &[f32],
        _: &[f32],
        dz: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        self.backward_affine(st, x, dz, dx);
    }

    fn visit_grads(&mut self, st: &mut SeparableConv2DState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        let (nd, np, nb) = (self.depthwise_kernel.len(), self.pointwise_kernel.len(), self.filters());
        f(&mut self.depthwise_kernel, &mut st.ddepthwise[..nd]);
        f(&mut self.pointwise_kernel, &mut st.dpointwise[..np]);
        if let Some(b) = &mut self.bias {
            f(b, &mut st.dbias[..nb]);
        }
    }
}
