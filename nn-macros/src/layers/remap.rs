//! Keras's `ZeroPadding2D(padding)`, `Cropping2D(cropping)` and
//! `UpSampling2D(size)` (nearest), channels last: layers that move pixels,
//! one runtime index map (`nn::layers::Remap2D`).

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
pub struct Remap2D {
    names: &'static [&'static str],
    auto_name: &'static str,
    op: Op,
}

/// Keras's `ZeroPadding2D`.
pub const ZERO_PADDING_2D: Remap2D = Remap2D { names: &["ZeroPadding2D"], auto_name: "zero_padding2d", op: Op::Pad };
/// Keras's `Cropping2D`.
pub const CROPPING_2D: Remap2D = Remap2D { names: &["Cropping2D"], auto_name: "cropping2d", op: Op::Crop };
/// Keras's `UpSampling2D` (nearest).
pub const UP_SAMPLING_2D: Remap2D = Remap2D { names: &["UpSampling2D"], auto_name: "up_sampling2d", op: Op::Up };

impl Kind for Remap2D {
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
        match self.op {
            Op::Pad => PAD,
            Op::Crop => CROP,
            Op::Up => UP,
        }
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        let margins = match self.op {
            Op::Pad => args.margins("padding", [1; 4]),
            Op::Crop => args.margins("cropping", [0; 4]),
            Op::Up => {
                let [r, c] = args.pair("size", [2, 2]);
                [r, r, c, c]
            }
        };
        Box::new(Map { op: self.op, margins, shape: std::cell::OnceCell::new() })
    }
}

/// The map with its sizes: top, bottom, left, right (for `Up`, the repeats twice).
struct Map {
    op: Op,
    margins: [u64; 4],
    /// `[h, w, c]` in and `[oh, ow]` out, once known.
    shape: std::cell::OnceCell<([u64; 3], [u64; 2])>,
}

impl Spec for Map {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let kind = decl.kind.to_string();
        let dims: Option<Vec<u64>> = input.iter().map(|d| if let Dim::Lit(n) = d { Some(*n) } else { None }).collect();
        let Some([h, w, c]) = dims.as_deref().and_then(|d| <[u64; 3]>::try_from(d).ok()) else {
            cx.error(
                decl.kind.span(),
                format!(
                    "layer `{name}` (`{kind}`) takes images (None, height, width, channels) with sizes as numbers, but the layer before it outputs {}; add a `Reshape[h, w, c]`",
                    show_shape(input)
                ),
            );
            return input.to_vec();
        };
        let [t, b, l, r] = self.margins;
        let (oh, ow) = match self.op {
            Op::Pad => (h + t + b, w + l + r),
            Op::Up => (h * t, w * l),
            Op::Crop => {
                if t + b >= h || l + r >= w {
                    cx.error(
                        decl.kind.span(),
                        format!("layer `{name}` (`{kind}`) crops {t} + {b} rows and {l} + {r} columns of a {h}×{w} image, which leaves nothing; crop less"),
                    );
                    return input.to_vec();
                }
                (h - t - b, w - l - r)
            }
        };
        let _ = self.shape.set(([h, w, c], [oh, ow]));
        vec![Dim::Lit(oh), Dim::Lit(ow), Dim::Lit(c)]
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
