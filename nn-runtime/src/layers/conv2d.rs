//! Keras's `Conv2D` (channels last): `activation(conv(x, kernel) + bias)`
//! with strides, dilation and `valid`/`same` padding, computed as im2col
//! (each output position's receptive field as a row) times the kernel
//! (`[kh·kw·in, filters]`, Keras's `[kh, kw, in, filters]` flattened) with
//! the project's gemm; the im2col rows are the layer's scratch. Keras's
//! `Conv1D` is the same layer on a `(1, steps, channels)` image with a
//! `(1, k)` kernel (its `[k, in, filters]` kernel has the same layout), and
//! `causal` padding is a left padding of `dilation · (k − 1)`.
//!
//! A convolution with strides and dilation 1, no padding and one group
//! ([`ConvGeometry::windows`]) skips the im2col rows in inference and in the
//! training forward: [`sgemm_windows`](crate::kernels::gemm::sgemm_windows)
//! reads the windows in place and the bias and activation run on each
//! finished block of rows (mnist_convnet's first layer, whose im2col is nine
//! times its input, ran 16 % faster at batch 1000 on an Intel Xeon).
//!
//! With `groups` above 1 (Keras's grouped convolution: the channels and the
//! filters split into `groups` consecutive parts, filter part `g` seeing
//! only channel part `g`; kernel `[kh, kw, in / groups, filters]`), each
//! output is a plain sum over its group's columns of the im2col row.
//!
//! ```
//! use nn_runtime::{init::Initializer, kernels::activation::Relu, layers::{Conv2D, ConvGeometry, Layer}, rng};
//! const G: ConvGeometry = ConvGeometry::new([4, 4, 1], 2, [3, 3], [1, 1], [1, 1], [0, 0], [2, 2]);
//! let shapes: (&[usize], &[usize]) = (&[3, 3, 1, 2], &[2]);
//! let c = Conv2D::<16, 8, 36, Relu>::new(G, shapes, &Initializer::glorot_uniform(), Some(&Initializer::Zeros), &mut rng::seeded(0));
//! let mut y = [0.0; 8];
//! c.infer(&[1.0; 16], &mut y, &mut [0.0; 36]);
//! assert!(y.iter().all(|v| *v >= 0.0));
//! ```

#[cfg(feature = "std")]
use crate::kernels::parallel::{on_halves, Parts, SharedMut};
use core::marker::PhantomData;

use crate::kernels::simd::{dispatch_body, Body};

use super::kernel_bias;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use super::{activated, scratch};
use super::{Layer, Step};
#[cfg(feature = "std")]
use crate::init::Initializer;
#[cfg(feature = "std")]
use crate::kernels::gemm::sgemm_single_thread;
use crate::kernels::gemm::{sgemm, sgemm_windows, sgemm_windows_single_thread, Epilogue, Layout, Windows};
use crate::kernels::ActivationFn;
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// Where a 2-D window reads: the input `[h, w, c]`, the filters, the
/// kernel, strides, dilation, the padding before the first row and column,
/// and the output `[oh, ow]` (computed by `sequential!` with Keras's formulas).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Input height, width and channels.
    pub input: [usize; 3],
    /// Output channels.
    pub filters: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Strides.
    pub strides: [usize; 2],
    /// Dilation rates.
    pub dilation: [usize; 2],
    /// Zero rows above and columns left of the input (`same` puts the odd one below/right).
    pub pad: [usize; 2],
    /// Output height and width.
    pub output: [usize; 2],
    /// Keras's `groups`: channels and filters split into this many parts (1: none).
    pub groups: usize,
}

impl ConvGeometry {
    /// The geometry with every size given.
    pub const fn new(
        input: [usize; 3],
        filters: usize,
        kernel: [usize; 2],
        strides: [usize; 2],
        dilation: [usize; 2],
        pad: [usize; 2],
        output: [usize; 2],
    ) -> Self {
        ConvGeometry { input, filters, kernel, strides, dilation, pad, output, groups: 1 }
    }

    /// The same geometry split into `groups` (which divides the channels and the filters).
    pub const fn grouped(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }

    /// Rows of the kernel seen as a matrix: `kh · kw · in / groups`.
    pub const fn kernel_rows(&self) -> usize {
        self.kernel[0] * self.kernel[1] * (self.input[2] / self.groups)
    }

    /// `z += cols · kernel` for a grouped convolution: output `f` of group
    /// `g` sums the kernel's column `f` against the im2col row's channels of
    /// group `g` (rows of `patch()` in `cols`, of `filters` in `z`).
    fn grouped_forward(&self, cols: &[f32], kernel: &[f32], z: &mut [f32]) {
        let (c, f, taps) = (self.input[2], self.filters, self.kernel[0] * self.kernel[1]);
        let (cg, fg) = (c / self.groups, f / self.groups);
        for (row, zr) in cols.chunks_exact(self.patch()).zip(z.chunks_exact_mut(f)) {
            for g in 0..self.groups {
                let zg = &mut zr[g * fg..][..fg];
                for t in 0..taps {
                    for ci in 0..cg {
                        let v = row[t * c + g * cg + ci];
                        let k = &kernel[(t * cg + ci) * f + g * fg..][..fg];
                        zg.iter_mut().zip(k).for_each(|(z, k)| *z += v * k);
                    }
                }
            }
        }
    }

    /// The gradients of [`ConvGeometry::grouped_forward`] from `dz`: the
    /// kernel's into `dkernel` and, if asked, the im2col rows' into `dcols`
    /// (both overwritten).
    #[cfg(feature = "std")]
    fn grouped_backward(
        &self,
        cols: &[f32],
        kernel: &[f32],
        dz: &[f32],
        dkernel: &mut [f32],
        mut dcols: Option<&mut [f32]>,
    ) {
        let (c, f, taps, patch) = (self.input[2], self.filters, self.kernel[0] * self.kernel[1], self.patch());
        let (cg, fg) = (c / self.groups, f / self.groups);
        dkernel.fill(0.0);
        if let Some(d) = dcols.as_deref_mut() {
            d.fill(0.0);
        }
        for (r, (row, dr)) in cols.chunks_exact(patch).zip(dz.chunks_exact(f)).enumerate() {
            for g in 0..self.groups {
                let dg = &dr[g * fg..][..fg];
                for t in 0..taps {
                    for ci in 0..cg {
                        let (at, kat) = (t * c + g * cg + ci, (t * cg + ci) * f + g * fg);
                        let v = row[at];
                        dkernel[kat..][..fg].iter_mut().zip(dg).for_each(|(d, g)| *d += v * g);
                        if let Some(d) = dcols.as_deref_mut() {
                            d[r * patch + at] = kernel[kat..][..fg].iter().zip(dg).map(|(k, g)| k * g).sum();
                        }
                    }
                }
            }
        }
    }

    /// The geometry as [`Windows`] that a product reads in place (no im2col
    /// rows), if it has them: strides and dilation 1, no padding, one group.
    pub const fn windows(&self) -> Option<Windows> {
        let [h, w, _] = self.input;
        let [kh, kw] = self.kernel;
        let plain = matches!((self.strides, self.dilation, self.pad), ([1, 1], [1, 1], [0, 0]));
        if plain
            && self.groups == 1
            && kh <= h
            && kw <= w
            && self.output[0] == h + 1 - kh
            && self.output[1] == w + 1 - kw
        {
            Some(Windows { input: self.input, kernel: self.kernel })
        } else {
            None
        }
    }

    /// Values of one im2col row: `kh · kw · in`.
    pub const fn patch(&self) -> usize {
        self.kernel[0] * self.kernel[1] * self.input[2]
    }

    /// Output positions of one sample: `oh · ow`.
    pub const fn positions(&self) -> usize {
        self.output[0] * self.output[1]
    }

    /// The input position read by output row `o` and kernel row `k` on axis `a`, if inside.
    #[inline]
    pub(crate) fn source(&self, a: usize, o: usize, k: usize) -> Option<usize> {
        (o * self.strides[a] + k * self.dilation[a]).checked_sub(self.pad[a]).filter(|&i| i < self.input[a])
    }

    /// Writes the im2col rows of `n` samples of `x` into `cols`, compiled for
    /// this CPU's best instruction set (the copies are vector moves).
    pub fn im2col(&self, x: &[f32], cols: &mut [f32]) {
        dispatch_body(Im2col { g: self, from: x, to: cols, back: false })
    }

    /// [`Self::im2col`] at any instruction set.
    ///
    /// Without column dilation, the `kw` positions of a kernel row that are
    /// inside the image are contiguous in `x`: one copy of `run · c` floats
    /// per kernel row (a loop for the short runs of a single-channel input,
    /// where a `memcpy` call per run would cost more than the copy); the
    /// columns whose whole kernel row is inside the image take no clamps.
    #[inline(always)]
    fn im2col_any(&self, x: &[f32], cols: &mut [f32]) {
        let [h, w, c] = self.input;
        let [kh, kw] = self.kernel;
        let [oh, ow] = self.output;
        let (sample, patch) = (h * w * c, self.patch());
        let (sx, px) = (self.strides[1], self.pad[1]);
        let contiguous = self.dilation[1] == 1;
        // Output columns ox0..ox1 read a whole kernel row inside the image.
        let ox0 = px.div_ceil(sx).min(ow);
        let ox1 = if w + px >= kw { ((w + px - kw) / sx + 1).clamp(ox0, ow) } else { ox0 };
        for (xs, cs) in x.chunks_exact(sample).zip(cols.chunks_exact_mut(self.positions() * patch)) {
            for oy in 0..oh {
                for ky in 0..kh {
                    let at = |ox: usize| (oy * ow + ox) * patch + ky * kw * c;
                    let Some(iy) = self.source(0, oy, ky) else {
                        for ox in 0..ow {
                            cs[at(ox)..][..kw * c].fill(0.0);
                        }
                        continue;
                    };
                    let line = &xs[iy * w * c..][..w * c];
                    if contiguous {
                        for ox in (0..ox0).chain(ox1..ow) {
                            // Kernel columns kx0..kx1 fall inside the image.
                            let dst = &mut cs[at(ox)..][..kw * c];
                            let first = (ox * sx) as isize - px as isize;
                            let kx0 = (-first).clamp(0, kw as isize) as usize;
                            let kx1 = (w as isize - first).clamp(kx0 as isize, kw as isize) as usize;
                            dst[..kx0 * c].fill(0.0);
                            dst[kx1 * c..].fill(0.0);
                            if kx1 > kx0 {
                                let ix0 = (first + kx0 as isize) as usize;
                                copy(&mut dst[kx0 * c..kx1 * c], &line[ix0 * c..][..(kx1 - kx0) * c]);
                            }
                        }
                        for ox in ox0..ox1 {
                            copy(&mut cs[at(ox)..][..kw * c], &line[(ox * sx - px) * c..][..kw * c]);
                        }
                        continue;
                    }
                    for ox in 0..ow {
                        let dst = &mut cs[at(ox)..][..kw * c];
                        for kx in 0..kw {
                            let dst = &mut dst[kx * c..][..c];
                            match self.source(1, ox, kx) {
                                Some(ix) => copy(dst, &line[ix * c..][..c]),
                                None => dst.fill(0.0),
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the im2col gradient `dcols` back onto the input gradient `dx` (zeroed first).
    pub fn col2im(&self, dcols: &[f32], dx: &mut [f32]) {
        dispatch_body(Im2col { g: self, from: dcols, to: dx, back: true })
    }

    /// [`Self::col2im`] at any instruction set.
    #[inline(always)]
    fn col2im_any(&self, dcols: &[f32], dx: &mut [f32]) {
        let [h, w, c] = self.input;
        let [kh, kw] = self.kernel;
        let [oh, ow] = self.output;
        let (sample, patch) = (h * w * c, self.patch());
        dx.fill(0.0);
        for (ds, cs) in dx.chunks_exact_mut(sample).zip(dcols.chunks_exact(self.positions() * patch)) {
            for oy in 0..oh {
                for ox in 0..ow {
                    let row = &cs[(oy * ow + ox) * patch..][..patch];
                    for ky in 0..kh {
                        let Some(iy) = self.source(0, oy, ky) else { continue };
                        for kx in 0..kw {
                            let Some(ix) = self.source(1, ox, kx) else { continue };
                            add(&mut ds[(iy * w + ix) * c..][..c], &row[(ky * kw + kx) * c..][..c]);
                        }
                    }
                }
            }
        }
    }
}

/// [`ConvGeometry::im2col`]'s loop (`from` the input, `to` the rows) or,
/// with `back`, [`ConvGeometry::col2im`]'s (`from` the rows' gradient, `to`
/// the input's), compiled per instruction set.
struct Im2col<'a> {
    g: &'a ConvGeometry,
    from: &'a [f32],
    to: &'a mut [f32],
    back: bool,
}

impl Body for Im2col<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        if self.back {
            self.g.col2im_any(self.from, self.to)
        } else {
            self.g.im2col_any(self.from, self.to)
        }
    }
}

/// `dst += src` in 16-float chunks (constant size: whole vectors), the tail
/// as a loop.
#[inline(always)]
fn add(dst: &mut [f32], src: &[f32]) {
    let src = &src[..dst.len()];
    let mut d = dst.chunks_exact_mut(16);
    let mut s = src.chunks_exact(16);
    for (d, s) in (&mut d).zip(&mut s) {
        let d: &mut [f32; 16] = d.try_into().expect("16 floats");
        let s: &[f32; 16] = s.try_into().expect("16 floats");
        *d = core::array::from_fn(|l| d[l] + s[l]);
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d += *s;
    }
}

/// `dst.copy_from_slice(src)` without a `memcpy` call for the short rows of
/// convolutions: a loop for a handful of floats, 16-float chunks (constant
/// size: vector moves) for the rest, the tail as a loop.
#[inline(always)]
pub(crate) fn copy(dst: &mut [f32], src: &[f32]) {
    let src = &src[..dst.len()];
    let mut d = dst.chunks_exact_mut(16);
    let mut s = src.chunks_exact(16);
    for (d, s) in (&mut d).zip(&mut s) {
        d.copy_from_slice(s);
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

/// A 2-D convolution from `I` to `O` values per sample whose im2col rows
/// take `COLS` values per sample, with a fused activation `A`. A `causal`
/// Conv1D of stride 1 also steps through time ([`Step`]): `FRAME` input
/// channels a step, the last `HISTORY / FRAME` input steps kept as its state
/// (`dilation · (kernel_size − 1)`); 0 for other convolutions.
#[derive(Debug, Clone)]
pub struct Conv2D<
    const I: usize,
    const O: usize,
    const COLS: usize,
    A,
    const FRAME: usize = 0,
    const HISTORY: usize = 0,
> {
    /// `[kh, kw, in, filters]`, Keras's layout.
    pub kernel: Param,
    /// `[filters]`, absent with `use_bias = false`.
    pub bias: Option<Param>,
    /// Where the windows read.
    pub geometry: ConvGeometry,
    act: PhantomData<A>,
}

/// Conv2D's (and Conv2DTranspose's) training caches and gradients.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct Conv2DState {
    pub(super) cols: Vec<f32>,
    pub(super) z: Vec<f32>,
    pub(super) dz: Vec<f32>,
    pub(super) dcols: Vec<f32>,
    pub(super) dkernel: Vec<f32>,
    /// The second half-batch's kernel gradient, before it is added in.
    pub(super) dkernel_half: Vec<f32>,
    pub(super) dbias: Vec<f32>,
    /// The second half-batch's bias gradient, before it is added in.
    pub(super) dbias_half: Vec<f32>,
}

/// Where Conv2D's backward pass takes the pre-activation gradient from.
#[cfg(feature = "std")]
#[derive(Clone, Copy)]
enum Grad<'a> {
    /// Given (by `backward_logits`, or `dy` of a linear activation).
    Pre(&'a [f32]),
    /// `dy` through the activation's derivative at the kept `z` (and `y`),
    /// piece by piece.
    Post { z: &'a [f32], y: &'a [f32], dy: &'a [f32] },
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn, const FRAME: usize, const HISTORY: usize>
    Conv2D<I, O, COLS, A, FRAME, HISTORY>
{
    /// A layer with the kernel (of `shapes.0`, `[kh, kw, in, filters]`)
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
        Conv2D { kernel, bias, geometry, act: PhantomData }
    }
}

impl<const I: usize, const O: usize, const COLS: usize, A, const FRAME: usize, const HISTORY: usize>
    Conv2D<I, O, COLS, A, FRAME, HISTORY>
{
    /// The layer over the given `kernel` and `bias` (`None` for `use_bias = false`).
    pub const fn from_params(geometry: ConvGeometry, kernel: Param, bias: Option<Param>) -> Self {
        Conv2D { kernel, bias, geometry, act: PhantomData }
    }
}

impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn, const FRAME: usize, const HISTORY: usize>
    Conv2D<I, O, COLS, A, FRAME, HISTORY>
{
    /// Samples whose im2col rows fit in [`PIECE_COLS`], at least one.
    const PER: usize = match PIECE_COLS / if COLS == 0 { 1 } else { COLS } {
        0 => 1,
        per => per,
    };

    /// `z = im2col(x) · kernel`, without the bias (added with the
    /// activation: [`Self::activate`]); `cols` gets the im2col rows.
    fn product(&self, x: &[f32], z: &mut [f32], cols: &mut [f32]) {
        let g = &self.geometry;
        let n = x.len() / I;
        let (rows, patch, f) = (n * g.positions(), g.patch(), g.filters);
        let cols = &mut cols[..n * COLS];
        g.im2col(x, cols);
        if g.groups > 1 {
            z.fill(0.0);
            g.grouped_forward(cols, &self.kernel, &mut z[..rows * f]);
            return;
        }
        sgemm(rows, patch, f, 1.0, cols, Layout::Normal, &self.kernel, Layout::Normal, 0.0, z);
    }

    /// `y = A(z + bias)` of a piece's product `z`, in place (`y` is `z`) or,
    /// given `y`, into it with the sum kept in `z`: one pass either way.
    fn activate(&self, z: &mut [f32], y: Option<&mut [f32]>) {
        let f = self.geometry.filters;
        match (&self.bias, y) {
            (Some(b), None) => A::apply_bias(z, b),
            (None, None) => A::apply(z, f),
            (Some(b), Some(y)) => A::apply_bias_to(z, b, y),
            (None, Some(y)) => A::apply_to(z, y, f),
        }
    }

    /// What the windows kernels can apply to each tile in registers: the
    /// bias and the activation if it is ReLU or the identity (`None` for
    /// others, which a pass over each finished block applies).
    fn epilogue(&self) -> Option<Epilogue<'_>> {
        (A::LINEAR || A::RELU).then_some(Epilogue { bias: self.bias.as_deref(), relu: A::RELU })
    }

    /// `A(x ⊛ kernel + bias)` into `y`, [`Conv2D::product`] a few samples at
    /// a time, so that the product reads their im2col rows back from L2
    /// rather than from memory (a batch's rows are megabytes; Keras's
    /// mnist_convnet's second layer has 139 KB of them per sample), each
    /// piece activated while in cache: in place in `z` without `y`, else
    /// into `y` with the sum kept in `z`. With `keep` the rows stay in
    /// `cols` for the backward pass, else every piece reuses the start of
    /// `cols` (still in cache).
    fn activated_in_pieces(&self, x: &[f32], z: &mut [f32], mut y: Option<&mut [f32]>, cols: &mut [f32], keep: bool) {
        let fused = self.epilogue().filter(|_| y.is_none());
        let mut after = |at: usize, z: &mut [f32]| {
            let n = z.len();
            self.activate(z, y.as_deref_mut().map(|y| &mut y[at..at + n]))
        };
        if let Some(win) = self.geometry.windows().filter(|_| !keep) {
            let f = self.geometry.filters;
            let epi = fused.unwrap_or_default();
            let done = sgemm_windows_single_thread(&win, x, &self.kernel, f, z, epi, &mut |row, z| {
                if fused.is_none() {
                    after(row * f, z)
                }
            });
            if done {
                return;
            }
        }
        let per = Self::PER;
        for (i, (x, z)) in x.chunks(per * I).zip(z.chunks_mut(per * O)).enumerate() {
            let at = if keep { i * per * COLS } else { 0 };
            self.product(x, z, &mut cols[at..]);
            after(i * per * O, z);
        }
    }
}

/// Floats of im2col rows built and multiplied at a time (256 KiB: an
/// eighth of the L2 of the machines measured; 64 KiB to 1 MiB measured alike).
const PIECE_COLS: usize = 1 << 16;

impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn, const FRAME: usize, const HISTORY: usize> Layer
    for Conv2D<I, O, COLS, A, FRAME, HISTORY>
{
    const IN: usize = I;
    const OUT: usize = O;
    const SCRATCH: usize = COLS;

    fn infer(&self, x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        // Both threads for a large product (one sample's second convolution
        // of mnist_convnet), the activation on each block in L1.
        if let Some(win) = self.geometry.windows() {
            let f = self.geometry.filters;
            let fused = self.epilogue();
            let done = sgemm_windows(&win, x, &self.kernel, f, y, fused.unwrap_or_default(), &|_, y| {
                if fused.is_none() {
                    self.activate(y, None)
                }
            });
            if done {
                return;
            }
        }
        self.activated_in_pieces(x, y, None, scratch, false);
    }

    fn visit(&self, f: &mut dyn FnMut(&'static str, &Param)) {
        kernel_bias::visit(&self.kernel, self.bias.as_ref(), f);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut Param)) {
        kernel_bias::visit_mut(&mut self.kernel, self.bias.as_mut(), f);
    }
}

/// `total / steps` (0 for no steps).
const fn per_step(total: usize, steps: Option<usize>) -> usize {
    match steps {
        Some(s) if s > 0 => total / s,
        _ => 0,
    }
}

/// One step of a `causal` Conv1D of stride 1: the window ending at this
/// step reads the kept input steps and `x`; the state then drops its oldest
/// step and keeps `x`.
impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn, const FRAME: usize, const HISTORY: usize> Step
    for Conv2D<I, O, COLS, A, FRAME, HISTORY>
{
    const STATE: usize = HISTORY;
    const STEP_IN: usize = FRAME;
    // Output and im2col floats of one of the `I / FRAME` steps.
    const STEP_OUT: usize = per_step(O, I.checked_div(FRAME));
    const STEP_SCRATCH: usize = per_step(COLS, I.checked_div(FRAME));

    fn step(&self, state: &mut [f32], x: &[f32], y: &mut [f32], scratch: &mut [f32]) {
        assert!(FRAME > 0, "Step: this Conv2D is no causal Conv1D of stride 1 (FRAME is 0)");
        let g = &self.geometry;
        let (c, d) = (FRAME, g.dilation[1]);
        let row = &mut scratch[..g.patch()];
        for (tap, dst) in row.chunks_exact_mut(c).enumerate() {
            let at = tap * d * c;
            dst.copy_from_slice(if at < HISTORY { &state[at..at + c] } else { x });
        }
        if g.groups > 1 {
            y.fill(0.0);
            g.grouped_forward(row, &self.kernel, y);
        } else {
            sgemm(1, g.patch(), g.filters, 1.0, row, Layout::Normal, &self.kernel, Layout::Normal, 0.0, y);
        }
        self.activate(y, None);
        if HISTORY > 0 {
            state.copy_within(c.., 0);
            state[HISTORY - c..].copy_from_slice(x);
        }
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn, const FRAME: usize, const HISTORY: usize>
    Conv2D<I, O, COLS, A, FRAME, HISTORY>
{
    /// Kernel, bias and input gradients from the pre-activation gradient.
    fn backward_affine(&self, st: &mut Conv2DState, x: &[f32], grad: Grad<'_>, dx: Option<&mut [f32]>) {
        let g = &self.geometry;
        let n = x.len() / I;
        let (patch, f) = (g.patch(), g.filters);
        let dk = scratch(&mut st.dkernel, g.kernel_rows() * f);
        if g.groups > 1 {
            let dz = match grad {
                Grad::Pre(dz) => dz,
                Grad::Post { z, y, dy } => activated::pre_activation_gradient::<A>(z, &mut st.dz, y, dy, f),
            };
            if self.bias.is_some() {
                activated::bias_gradient(&mut st.dbias, dz, f);
            }
            let dcols = dx.as_ref().map(|_| scratch(&mut st.dcols, n * COLS));
            g.grouped_backward(&st.cols[..n * COLS], &self.kernel, dz, dk, dcols);
            if let Some(dx) = dx {
                g.col2im(&st.dcols[..n * COLS], dx);
            }
            return;
        }
        // Each half of the batch on its own thread, in pieces: the
        // pre-activation gradient and the bias gradient's rows (each half
        // into its own sums), the im2col rows built again in L2, the kernel
        // gradient's product over them, then the input gradient's product,
        // whose im2col gradient stays in L2 until col2im folds it into dx.
        let room = 2 * Self::piece(n) * COLS;
        let cols = scratch(&mut st.cols, room);
        let dcols = scratch(&mut st.dcols, if dx.is_some() { room } else { 0 });
        let dzs = scratch(&mut st.dz, if matches!(grad, Grad::Post { .. }) { n * O } else { 0 });
        let (dk1, db) = (scratch(&mut st.dkernel_half, dk.len()), scratch(&mut st.dbias, f));
        let db1 = scratch(&mut st.dbias_half, f);
        // Zero unless the second half runs (a small batch is one half).
        dk1.fill(0.0);
        db.fill(0.0);
        db1.fill(0.0);
        let (cs, ds, dzs) = (Parts::new(cols), Parts::new(dcols), Parts::new(dzs));
        let sums = [(SharedMut::new(dk), SharedMut::new(db)), (SharedMut::new(dk1), SharedMut::new(db1))];
        let dxs = dx.map(|dx| Parts::new(&mut dx[..n * I]));
        let (per, positions, bias) = (Self::piece(n), g.positions(), self.bias.is_some());
        on_halves(n, &|r| {
            let at = Self::room(&r, n);
            let sums = &sums[usize::from(r.start > 0)];
            // SAFETY: the halves are disjoint sample ranges, rooms and sums.
            let (cols, dk, db) = unsafe { (cs.part(at.clone()), sums.0.get(), sums.1.get()) };
            let mut s = r.start;
            while s < r.end {
                let e = (s + per).min(r.end);
                let out = s * O..e * O;
                let dzp: &[f32] = match grad {
                    Grad::Pre(dz) => &dz[out],
                    Grad::Post { z, y, dy } => {
                        // SAFETY: as above.
                        let dzp = unsafe { dzs.part(out.clone()) };
                        A::backward(&z[out.clone()], &y[out.clone()], &dy[out], dzp, f);
                        dzp
                    }
                };
                if bias {
                    activated::add_rows(db, dzp);
                }
                let cols = &mut cols[..(e - s) * COLS];
                g.im2col(&x[s * I..e * I], cols);
                let beta = if s == r.start { 0.0 } else { 1.0 };
                let m = (e - s) * positions;
                sgemm_single_thread(patch, m, f, 1.0, cols, Layout::Transposed, dzp, Layout::Normal, beta, dk);
                if let Some(dxs) = &dxs {
                    // SAFETY: as above.
                    let (dcols, dx) = unsafe { (ds.part(at.start..at.start + (e - s) * COLS), dxs.part(s * I..e * I)) };
                    sgemm_single_thread(
                        m,
                        f,
                        patch,
                        1.0,
                        dzp,
                        Layout::Normal,
                        &self.kernel,
                        Layout::Transposed,
                        0.0,
                        dcols,
                    );
                    g.col2im(dcols, dx);
                }
                s = e;
            }
        });
        dk.iter_mut().zip(&*dk1).for_each(|(a, b)| *a += b);
        db.iter_mut().zip(&*db1).for_each(|(a, b)| *a += b);
    }

    /// Samples of one piece of a batch of `n`: [`Self::PER`], or fewer for a small batch.
    fn piece(n: usize) -> usize {
        Self::PER.min(n.max(1))
    }

    /// The room in a two-piece buffer of the half `r` of a batch of `n`.
    fn room(r: &core::ops::Range<usize>, n: usize) -> core::ops::Range<usize> {
        let len = Self::piece(n) * COLS;
        if r.start == 0 {
            0..len
        } else {
            len..2 * len
        }
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, const COLS: usize, A: ActivationFn, const FRAME: usize, const HISTORY: usize> Train
    for Conv2D<I, O, COLS, A, FRAME, HISTORY>
{
    type State = Conv2DState;
    // The pre-activation unless it is `y` itself (a grouped convolution's
    // im2col rows too, not counted: the groups are not a type parameter).
    const KEPT: usize = if A::LINEAR || A::FROM_OUTPUT { 0 } else { O };

    fn forward(&mut self, st: &mut Conv2DState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        let n = x.len() / I;
        // A grouped convolution keeps its im2col rows for the backward pass;
        // otherwise each half reuses one piece's room, still in L2, and the
        // backward pass builds the rows again.
        let keep = self.geometry.groups > 1;
        let room = if keep { n * COLS } else { 2 * Self::piece(n) * COLS };
        let cols = scratch(&mut st.cols, room);
        // Each half of the batch on its own thread, in pieces; the
        // activation of a piece while it is in cache, from the kept `z`
        // (unless it is linear or its derivative needs only `y`: then `z`
        // is `y`, activated in place).
        let zs = (!A::LINEAR && !A::FROM_OUTPUT).then(|| Parts::new(scratch(&mut st.z, n * O)));
        let (ys, cs) = (Parts::new(y), Parts::new(cols));
        on_halves(n, &|r| {
            let at = if keep { r.start * COLS..r.end * COLS } else { Self::room(&r, n) };
            let (xs, out) = (&x[r.start * I..r.end * I], r.start * O..r.end * O);
            // SAFETY: the halves are disjoint sample ranges and rooms.
            let (y, cols) = unsafe { (ys.part(out.clone()), cs.part(at)) };
            match &zs {
                None => self.activated_in_pieces(xs, y, None, cols, keep),
                Some(zs) => {
                    // SAFETY: as above.
                    let z = unsafe { zs.part(out) };
                    self.activated_in_pieces(xs, z, Some(y), cols, keep);
                }
            }
        });
    }

    fn backward(&mut self, st: &mut Conv2DState, x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if A::LINEAR {
            return self.backward_affine(st, x, Grad::Pre(dy), dx);
        }
        let z = core::mem::take(&mut st.z);
        self.backward_affine(st, x, Grad::Post { z: activated::kept::<A>(&z, y), y, dy }, dx);
        st.z = z;
    }

    fn backward_logits(&mut self, st: &mut Conv2DState, x: &[f32], _: &[f32], dz: &[f32], dx: Option<&mut [f32]>) {
        self.backward_affine(st, x, Grad::Pre(dz), dx);
    }

    fn visit_grads(&mut self, st: &mut Conv2DState, f: &mut dyn FnMut(&mut Param, &mut [f32])) {
        kernel_bias::visit_grads(&mut self.kernel, self.bias.as_mut(), (&mut st.dkernel, &mut st.dbias), f);
    }
}
