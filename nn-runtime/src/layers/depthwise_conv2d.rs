//! Keras's `DepthwiseConv2D` (channels last): each input channel `c`
//! convolved with its own `depth_multiplier` kernels, output channel
//! `c·depth_multiplier + m` (Keras's order), then the bias and the
//! activation. Computed directly, not as a product: for each output position
//! and kernel tap one multiply-add across the channels (`[kh, kw, in, dm]`
//! flattened makes a tap's kernel values one contiguous row of `in·dm`, in the
//! output's channel order), which the compiler vectorizes. With a depth
//! multiplier above 1 the input is first expanded (each channel repeated
//! `dm` times, the layer's scratch) so that the same loop serves (measured
//! at `dm = 2`, 32×32×32 images: 5× faster than a loop over the multipliers).
//!
//! ```
//! use nn_runtime::{init::Initializer, kernels::activation::Linear, layers::{ConvGeometry, DepthwiseConv2D, Layer}, rng};
//! // 4×4×2 in, 3×3 kernel, depth_multiplier 2: 2×2×4 out.
//! const G: ConvGeometry = ConvGeometry::new([4, 4, 2], 4, [3, 3], [1, 1], [1, 1], [0, 0], [2, 2]);
//! let shapes: (&[usize], &[usize]) = (&[3, 3, 2, 2], &[4]);
//! let d = DepthwiseConv2D::<32, 16, 64, Linear>::new(G, shapes, &Initializer::Ones, Some(&Initializer::Zeros), &mut rng::seeded(0));
//! let mut y = [0.0; 16];
//! d.infer(&[1.0; 32], &mut y, &mut [0.0; 64]);
//! assert!(y.iter().all(|v| *v == 9.0));
//! ```

use core::marker::PhantomData;

use super::conv2d::ConvGeometry;
use super::kernel_bias;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use super::{activated, scratch, scratch as scratch_of};
#[cfg(feature = "std")]
use crate::init::Initializer;
use crate::kernels::ActivationFn;
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// Floats of scratch per sample [`depthwise`] needs over `g`: the input
/// with each channel repeated `depth_multiplier` times (none when it is 1).
pub const fn expanded(g: &ConvGeometry) -> usize {
    let [h, w, c] = g.input;
    if g.filters == c {
        0
    } else {
        h * w * g.filters
    }
}

/// `g` over the input expanded by [`expand`]: `depth_multiplier` 1.
const fn expanded_geometry(g: &ConvGeometry) -> ConvGeometry {
    let mut e = *g;
    e.input[2] = g.filters;
    e
}

/// Each value of `x` repeated `dm` times, into `xe`: channel `c` becomes
/// channels `c·dm .. c·dm + dm`, the output's order, so that every
/// depth multiplier takes the vectorized `depth_multiplier = 1` loop.
fn expand(x: &[f32], xe: &mut [f32], dm: usize) {
    for (v, e) in x.iter().zip(xe.chunks_exact_mut(dm)) {
        e.fill(*v);
    }
}

/// `z = depthwise(x, kernel) + bias` over `g` (whose `filters` are
/// `in · depth_multiplier`), for every sample of `x`; with a depth
/// multiplier above 1, `scratch` (at least [`expanded`] floats per sample)
/// gets the expanded input.
pub(crate) fn depthwise(
    g: &ConvGeometry,
    x: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    z: &mut [f32],
    scratch: &mut [f32],
) {
    let [h, w, c] = g.input;
    if g.filters == c {
        return direct(g, x, kernel, bias, z);
    }
    let n = x.len() / (h * w * c);
    let xe = &mut scratch[..n * expanded(g)];
    expand(x, xe, g.filters / c);
    direct(&expanded_geometry(g), xe, kernel, bias, z);
}

/// [`depthwise`] with `depth_multiplier` 1: one multiply-add across the channels per tap.
fn direct(g: &ConvGeometry, x: &[f32], kernel: &[f32], bias: Option<&[f32]>, z: &mut [f32]) {
    let [h, w, c] = g.input;
    let [kh, kw] = g.kernel;
    let [oh, ow] = g.output;
    let f = g.filters;
    debug_assert_eq!(f, c);
    for (xs, zs) in x.chunks_exact(h * w * c).zip(z.chunks_exact_mut(oh * ow * f)) {
        for oy in 0..oh {
            for ox in 0..ow {
                let zr = &mut zs[(oy * ow + ox) * f..][..f];
                match bias {
                    Some(b) => zr.copy_from_slice(b),
                    None => zr.fill(0.0),
                }
                for ky in 0..kh {
                    let Some(iy) = g.source(0, oy, ky) else { continue };
                    for kx in 0..kw {
                        let Some(ix) = g.source(1, ox, kx) else { continue };
                        let xr = &xs[(iy * w + ix) * c..][..c];
                        let kr = &kernel[(ky * kw + kx) * f..][..f];
                        zr.iter_mut().zip(xr).zip(kr).for_each(|((z, x), k)| *z += x * k);
                    }
                }
            }
        }
    }
}

/// The kernel gradient `dk` (overwritten) and, if asked, the input gradient
/// `dx` (overwritten) of [`depthwise`] from the gradient `dz` of its output;
/// `scratch` is what the forward pass left in its own (the expanded input),
/// `dexpanded` a buffer for the expanded input's gradient.
#[cfg(feature = "std")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn depthwise_backward(
    g: &ConvGeometry,
    x: &[f32],
    kernel: &[f32],
    dz: &[f32],
    dk: &mut [f32],
    dx: Option<&mut [f32]>,
    scratch: &[f32],
    dexpanded: &mut Vec<f32>,
) {
    let [h, w, c] = g.input;
    if g.filters == c {
        return direct_backward(g, x, kernel, dz, dk, dx);
    }
    let (n, dm) = (x.len() / (h * w * c), g.filters / c);
    let xe = &scratch[..n * expanded(g)];
    let Some(dx) = dx else {
        return direct_backward(&expanded_geometry(g), xe, kernel, dz, dk, None);
    };
    let dxe = scratch_of(dexpanded, xe.len());
    direct_backward(&expanded_geometry(g), xe, kernel, dz, dk, Some(dxe));
    for (d, e) in dx.iter_mut().zip(dxe.chunks_exact(dm)) {
        *d = e.iter().sum();
    }
}

/// [`depthwise_backward`] of [`direct`].
#[cfg(feature = "std")]
fn direct_backward(
    g: &ConvGeometry,
    x: &[f32],
    kernel: &[f32],
    dz: &[f32],
    dk: &mut [f32],
    mut dx: Option<&mut [f32]>,
) {
    let [h, w, c] = g.input;
    let [kh, kw] = g.kernel;
    let [oh, ow] = g.output;
    let f = g.filters;
    debug_assert_eq!(f, c);
    let sample = h * w * c;
    dk.fill(0.0);
    if let Some(dx) = dx.as_deref_mut() {
        dx.fill(0.0);
    }
    for (s, (xs, zs)) in x.chunks_exact(sample).zip(dz.chunks_exact(oh * ow * f)).enumerate() {
        for oy in 0..oh {
            for ox in 0..ow {
                let zr = &zs[(oy * ow + ox) * f..][..f];
                for ky in 0..kh {
                    let Some(iy) = g.source(0, oy, ky) else { continue };
                    for kx in 0..kw {
                        let Some(ix) = g.source(1, ox, kx) else { continue };
                        let at = (iy * w + ix) * c;
                        let xr = &xs[at..][..c];
                        let tap = (ky * kw + kx) * f;
                        let dkr = &mut dk[tap..][..f];
                        dkr.iter_mut().zip(xr).zip(zr).for_each(|((d, x), z)| *d += x * z);
                        if let Some(dx) = dx.as_deref_mut() {
                            let dxr = &mut dx[s * sample + at..][..c];
                            let kr = &kernel[tap..][..f];
                            dxr.iter_mut().zip(kr).zip(zr).for_each(|((d, k), z)| *d += k * z);
                        }
                    }
                }
            }
        }
    }
}

/// A depthwise 2-D convolution from `I` to `O` values per sample with a
/// fused activation `A`; its geometry's `filters` are `in · depth_multiplier`,
/// and `X` is its scratch per sample (the expanded input: `I · depth_multiplier`
/// with a depth multiplier above 1, else 0).
#[derive(Debug, Clone)]
pub struct DepthwiseConv2D<const I: usize, const O: usize, const X: usize, A> {
    /// `[kh, kw, in, depth_multiplier]`, Keras's layout (Keras names it `kernel`).
    pub kernel: Param,
    /// `[in · depth_multiplier]`, absent with `use_bias = false`.
    pub bias: Option<Param>,
    /// Where the windows read.
    pub geometry: ConvGeometry,
    act: PhantomData<A>,
}

/// DepthwiseConv2D's training caches and gradients.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct DepthwiseConv2DState {
    expanded: Vec<f32>,
    dexpanded: Vec<f32>,
    z: Vec<f32>,
    dz: Vec<f32>,
    dkernel: Vec<f32>,
    dbias: Vec<f32>,
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const X: usize, A: ActivationFn> DepthwiseConv2D<I, O, X, A> {
    /// A layer with the kernel (of `shapes.0`, `[kh, kw, in, depth_multiplier]`)
    /// drawn from `kernel_init`, then the bias (of `shapes.1`) from
    /// `bias_init` (`None`: no bias).
    pub fn new(
        geometry: ConvGeometry,
        shapes: (&'static [usize], &'static [usize]),
        kernel_init: &Initializer,
        bias_init: Option<&Initializer>,
        rng: &mut Rng,
    ) -> Self {
        let (kernel, bias) = kernel_bias::draw(shapes, kernel_init, bias_init, rng);
        DepthwiseConv2D { kernel, bias, geometry, act: PhantomData }
    }
}

impl<const I: usize, const O: usize, const X: usize, A> DepthwiseConv2D<I, O, X, A> {
    /// The layer over the given `kernel` and `bias` (`None` for `use_bias = false`).
    pub const fn from_params(geometry: ConvGeometry, kernel: Param, bias: Option<Param>) -> Self {
        DepthwiseConv2D { kernel, bias, geometry, act: PhantomData }
    }
}

impl<const I: usize, const O: usize, const X: usize, A: ActivationFn> Layer for DepthwiseConv2D<I, O, X, A> {
    const IN: usize = I;
    const OUT: usize = O;
    const SCRATCH: usize = X;

    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        depthwise(&self.geometry, x, &self.kernel, self.bias.as_deref(), y, scratch);
        A::apply(y, self.geometry.filters);
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        kernel_bias::visit(&self.kernel, self.bias.as_ref(), f);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        kernel_bias::visit_mut(&mut self.kernel, self.bias.as_mut(), f);
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const X: usize, A: ActivationFn> DepthwiseConv2D<I, O, X, A> {
    fn backward_affine(&self, st: &mut DepthwiseConv2DState, x: &[f32], dz: &[f32], dx: Option<&mut [f32]>) {
        let g = &self.geometry;
        if self.bias.is_some() {
            activated::bias_gradient(&mut st.dbias, dz, g.filters);
        }
        let dk = scratch(&mut st.dkernel, self.kernel.len());
        depthwise_backward(g, x, &self.kernel, dz, dk, dx, &st.expanded, &mut st.dexpanded);
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const X: usize, A: ActivationFn> Train for DepthwiseConv2D<I, O, X, A> {
    type State = DepthwiseConv2DState;

    fn forward(&mut self, st: &mut DepthwiseConv2DState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        let (g, k, b) = (&self.geometry, &self.kernel, self.bias.as_deref());
        let xe = scratch(&mut st.expanded, x.len() / I * X);
        activated::forward::<A>(&mut st.z, y, g.filters, |z| depthwise(g, x, k, b, z, xe));
    }

    fn backward(&mut self, st: &mut DepthwiseConv2DState, x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let mut buf = core::mem::take(&mut st.dz);
        let dz = activated::pre_activation_gradient::<A>(&st.z, &mut buf, y, dy, self.geometry.filters);
        self.backward_affine(st, x, dz, dx);
        st.dz = buf;
    }

    fn backward_logits(
        &mut self,
        st: &mut DepthwiseConv2DState,
        x: &[f32],
        _: &[f32],
        dz: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        self.backward_affine(st, x, dz, dx);
    }

    fn visit_grads(&mut self, st: &mut DepthwiseConv2DState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        kernel_bias::visit_grads(&mut self.kernel, self.bias.as_mut(), (&mut st.dkernel, &mut st.dbias), f);
    }
}
