//! What the windowed layers (Conv1D, Conv2D, DepthwiseConv2D,
//! SeparableConv2D, Conv2DTranspose, the poolings) share: Keras's
//! output size for `valid` and `same` padding (TF's split: the odd padding
//! row or column goes below/right) and Conv1D's `causal` (all of it on the
//! left), the input-rank check with its fix, and the runtime `ConvGeometry`
//! they are built over. A 1-D window is a 2-D one of height 1 on a sequence
//! seen as a `(1, steps, channels)` image.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;
use crate::dims::{show_shape, Dim};
use crate::parse::LayerDecl;

/// A window's sizes on the two spatial axes (height 1 for a 1-D layer).
#[derive(Clone, Copy)]
pub(super) struct Window {
    /// Whether it slides along a sequence `(steps, channels)` (else an image).
    pub one_d: bool,
    /// Kernel or pool size.
    pub size: [u64; 2],
    /// Strides.
    pub strides: [u64; 2],
    /// Dilation rates.
    pub dilation: [u64; 2],
    /// `valid`, `same` or (1-D) `causal`.
    pub padding: &'static str,
}

/// A window placed on an input: every size the runtime needs.
pub(super) struct Placed {
    /// Whether the input is a sequence (`h` is then 1).
    pub one_d: bool,
    /// `[h, w, c]`.
    pub input: [u64; 3],
    /// Zero rows above and columns left of the input.
    pub pad: [u64; 2],
    /// `[oh, ow]`.
    pub output: [u64; 2],
}

impl Window {
    /// A 2-D window.
    pub fn two(size: [u64; 2], strides: [u64; 2], dilation: [u64; 2], padding: &'static str) -> Self {
        Window { one_d: false, size, strides, dilation, padding }
    }
    /// A 1-D window: height 1 on a sequence.
    pub fn one(size: u64, strides: u64, dilation: u64, padding: &'static str) -> Self {
        Window { one_d: true, size: [1, size], strides: [1, strides], dilation: [1, dilation], padding }
    }

    /// The window on `input` (which must be `(None, H, W, C)`, or `(None,
    /// steps, C)` for a 1-D window, with literal sizes), with Keras's output
    /// sizes; `None` after a mistake (reported).
    pub fn place(&self, input: &[Dim], decl: &LayerDecl, name: &str, what: &str, cx: &mut Ctxt) -> Option<Placed> {
        let kind = decl.kind.to_string();
        let span = decl.kind.span();
        let [h, w, c] = spatial(input, self.one_d, decl, name, cx)?;
        if !self.strides_fit_dilation(decl, name, cx) {
            return None;
        }
        let mut pad = [0; 2];
        let mut output = [0; 2];
        for a in 0..2 {
            let n = [h, w][a];
            let reach = self.reach(a);
            match self.padding {
                "valid" => {
                    if reach > n {
                        let dilated =
                            if self.dilation != [1, 1] { format!(" (dilated to {reach})") } else { String::new() };
                        let msg = if self.one_d {
                            format!(
                                "layer `{name}` (`{kind}`): the {what} {}{dilated} is longer than its input of {w} steps with `valid` padding; use a smaller {what} or `padding = same`",
                                self.size[1]
                            )
                        } else {
                            format!(
                                "layer `{name}` (`{kind}`): the {what} {}×{}{dilated} is larger than its input {h}×{w} with `valid` padding; use a smaller {what} or `padding = same`",
                                self.size[0], self.size[1]
                            )
                        };
                        cx.error(span, msg);
                        return None;
                    }
                    output[a] = (n - reach) / self.strides[a] + 1;
                }
                // Keras pads `dilation · (kernel − 1)` zeros on the left only, then convolves `valid`.
                "causal" => {
                    pad[a] = reach - 1;
                    output[a] = n.saturating_sub(1) / self.strides[a] + 1;
                }
                _ => {
                    output[a] = n.div_ceil(self.strides[a]);
                    let total = ((output[a] - 1) * self.strides[a] + reach).saturating_sub(n);
                    pad[a] = total / 2;
                }
            }
        }
        Some(Placed { one_d: self.one_d, input: [h, w, c], pad, output })
    }
}

impl Window {
    /// Reports strides above 1 together with a dilation above 1 (Keras refuses
    /// them) at the layer; whether they fit.
    pub fn strides_fit_dilation(&self, decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> bool {
        if (0..2).any(|a| self.strides[a] > 1) && (0..2).any(|a| self.dilation[a] > 1) {
            let kind = decl.kind.to_string();
            cx.error(decl.kind.span(), format!("layer `{name}` (`{kind}`): strides above 1 cannot go with a dilation_rate above 1 (Keras refuses it); keep one"));
            return false;
        }
        true
    }

    /// The kernel's reach on axis `a`: `dilation · (size − 1) + 1`.
    pub fn reach(&self, a: usize) -> u64 {
        self.dilation[a] * (self.size[a] - 1) + 1
    }
}

/// `[h, w, c]` of an image input `(None, H, W, C)` with literal sizes, or
/// `None` after reporting at the layer what it is instead, with the fix.
pub(super) fn image(input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Option<[u64; 3]> {
    spatial(input, false, decl, name, cx)
}

/// `[h, w, c]` of an image, or `[1, steps, c]` of a sequence when `one_d`,
/// with literal sizes; `None` after reporting at the layer what it is
/// instead, with the fix.
fn spatial(input: &[Dim], one_d: bool, decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Option<[u64; 3]> {
    let kind = decl.kind.to_string();
    let span = decl.kind.span();
    let dims: Option<Vec<u64>> = input.iter().map(|d| if let Dim::Lit(n) = d { Some(*n) } else { None }).collect();
    let Some(dims) = dims else {
        let rank = if one_d { "1-D" } else { "2-D" };
        cx.error(span, format!("layer `{name}` (`{kind}`): sizes given by const items are not supported by {rank} layers yet; write the input's sizes as numbers"));
        return None;
    };
    let [h, w, c] = match (one_d, &dims[..]) {
        (true, &[n, c]) => [1, n, c],
        (false, &[h, w, c]) => [h, w, c],
        (true, _) => {
            let fix = match dims[..] {
                [n] => format!("`Input[{n}, 1]` or `Reshape[{n}, 1]` before it"),
                [h, w, c] => match h.checked_mul(w) {
                    Some(n) => format!(
                        "`Reshape[{n}, {c}]` before it to make a sequence of its pixels, or use `{}` on the image",
                        kind.replace("1D", "2D")
                    ),
                    None => "a `Reshape[steps, channels]` before it".to_string(),
                },
                _ => "a `Reshape[steps, channels]` before it".to_string(),
            };
            cx.error(
                span,
                format!(
                    "layer `{name}` (`{kind}`) takes sequences (None, steps, channels), but the layer before it outputs {}; write {fix}",
                    show_shape(input)
                ),
            );
            return None;
        }
        (false, _) => {
            let fix = match dims.len() {
                2 => {
                    format!("`Input[{}, {}, 1]` or `Reshape[{}, {}, 1]` before it", dims[0], dims[1], dims[0], dims[1])
                }
                1 => format!("`Reshape[h, w, c]` before it (h · w · c = {})", dims[0]),
                _ => "a `Reshape[h, w, c]` before it".to_string(),
            };
            cx.error(
                span,
                format!(
                    "layer `{name}` (`{kind}`) takes images (None, height, width, channels), but the layer before it outputs {}; write {fix}",
                    show_shape(input)
                ),
            );
            return None;
        }
    };
    Some([h, w, c])
}

impl Placed {
    /// The output shape with `channels` on the last axis: `(steps, c)` or `(h, w, c)`.
    pub fn shape(&self, channels: u64) -> Vec<Dim> {
        let [oh, ow] = self.output;
        match self.one_d {
            true => vec![Dim::Lit(ow), Dim::Lit(channels)],
            false => vec![Dim::Lit(oh), Dim::Lit(ow), Dim::Lit(channels)],
        }
    }

    /// The kernel's spatial sizes as Keras shapes them: `[k]` or `[kh, kw]`.
    pub fn kernel(&self, w: &Window) -> Vec<u64> {
        match self.one_d {
            true => vec![w.size[1]],
            false => w.size.to_vec(),
        }
    }

    /// The runtime `ConvGeometry` expression for `filters` output channels.
    pub fn geometry(&self, w: &Window, filters: u64) -> TokenStream {
        let u = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
        let arr = |a: &[u64]| {
            let a = a.iter().map(|&v| u(v));
            quote!([#(#a),*])
        };
        let (input, k, s, d, p, o) =
            (arr(&self.input), arr(&w.size), arr(&w.strides), arr(&w.dilation), arr(&self.pad), arr(&self.output));
        let f = u(filters);
        quote!(::nn::layers::ConvGeometry::new(#input, #f, #k, #s, #d, #p, #o))
    }
}
