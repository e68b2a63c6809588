//! Keras's `MaxPooling2D` and `AveragePooling2D` (channels last), and so the
//! global poolings (one window the size of the image): each output is the
//! largest, or the mean, of its window's values, with strides and
//! `valid`/`same` padding. Padding is never a value: a `same` average
//! divides by the real elements of its window, as Keras does.

use core::marker::PhantomData;

use super::conv2d::ConvGeometry;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
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
    pool: PhantomData<P>,
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

    /// Calls `each(output index, visit)` for every output of a batch of `n`
    /// samples; `visit(f)` calls `f` with the index (in the batch) of each
    /// real value of that output's window, as often as it is called.
    fn windows(&self, n: usize, mut each: impl FnMut(usize, &dyn Fn(&mut dyn FnMut(usize)))) {
        let g = &self.geometry;
        let [h, w, c] = g.input;
        let [kh, kw] = g.kernel;
        let [oh, ow] = g.output;
        let at =
            |o: usize, k: usize, a: usize, n: usize| (o * g.strides[a] + k).checked_sub(g.pad[a]).filter(|&i| i < n);
        for s in 0..n {
            for oy in 0..oh {
                for ox in 0..ow {
                    for ch in 0..c {
                        let visit = |f: &mut dyn FnMut(usize)| {
                            for ky in 0..kh {
                                let Some(iy) = at(oy, ky, 0, h) else { continue };
                                for kx in 0..kw {
                                    if let Some(ix) = at(ox, kx, 1, w) {
                                        f(s * I + (iy * w + ix) * c + ch);
                                    }
                                }
                            }
                        };
                        each(s * O + (oy * ow + ox) * c + ch, &visit);
                    }
                }
            }
        }
    }

    /// Each output of the batch `x` with, for a max, the index its value came from.
    fn pool(&self, x: &[f32], mut out: impl FnMut(usize, f32, Option<usize>)) {
        self.windows(x.len() / I, |o, visit| {
            if P::MAX {
                let mut best: Option<(f32, usize)> = None;
                visit(&mut |i| {
                    let v = x[i];
                    if best.is_none_or(|(b, _)| v > b || v.is_nan() && !b.is_nan()) {
                        best = Some((v, i));
                    }
                });
                out(o, best.map_or(f32::NEG_INFINITY, |b| b.0), best.map(|b| b.1));
            } else {
                let (mut sum, mut count) = (0.0f32, 0usize);
                visit(&mut |i| {
                    sum += x[i];
                    count += 1;
                });
                out(o, sum / count.max(1) as f32, None);
            }
        });
    }
}

impl<const I: usize, const O: usize, P: Pool> Layer for Pooling2D<I, O, P> {
    const IN: usize = I;
    const OUT: usize = O;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        self.pool(x, |o, v, _| y[o] = v);
    }
}

/// Which input each output of a max pooling came from, for the backward pass.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct PoolingState {
    from: Vec<Option<usize>>,
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize, P: Pool> Train for Pooling2D<I, O, P> {
    type State = PoolingState;

    fn forward(&mut self, st: &mut PoolingState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        if st.from.len() < y.len() {
            st.from.resize(y.len(), None);
        }
        let from = &mut st.from;
        self.pool(x, |o, v, i| {
            y[o] = v;
            from[o] = i;
        });
    }

    fn backward(&mut self, st: &mut PoolingState, x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let Some(dx) = dx else { return };
        let dx = &mut dx[..x.len()];
        dx.fill(0.0);
        if P::MAX {
            // Each output's gradient goes to the input it came from.
            for (i, &g) in st.from.iter().zip(dy) {
                if let Some(i) = *i {
                    dx[i] += g;
                }
            }
        } else {
            // Spread evenly over the window's real values.
            self.windows(x.len() / I, |o, visit| {
                let mut count = 0usize;
                visit(&mut |_| count += 1);
                let share = dy[o] / count.max(1) as f32;
                visit(&mut |i| dx[i] += share);
            });
        }
    }
}
