//! Keras's `ZeroPadding1D/2D(padding)`, `Cropping1D/2D(cropping)` and
//! `UpSampling1D/2D(size)` (nearest), channels last: layers that move steps
//! or pixels, one runtime index map (`nn::layers::Remap2D`; a sequence is an
//! image of height 1).

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Spec};
use crate::args::{positional, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::{show_shape, Dim};
use crate::parse::LayerDecl;

/// Which of the three.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Pad,
    Crop,
    Up,
}

/// One of Keras's pixel-moving layers.
pub struct Remap {
    names: &'static [&'static str],
    auto_name: &'static str,
    op: Op,
    /// Whether it acts on a sequence `(steps, channels)` (else an image).
    one_d: bool,
}

/// Keras's `ZeroPadding2D`.
pub const ZERO_PADDING_2D: Remap =
    Remap { names: &["ZeroPadding2D"], auto_name: "zero_padding2d", op: Op::Pad, one_d: false };
/// Keras's `Cropping2D`.
pub const CROPPING_2D: Remap = Remap { names: &["Cropping2D"], auto_name: "cropping2d", op: Op::Crop, one_d: false };
/// Keras's `UpSampling2D` (nearest).
pub const UP_SAMPLING_2D: Remap =
    Remap { names: &["UpSampling2D"], auto_name: "up_sampling2d", op: Op::Up, one_d: false };
/// Keras's `ZeroPadding1D` (`padding` 1: one zero step on each side).
pub const ZERO_PADDING_1D: Remap =
    Remap { names: &["ZeroPadding1D"], auto_name: "zero_padding1d", op: Op::Pad, one_d: true };
/// Keras's `Cropping1D` (`cropping` `(1, 1)`).
pub const CROPPING_1D: Remap = Remap { names: &["Cropping1D"], auto_name: "cropping1d", op: Op::Crop, one_d: true };
/// Keras's `UpSampling1D` (`size` 2: each step repeated).
pub const UP_SAMPLING_1D: Remap =
    Remap { names: &["UpSampling1D"], auto_name: "up_sampling1d", op: Op::Up, one_d: true };

impl Kind for Remap {
    fn names(&self) -> &'static [&'static str] {
        self.names
    }
    fn class(&self) -> &'static str {
        self.names[0]
    }
    fn auto_name(&self) -> &'static str {
        self.auto_name
    }
    fn args(&self) -> &'static [ArgSpec] {
        const PAD: &[ArgSpec] = &[positional("padding", Ty::Margins)];
        const CROP: &[ArgSpec] = &[positional("cropping", Ty::Margins)];
        const UP: &[ArgSpec] = &[positional("size", Ty::Pair)];
        const PAD_1D: &[ArgSpec] = &[positional("padding", Ty::Sides)];
        const CROP_1D: &[ArgSpec] = &[positional("cropping", Ty::Sides)];
        const UP_1D: &[ArgSpec] = &[positional("size", Ty::Int)];
        match (self.op, self.one_d) {
            (Op::Pad, false) => PAD,
            (Op::Crop, false) => CROP,
            (Op::Up, false) => UP,
            (Op::Pad, true) => PAD_1D,
            (Op::Crop, true) => CROP_1D,
            (Op::Up, true) => UP_1D,
        }
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        // A sequence's margins are an image's left and right ones (height 1).
        let margins = match (self.op, self.one_d) {
            (Op::Pad, false) => args.margins("padding", [1; 4]),
            (Op::Crop, false) => args.margins("cropping", [0; 4]),
            (Op::Up, false) => {
                let [r, c] = args.pair("size", [2, 2]);
                [r, r, c, c]
            }
            (Op::Pad, true) => {
                let [l, r] = args.sides("padding", [1, 1]);
                [0, 0, l, r]
            }
            (Op::Crop, true) => {
                let [l, r] = args.sides("cropping", [1, 1]);
                [0, 0, l, r]
            }
            (Op::Up, true) => {
                let n = args.single("size", 2);
                [1, 1, n, n]
            }
        };
        Box::new(Map { op: self.op, one_d: self.one_d, margins, shape: std::cell::OnceCell::new() })
    }
}

/// The map with its sizes: top, bottom, left, right (for `Up`, the repeats twice).
struct Map {
    op: Op,
    one_d: bool,
    margins: [u64; 4],
    /// `[h, w, c]` in and `[oh, ow]` out, once known.
    shape: std::cell::OnceCell<([u64; 3], [u64; 2])>,
}

impl Spec for Map {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let kind = decl.kind.to_string();
        let dims: Option<Vec<u64>> = input.iter().map(|d| if let Dim::Lit(n) = d { Some(*n) } else { None }).collect();
        let shape = match (self.one_d, dims.as_deref()) {
            (false, Some(&[h, w, c])) => Some([h, w, c]),
            (true, Some(&[n, c])) => Some([1, n, c]),
            _ => None,
        };
        let Some([h, w, c]) = shape else {
            let what = match self.one_d {
                true => {
                    let fix = match dims.as_deref() {
                        Some(&[n]) => format!("`Input[{n}, 1]` or `Reshape[{n}, 1]` before it"),
                        _ => "a `Reshape[steps, channels]` before it".to_string(),
                    };
                    format!("sequences (None, steps, channels) with sizes as numbers, but the layer before it outputs {}; write {fix}", show_shape(input))
                }
                false => format!(
                    "images (None, height, width, channels) with sizes as numbers, but the layer before it outputs {}; add a `Reshape[h, w, c]`",
                    show_shape(input)
                ),
            };
            cx.error(decl.kind.span(), format!("layer `{name}` (`{kind}`) takes {what}"));
            return input.to_vec();
        };
        let [t, b, l, r] = self.margins;
        let grown = |n: u64, a: u64, b: u64| n.checked_add(a).and_then(|n| n.checked_add(b));
        let (oh, ow) = match self.op {
            Op::Pad => (grown(h, t, b), grown(w, l, r)),
            Op::Up => (h.checked_mul(t), w.checked_mul(l)),
            Op::Crop => {
                if t.saturating_add(b) >= h || l.saturating_add(r) >= w {
                    let msg = match self.one_d {
                        true => format!("layer `{name}` (`{kind}`) crops {l} + {r} steps of a sequence of {w}, which leaves nothing; crop less"),
                        false => format!("layer `{name}` (`{kind}`) crops {t} + {b} rows and {l} + {r} columns of a {h}×{w} image, which leaves nothing; crop less"),
                    };
                    cx.error(decl.kind.span(), msg);
                    return input.to_vec();
                }
                (Some(h - t - b), Some(w - l - r))
            }
        };
        let (Some(oh), Some(ow)) = (oh, ow) else {
            cx.error(
                decl.kind.span(),
                format!("layer `{name}` (`{kind}`): the output size overflows; use smaller sizes"),
            );
            return input.to_vec();
        };
        let _ = self.shape.set(([h, w, c], [oh, ow]));
        match self.one_d {
            true => vec![Dim::Lit(ow), Dim::Lit(c)],
            false => vec![Dim::Lit(oh), Dim::Lit(ow), Dim::Lit(c)],
        }
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let ([_, _, c], [oh, ow]) = *self.shape.get().expect("the shape is checked before the layer expands");
        let (i, o) = (io.width_in(), proc_macro2::Literal::u64_unsuffixed(oh * ow * c));
        quote!(::nn::layers::Remap2D<{ #i }, { #o }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let ([h, w, c], [oh, ow]) = *self.shape.get().expect("the shape is checked before the layer expands");
        let u = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
        let (h, w, c, oh, ow) = (u(h), u(w), u(c), u(oh), u(ow));
        let [t, _, l, _] = self.margins.map(u);
        let map = match self.op {
            Op::Pad => quote!(::nn::layers::Remap::Pad { top: #t, left: #l }),
            Op::Crop => quote!(::nn::layers::Remap::Crop { top: #t, left: #l }),
            Op::Up => quote!(::nn::layers::Remap::Repeat { rows: #t, cols: #l }),
        };
        quote!(::nn::layers::Remap2D::new([#h, #w, #c], [#oh, #ow], #map))
    }
}
