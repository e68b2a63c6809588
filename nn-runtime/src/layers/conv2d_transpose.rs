//! Keras's `Conv2DTranspose` (channels last): the gradient of a `Conv2D`
//! with respect to its input, as TensorFlow's `conv2d_transpose` computes it,
//! then the bias and the activation. Its geometry is that of the forward
//! convolution it transposes (from the transposed layer's output `[oh, ow,
//! filters]` to its input `[h, w, in]`, Keras's output size and TF's padding
//! computed by `sequential!`), so the pass is Conv2D's backward one: each
//! input position times the kernel (`[kh·kw·filters, in]`, Keras's `[kh, kw,
//! filters, in]` flattened) with the project's gemm, the rows scattered
//! onto the output by col2im; those rows are the layer's scratch.
//!
//! ```
//! use nn_runtime::{init::Initializer, kernels::activation::Linear, layers::{Conv2DTranspose, ConvGeometry, Layer}, rng};
//! // 2×2×1 in, 2×2 kernel, strides 2, 1 filter: 4×4×1 out, each input value copied to a 2×2 block.
//! const G: ConvGeometry = ConvGeometry::new([4, 4, 1], 1, [2, 2], [2, 2], [1, 1], [0, 0], [2, 2]);
//! let shapes: (&[usize], &[usize]) = (&[2, 2, 1, 1], &[1]);
//! let t = Conv2DTranspose::<4, 16, 16, Linear>::new(G, shapes, &Initializer::Ones, Some(&Initializer::Zeros), &mut rng::seeded(0));
//! let mut y = [0.0; 16];
//! t.infer(&[1.0, 2.0, 3.0, 4.0], &mut y, &mut [0.0; 16]);
//! assert_eq!(&y[..4], &[1.0, 1.0, 2.0, 2.0]);
//! ```

use core::marker::PhantomData;

use super::conv2d::ConvGeometry;
use super::kernel_bias;
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

/// A transposed 2-D convolution from `I` to `O` values per sample whose
/// rows before col2im take `COLS` values per sample (`h · w · kh · kw ·
/// filters`), with a fused activation `A`. Its geometry is the transposed
/// convolution's: `input` is this layer's output `[oh, ow, filters]`,
/// `filters` this layer's input channels, `output` its input `[h, w]`.
#[derive(Debug, Clone)]
pub struct Conv2DTranspose<const I: usize, const O: usize, const COLS: usize, A> {
    /// `[kh, kw, filters, in]`, Keras's layout.
    pub kernel: Param,
    /// `[filters]`, absent with `use_bias = false`.
    pub bias: Option<Param>,
    /// The geometry of the convolution this layer transposes.
    pub geometry: ConvGeometry,
    act: PhantomData<A>,
}

/// Conv2DTranspose's training caches and gradients: Conv2D's.
#[cfg(feature = "std")]
pub type Conv2DTransposeState = super::conv2d::Conv2DState;

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn> Conv2DTranspose<I, O, COLS, A> {
    /// A layer with the kernel (of `shapes.0`, `[kh, kw, filters, in]`)
    /// drawn from `kernel_init`, then the bias (of `shapes.1`, `[filters]`)
    /// from `bias_init` (`None`: no bias).
    pub fn new(
        geometry: ConvGeometry,
        shapes: (&'static [usize], &'static [usize]),
        kernel_init: &Initializer,
        bias_init: Option<&Initializer>,
        rng: &mut Rng,
    ) -> Self {
        let (kernel, bias) = kernel_bias::draw(shapes, kernel_init, bias_init, rng);
        Conv2DTranspose { kernel, bias, geometry, act: PhantomData }
    }
}

impl<const I: usize, const O: usize, const COLS: usize, A> Conv2DTranspose<I, O, COLS, A> {
    /// The layer over the given `kernel` and `bias` (`None` for `use_bias = false`).
    pub const fn from_params(geometry: ConvGeometry, kernel: Param, bias: Option<Param>) -> Self {
        Conv2DTranspose { kernel, bias, geometry, act: PhantomData }
    }

    /// Output channels.
    const fn filters(&self) -> usize {
        self.geometry.input[2]
    }
}

impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn> Conv2DTranspose<I, O, COLS, A> {
    /// `z = col2im(x · kernelᵀ) + bias`, before the activation; `cols` gets the rows.
    fn affine(&self, x: &[f32], z: &mut [f32], cols: &mut [f32]) {
        let g = &self.geometry;
        let n = x.len() / I;
        let (rows, patch, c) = (n * g.positions(), g.patch(), g.filters);
        let cols = &mut cols[..n * COLS];
        sgemm(rows, c, patch, 1.0, x, Layout::Normal, &self.kernel, Layout::Transposed, 0.0, cols);
        g.col2im(cols, z);
        if let Some(b) = &self.bias {
            z.chunks_exact_mut(b.len()).for_each(|r| r.iter_mut().zip(b.iter()).for_each(|(z, b)| *z += b));
        }
    }
}

impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn> Layer for Conv2DTranspose<I, O, COLS, A> {
    const IN: usize = I;
    const OUT: usize = O;
    const SCRATCH: usize = COLS;

    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        self.affine(x, y, scratch);
        A::apply(y, self.filters());
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        kernel_bias::visit(&self.kernel, self.bias.as_ref(), f);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        kernel_bias::visit_mut(&mut self.kernel, self.bias.as_mut(), f);
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn> Conv2DTranspose<I, O, COLS, A> {
    /// Kernel, bias and input gradients from the pre-activation gradient `dz`:
    /// the rows of `dz` (im2col), times `x` for the kernel, times the kernel for `x`.
    fn backward_affine(&self, st: &mut Conv2DTransposeState, x: &[f32], dz: &[f32], dx: Option<&mut [f32]>) {
        let g = &self.geometry;
        let n = x.len() / I;
        let (rows, patch, c) = (n * g.positions(), g.patch(), g.filters);
        let dcols = scratch(&mut st.dcols, n * COLS);
        g.im2col(dz, dcols);
        let dk = scratch(&mut st.dkernel, patch * c);
        sgemm(patch, rows, c, 1.0, dcols, Layout::Transposed, x, Layout::Normal, 0.0, dk);
        if self.bias.is_some() {
            activated::bias_gradient(&mut st.dbias, dz, self.filters());
        }
        if let Some(dx) = dx {
            sgemm(rows, patch, c, 1.0, dcols, Layout::Normal, &self.kernel, Layout::Normal, 0.0, dx);
        }
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn> Train for Conv2DTranspose<I, O, COLS, A> {
    type State = Conv2DTransposeState;

    fn forward(&mut self, st: &mut Conv2DTransposeState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        let n = x.len() / I;
        let mut cols = core::mem::take(&mut st.cols);
        scratch(&mut cols, n * COLS);
        activated::forward::<A>(&mut st.z, y, self.filters(), |z| self.affine(x, z, &mut cols));
        st.cols = cols;
    }

    fn backward(&mut self, st: &mut Conv2DTransposeState, x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let mut buf = core::mem::take(&mut st.dz);
        let dz = activated::pre_activation_gradient::<A>(&st.z, &mut buf, y, dy, self.filters());
        self.backward_affine(st, x, dz, dx);
        st.dz = buf;
    }

    fn backward_logits(
        &mut self,
        st: &mut Conv2DTransposeState,
        x: &[f32],
        _: &[f32],
        dz: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        self.backward_affine(st, x, dz, dx);
    }

    fn visit_grads(&mut self, st: &mut Conv2DTransposeState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        kernel_bias::visit_grads(&mut self.kernel, self.bias.as_mut(), (&mut st.dkernel, &mut st.dbias), f);
    }
}
