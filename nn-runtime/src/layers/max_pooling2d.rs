//! Keras's `MaxPooling2D` (channels last): the largest value of each window,
//! with strides and `valid`/`same` padding (padding never wins: it is not a value).

use super::conv2d::ConvGeometry;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use crate::Rng;

/// Max pooling from `I` to `O` values per sample; the window, strides and
/// padding are a [`ConvGeometry`] whose `filters` equal the channels.
#[derive(Debug, Clone, Copy)]
pub struct MaxPooling2D<const I: usize, const O: usize> {
    /// Where the windows read.
    pub geometry: ConvGeometry,
}

impl<const I: usize, const O: usize> MaxPooling2D<I, O> {
    /// The layer over windows of `geometry`.
    pub const fn new(geometry: ConvGeometry) -> Self {
        MaxPooling2D { geometry }
    }

    /// Calls `each(output index, value, input index)` for every output of
    /// the batch `x` (no input index, and `-inf`, for a window wholly in the
    /// padding, which Keras's sizes never make).
    fn pool(&self, x: &[f32], mut each: impl FnMut(usize, f32, Option<usize>)) {
        let g = &self.geometry;
        let [h, w, c] = g.input;
        let [kh, kw] = g.kernel;
        let [oh, ow] = g.output;
        let n = x.len() / I;
        for s in 0..n {
            let xs = &x[s * I..][..I];
            for oy in 0..oh {
                for ox in 0..ow {
                    for ch in 0..c {
                        let (mut best, mut at) = (f32::NEG_INFINITY, usize::MAX);
                        for ky in 0..kh {
                            let Some(iy) = (oy * g.strides[0] + ky).checked_sub(g.pad[0]).filter(|&i| i < h) else {
                                continue;
                            };
                            for kx in 0..kw {
                                let Some(ix) = (ox * g.strides[1] + kx).checked_sub(g.pad[1]).filter(|&i| i < w) else {
                                    continue;
                                };
                                let i = (iy * w + ix) * c + ch;
                                let v = xs[i];
                                // NaN wins, as Keras's max propagates it.
                                if v > best || v.is_nan() && !best.is_nan() || at == usize::MAX {
                                    (best, at) = (v, i);
                                }
                            }
                        }
                        let from = (at != usize::MAX).then(|| s * I + at);
                        each(s * O + (oy * ow + ox) * c + ch, best, from);
                    }
                }
            }
        }
    }
}

impl<const I: usize, const O: usize> Layer for MaxPooling2D<I, O> {
    const IN: usize = I;
    const OUT: usize = O;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        self.pool(x, |o, v, _| y[o] = v);
    }
}

/// Which input each output came from, for the backward pass.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct MaxPoolingState {
    from: Vec<Option<usize>>,
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize> Train for MaxPooling2D<I, O> {
    type State = MaxPoolingState;

    fn forward(&mut self, st: &mut MaxPoolingState, x: &[f32], y: &mut [f32], _: &mut Rng) {
        if st.from.len() < y.len() {
            st.from.resize(y.len(), None);
        }
        let from = &mut st.from;
        self.pool(x, |o, v, i| {
            y[o] = v;
            from[o] = i;
        });
    }

    fn backward(&mut self, st: &mut MaxPoolingState, x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            let dx = &mut dx[..x.len()];
            dx.fill(0.0);
            for (i, &g) in st.from.iter().zip(dy) {
                if let Some(i) = *i {
                    dx[i] += g;
                }
            }
        }
    }
}
