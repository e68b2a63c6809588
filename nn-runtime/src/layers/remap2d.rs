//! Keras's `ZeroPadding2D`, `Cropping2D` and `UpSampling2D` (nearest),
//! channels last: each output pixel is one input pixel (or a zero), so the
//! three are one index map; the backward pass adds each output's gradient
//! to the pixel it came from.

use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use crate::Rng;

/// Where an output pixel comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remap {
    /// `ZeroPadding2D`: zeros above (`top` rows) and left (`left` columns).
    Pad {
        /// Rows above.
        top: usize,
        /// Columns left.
        left: usize,
    },
    /// `Cropping2D`: `top` rows and `left` columns removed.
    Crop {
        /// Rows removed above.
        top: usize,
        /// Columns removed left.
        left: usize,
    },
    /// `UpSampling2D`: each pixel repeated `rows` × `cols` times.
    Repeat {
        /// Repeats along the height.
        rows: usize,
        /// Repeats along the width.
        cols: usize,
    },
}

/// An index map from `I` to `O` values per sample: input `[h, w, c]`,
/// output `[oh, ow, c]`.
#[derive(Debug, Clone, Copy)]
pub struct Remap2D<const I: usize, const O: usize> {
    /// Input height, width and channels.
    pub input: [usize; 3],
    /// Output height and width.
    pub output: [usize; 2],
    /// The map.
    pub map: Remap,
}

impl<const I: usize, const O: usize> Remap2D<I, O> {
    /// The layer mapping `input` to `output` by `map`.
    pub const fn new(input: [usize; 3], output: [usize; 2], map: Remap) -> Self {
        Remap2D { input, output, map }
    }

    /// The input pixel of output pixel `(oy, ox)`, if any (a zero of the padding).
    #[inline]
    fn source(&self, oy: usize, ox: usize) -> Option<(usize, usize)> {
        let [h, w, _] = self.input;
        let (iy, ix) = match self.map {
            Remap::Pad { top, left } => (oy.checked_sub(top)?, ox.checked_sub(left)?),
            Remap::Crop { top, left } => (oy + top, ox + left),
            Remap::Repeat { rows, cols } => (oy / rows, ox / cols),
        };
        (iy < h && ix < w).then_some((iy, ix))
    }

    /// Calls `f(output offset, input offset)` for every pixel of every sample
    /// of a batch of `n` (the input offset `None` for padding).
    fn each(&self, n: usize, mut f: impl FnMut(usize, Option<usize>)) {
        let [_, w, c] = self.input;
        let [oh, ow] = self.output;
        for s in 0..n {
            for oy in 0..oh {
                for ox in 0..ow {
                    let from = self.source(oy, ox).map(|(iy, ix)| s * I + (iy * w + ix) * c);
                    f(s * O + (oy * ow + ox) * c, from);
                }
            }
        }
    }
}

impl<const I: usize, const O: usize> Layer for Remap2D<I, O> {
    const IN: usize = I;
    const OUT: usize = O;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        let c = self.input[2];
        self.each(x.len() / I, |o, i| match i {
            Some(i) => y[o..o + c].copy_from_slice(&x[i..i + c]),
            None => y[o..o + c].fill(0.0),
        });
    }
}

#[cfg(feature = "std")]
impl<const I: usize, const O: usize> Train for Remap2D<I, O> {
    type State = ();

    fn forward(&mut self, _: &mut (), x: &[f32], y: &mut [f32], _: &mut Rng) {
        self.infer(x, y, &mut []);
    }

    fn backward(&mut self, _: &mut (), x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let Some(dx) = dx else { return };
        let dx = &mut dx[..x.len()];
        dx.fill(0.0);
        let c = self.input[2];
        self.each(x.len() / I, |o, i| {
            if let Some(i) = i {
                dx[i..i + c].iter_mut().zip(&dy[o..o + c]).for_each(|(d, g)| *d += g);
            }
        });
    }
}
