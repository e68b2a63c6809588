//! Keras's `ZeroPadding1D/2D(padding)`, `Cropping1D/2D(cropping)` and
//! `UpSampling1D/2D(size)` (nearest), channels last: layers that move steps
//! or pixels, one runtime index map (`nn::layers::Remap2D`; a sequence is an
//! image of height 1).

use proc_macro2::TokenStream;
use quote::quote;

use super::window::spatial;
use super::{Io, Kind, Spec};
use crate::args::{positional, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::{product, Dim};
use crate::parse::LayerDecl;
use crate::sizes;

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
        let (zero, one) = (Dim::Lit(0), Dim::Lit(1));
        // A sequence's margins are an image's left and right ones (height 1).
        let margins = match (self.op, self.one_d) {
            (Op::Pad, false) => args.margins("padding", [1; 4]),
            (Op::Crop, false) => args.margins("cropping", [0; 4]),
            (Op::Up, false) => {
                let [r, c] = args.pair("size", [2, 2]);
                [r.clone(), r, c.clone(), c]
            }
            (Op::Pad, true) => {
                let [l, r] = args.sides("padding", [1, 1]);
                [zero.clone(), zero, l, r]
            }
            (Op::Crop, true) => {
                let [l, r] = args.sides("cropping", [1, 1]);
                [zero.clone(), zero, l, r]
            }
            (Op::Up, true) => {
                let n = args.single("size", 2);
                [one.clone(), one, n.clone(), n]
            }
        };
        Box::new(Map { op: self.op, one_d: self.one_d, margins, shape: std::cell::OnceCell::new() })
    }
}

/// The map with its sizes: top, bottom, left, right (for `Up`, the repeats twice).
struct Map {
    op: Op,
    one_d: bool,
    margins: [Dim; 4],
    /// `[h, w, c]` in and `[oh, ow]` out, once known.
    shape: std::cell::OnceCell<([Dim; 3], [Dim; 2])>,
}

impl Spec for Map {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let kind = decl.kind.to_string();
        let Some([h, w, c]) = spatial(input, self.one_d, decl, name, cx) else { return input.to_vec() };
        let [t, b, l, r] = &self.margins;
        let (oh, ow) = match self.op {
            Op::Pad => (sizes::zero_padded(&h, t, b), sizes::zero_padded(&w, l, r)),
            Op::Up => (sizes::up_sampled(&h, t), sizes::up_sampled(&w, l)),
            Op::Crop => {
                let leaves = sizes::crop_leaves(&h, t, b).and(sizes::crop_leaves(&w, l, r));
                let ok = cx.require(leaves, decl.kind.span(), || match self.one_d {
                    true => format!("layer `{name}` (`{kind}`) crops {} + {} steps of a sequence of {}, which leaves nothing; crop less", l.op(), r.op(), w.show()),
                    false => format!("layer `{name}` (`{kind}`) crops {} + {} rows and {} + {} columns of a {}×{} image, which leaves nothing; crop less", t.op(), b.op(), l.op(), r.op(), h.op(), w.op()),
                });
                if !ok {
                    return input.to_vec();
                }
                (sizes::cropped(&h, t, b), sizes::cropped(&w, l, r))
            }
        };
        // The literal formulas saturate: a size at the top is one that overflowed.
        if [&oh, &ow].iter().any(|d| d.is(u64::MAX)) {
            cx.error(
                decl.kind.span(),
                format!("layer `{name}` (`{kind}`): the output size overflows; use smaller sizes"),
            );
            return input.to_vec();
        }
        let _ = self.shape.set(([h, w, c.clone()], [oh.clone(), ow.clone()]));
        match self.one_d {
            true => vec![ow, c],
            false => vec![oh, ow, c],
        }
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let ([_, _, c], [oh, ow]) = self.shape.get().expect("the shape is checked before the layer expands");
        let (i, o) = (io.width_in(), product(&[oh.clone(), ow.clone(), c.clone()]).tokens());
        quote!(::nn::layers::Remap2D<{ #i }, { #o }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let ([h, w, c], [oh, ow]) = self.shape.get().expect("the shape is checked before the layer expands");
        let [h, w, c, oh, ow] = [h, w, c, oh, ow].map(Dim::tokens);
        let (t, l) = (self.margins[0].tokens(), self.margins[2].tokens());
        let map = match self.op {
            Op::Pad => quote!(::nn::layers::Remap::Pad { top: #t, left: #l }),
            Op::Crop => quote!(::nn::layers::Remap::Crop { top: #t, left: #l }),
            Op::Up => quote!(::nn::layers::Remap::Repeat { rows: #t, cols: #l }),
        };
        quote!(::nn::layers::Remap2D::new([#h, #w, #c], [#oh, #ow], #map))
    }
}
