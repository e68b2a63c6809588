//! Keras's `MaxPooling2D` and `AveragePooling2D` (channels last), and so the
//! global poolings (one window the size of the image): each output is the
//! largest, or the mean, of its window's values, with strides and
//! `valid`/`same` padding. Padding is never a value: a `same` average
//! divides by the real elements of its window, as Keras does.

#[cfg(feature = "std")]
use crate::kernels::parallel::{on_halves, Parts};
use core::marker::PhantomData;

use super::conv2d::ConvGeometry;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
use crate::kernels::simd::{dispatch_body, Body};
#[cfg(feature = "std")]
use crate::Rng;

/// What a pooling does to a window.
pub trait Pool {
    /// Whether it is the maximum (else the mean).
    const MAX: bool;
}

/// The window's largest value (NaN wins, as Keras's max propagates it).
#[derive(Debug, Clone, Copy)]
pub struct Max;

/// The mean of the window's real values.
#[derive(Debug, Clone, Copy)]
pub struct Average;

impl Pool for Max {
    const MAX: bool = true;
}

impl Pool for Average {
    const MAX: bool = false;
}

/// A pooling `P` from `I` to `O` values per sample; the window, strides and
/// padding are a [`ConvGeometry`] whose `filters` equal the channels.
#[derive(Debug, Clone, Copy)]
pub struct Pooling2D<const I: usize, const O: usize, P> {
    /// Where the windows read.
    pub geometry: ConvGeometry,
    pool: PhantomData<fn() -> P>,
}

/// Keras's `MaxPooling2D`.
pub type MaxPooling2D<const I: usize, const O: usize> = Pooling2D<I, O, Max>;

/// Keras's `AveragePooling2D`.
pub type AveragePooling2D<const I: usize, const O: usize> = Pooling2D<I, O, Average>;

impl<const I: usize, const O: usize, P: Pool> Pooling2D<I, O, P> {
    /// The layer over windows of `geometry`.
    pub const fn new(geometry: ConvGeometry) -> Self {
        Pooling2D { geometry, pool: PhantomData }
    }

    /// The pooling of the batch `x` into `y`, with plain loops and no
    /// closure, so that the whole of it is compiled at the features of
    /// [`Self::pool_best`]: the `c` channels of a window position are
    /// contiguous, and each block of [`LANES`] of them (then one at a time)
    /// is pooled in registers over the whole window and stored once.
    #[inline(always)]
    fn pool(&self, x: &[f32], y: &mut [f32]) {
        let c = self.geometry.input[2];
        for (xs, ys) in x.chunks_exact(I).zip(y.chunks_exact_mut(O)) {
            for (p, window) in self.windows().enumerate() {
                let mut c0 = 0;
                while c0 + LANES <= c {
                    self.block::<LANES>(xs, &window, c0, &mut ys[p * c + c0..][..LANES]);
                    c0 += LANES;
                }
                while c0 < c {
                    self.block::<1>(xs, &window, c0, &mut ys[p * c + c0..][..1]);
                    c0 += 1;
                }
            }
        }
    }

    /// Channels `c0..c0 + L` of the output position of `window` of the
    /// sample `xs`.
    #[inline(always)]
    fn block<const L: usize>(&self, xs: &[f32], window: &Window, c0: usize, out: &mut [f32]) {
        let mut acc = [0.0f32; L];
        let mut count = 0usize;
        for at in self.offsets(window) {
            let row: [f32; L] = xs[at + c0..at + c0 + L].try_into().expect("L values");
            acc = match count {
                0 => row,
                _ if !P::MAX => core::array::from_fn(|l| acc[l] + row[l]),
                // Whole arrays, not element stores, keep `acc` in a register.
                // A NaN in `acc` stays, since nothing compares above it, and
                // a NaN `row` replaces it.
                _ => core::array::from_fn(|l| if row[l] > acc[l] || row[l].is_nan() { row[l] } else { acc[l] }),
            };
            count += 1;
        }
        let out: &mut [f32; L] = out.try_into().expect("L outputs");
        *out = match count {
            0 if P::MAX => [f32::NEG_INFINITY; L],
            0 => [0.0; L],
            _ if P::MAX => acc,
            n => acc.map(|a| a / n as f32),
        };
    }

    /// The gradient of a max pooling of the batch `x` (whose output was `y`)
    /// into `dx`: each output's `dy` goes to the first input of its
    /// window that equals it (the one the forward pass kept: the first
    /// largest, or the first NaN), found again here instead of remembered.
    ///
    /// Windows that do not overlap (no stride below its window) store each
    /// input's gradient once instead of adding it; windows that also tile
    /// the input exactly (Keras's default `MaxPooling2D(2)` on an even size)
    /// leave nothing to zero first.
    #[cfg(feature = "std")]
    #[inline(always)]
    fn unpool_max(&self, x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
        let g = &self.geometry;
        let disjoint = (0..2).all(|a| g.kernel[a] <= g.strides[a]);
        let tiles =
            (0..2).all(|a| g.pad[a] == 0 && g.kernel[a] == g.strides[a] && g.output[a] * g.kernel[a] == g.input[a]);
        if disjoint {
            self.unpool_max_with::<false>(x, y, dy, dx, !tiles)
        } else {
            self.unpool_max_with::<true>(x, y, dy, dx, true)
        }
    }

    /// [`Self::unpool_max`], each sample's `dx` zeroed first if `zero`; `ADD`
    /// when windows overlap (an input's gradient sums over its windows).
    #[cfg(feature = "std")]
    #[inline(always)]
    fn unpool_max_with<const ADD: bool>(&self, x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32], zero: bool) {
        let c = self.geometry.input[2];
        let samples = x.chunks_exact(I).zip(y.chunks_exact(O)).zip(dy.chunks_exact(O)).zip(dx.chunks_exact_mut(I));
        for (((xs, ys), gs), dxs) in samples {
            if zero {
                dxs.fill(0.0);
            }
            for (p, window) in self.windows().enumerate() {
                let o = p * c;
                let mut c0 = 0;
                while c0 + LANES <= c {
                    self.unblock::<LANES, ADD>(xs, &ys[o + c0..][..LANES], &gs[o + c0..][..LANES], dxs, &window, c0);
                    c0 += LANES;
                }
                while c0 < c {
                    self.unblock::<1, ADD>(xs, &ys[o + c0..][..1], &gs[o + c0..][..1], dxs, &window, c0);
                    c0 += 1;
                }
            }
        }
    }

    /// [`Self::unpool_max`] for channels `c0..c0 + L` of the output position
    /// of `window`.
    #[cfg(feature = "std")]
    #[inline(always)]
    fn unblock<const L: usize, const ADD: bool>(
        &self,
        xs: &[f32],
        ys: &[f32],
        gs: &[f32],
        dxs: &mut [f32],
        window: &Window,
        c0: usize,
    ) {
        let ys: [f32; L] = ys.try_into().expect("L outputs");
        // What is left to hand out: all of `dy` until the first match.
        let mut left: [f32; L] = gs.try_into().expect("L gradients");
        for at in self.offsets(window) {
            let row: [f32; L] = xs[at + c0..at + c0 + L].try_into().expect("L values");
            let dst: &mut [f32; L] = (&mut dxs[at + c0..at + c0 + L]).try_into().expect("L gradients");
            let hit = |l: usize| row[l] == ys[l] || row[l].is_nan() && ys[l].is_nan();
            // Adding 0 where it misses (dst is never -0: it starts at +0)
            // stores every lane: a conditional store becomes a masked
            // store, which AMD CPUs run many times slower.
            let share: [f32; L] = core::array::from_fn(|l| if hit(l) { left[l] } else { 0.0 });
            *dst = if ADD { core::array::from_fn(|l| dst[l] + share[l]) } else { share };
            left = core::array::from_fn(|l| if hit(l) { 0.0 } else { left[l] });
        }
    }

    /// The window of each output position in order, row by row (its rows
    /// and columns are worked out once per output row and column).
    #[inline(always)]
    fn windows(&self) -> impl Iterator<Item = Window> + '_ {
        let g = &self.geometry;
        let span = move |o: usize, a: usize| {
            let first = o * g.strides[a];
            let lo = first.max(g.pad[a]) - g.pad[a];
            let hi = (first + g.kernel[a]).min(g.input[a] + g.pad[a]).saturating_sub(g.pad[a]);
            lo..hi.max(lo)
        };
        (0..g.output[0]).flat_map(move |oy| (0..g.output[1]).map(move |ox| [span(oy, 0), span(ox, 1)]))
    }

    /// The offset within a sample of the channels of each input position of
    /// `window`, row by row.
    #[inline(always)]
    fn offsets(&self, window: &Window) -> impl Iterator<Item = usize> + Clone {
        let [w, c] = [self.geometry.input[1], self.geometry.input[2]];
        let [rows, cols] = window.clone();
        rows.flat_map(move |iy| cols.clone().map(move |ix| (iy * w + ix) * c))
    }

    /// [`Self::pool`] compiled for this CPU's best instruction set.
    fn pool_best(&self, x: &[f32], y: &mut [f32]) {
        dispatch_body(Pooled { layer: self, x, y })
    }

    /// [`Self::unpool_max`] compiled for this CPU's best instruction set.
    #[cfg(feature = "std")]
    fn unpool_max_best(&self, x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
        dispatch_body(Unpooled { layer: self, x, y, dy, dx })
    }
}

/// [`Pooling2D::pool`]'s loop, compiled per instruction set.
struct Pooled<'a, const I: usize, const O: usize, P> {
    layer: &'a Pooling2D<I, O, P>,
    x: &'a [f32],
    y: &'a mut [f32],
}

impl<const I: usize, const O: usize, P: Pool> Body for Pooled<'_, I, O, P> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.layer.pool(self.x, self.y)
    }
}

/// [`Pooling2D::unpool_max`]'s loop, compiled per instruction set.
#[cfg(feature = "std")]
struct Unpooled<'a, const I: usize, const O: usize, P> {
    layer: &'a Pooling2D<I, O, P>,
    x: &'a [f32],
    y: &'a [f32],
    dy: &'a [f32],
    dx: &'a mut [f32],
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, P: Pool> Body for Unpooled<'_, I, O, P> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.layer.unpool_max(self.x, self.y, self.dy, self.dx)
    }
}

/// The input rows and columns of an output position's window that fall
/// inside the input (the rest is padding).
type Window = [core::ops::Range<usize>; 2];

/// Channels pooled at once: one AVX-512 register.
const LANES: usize = 16;

impl<const I: usize, const O: usize, P: Pool> Layer for Pooling2D<I, O, P> {
    const IN: usize = I;
    const OUT: usize = O;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        self.pool_best(x, y);
    }
}

/// The training state of a pooling: none (a max pooling's backward pass
/// finds each window's largest input again from the input and the output).
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct PoolingState;

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, P: Pool> Train for Pooling2D<I, O, P> {
    type State = PoolingState;

    fn forward(&mut self, _: &mut PoolingState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        let n = x.len() / I;
        let ys = Parts::new(y);
        on_halves(n, &|r| {
            // SAFETY: the halves are disjoint sample ranges.
            let y = unsafe { ys.part(r.start * O..r.end * O) };
            self.pool_best(&x[r.start * I..r.end * I], y);
        });
    }

    fn backward(&mut self, _: &mut PoolingState, x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let Some(dx) = dx else { return };
        let dx = &mut dx[..x.len()];
        if P::MAX {
            // The two halves of the batch on the two threads (each sample's
            // dx zeroed there, while it is in cache).
            let n = x.len() / I;
            let dxs = Parts::new(dx);
            on_halves(n, &|r| {
                // SAFETY: the halves are disjoint sample ranges.
                let dx = unsafe { dxs.part(r.start * I..r.end * I) };
                let (i, o) = (r.start * I..r.end * I, r.start * O..r.end * O);
                self.unpool_max_best(&x[i], &y[o.clone()], &dy[o], dx);
            });
        } else {
            // Spread evenly over the window's real values.
            dx.fill(0.0);
            let c = self.geometry.input[2];
            for (dxs, gs) in dx.chunks_exact_mut(I).zip(dy.chunks_exact(O)) {
                for (p, window) in self.windows().enumerate() {
                    let n = self.offsets(&window).count().max(1) as f32;
                    let g = &gs[p * c..][..c];
                    for at in self.offsets(&window) {
                        dxs[at..at + c].iter_mut().zip(g).for_each(|(d, &g)| *d += g / n);
                    }
                }
            }
        }
    }
}
