//! What the windowed layers (Conv1D, Conv2D, DepthwiseConv2D,
//! SeparableConv2D, Conv2DTranspose, the poolings) share: Keras's
//! output size for `valid` and `same` padding (TF's split: the odd padding
//! row or column goes below/right) and Conv1D's `causal` (all of it on the
//! left), the input-rank check with its fix, and the runtime `ConvGeometry`
//! they are built over. A 1-D window is a 2-D one of height 1 on a sequence
//! seen as a `(1, steps, channels)` image. Sizes are [`Dim`]s: a const item
//! may give any of them, and the formulas and checks of
//! [`crate::sizes`] then leave them to the compiler.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;
use crate::dims::{product, show_shape, Dim};
use crate::parse::LayerDecl;
use crate::sizes::{self, Check};

/// A window's sizes on the two spatial axes (height 1 for a 1-D layer).
#[derive(Clone)]
pub(super) struct Window {
    /// Whether it slides along a sequence `(steps, channels)` (else an image).
    pub one_d: bool,
    /// Kernel or pool size.
    pub size: [Dim; 2],
    /// Strides.
    pub strides: [Dim; 2],
    /// Dilation rates.
    pub dilation: [Dim; 2],
    /// `valid`, `same` or (1-D) `causal`.
    pub padding: &'static str,
}

/// A window placed on an input: every size the runtime needs.
pub(super) struct Placed {
    /// Whether the input is a sequence (`h` is then 1).
    pub one_d: bool,
    /// `[h, w, c]`.
    pub input: [Dim; 3],
    /// Zero rows above and columns left of the input.
    pub pad: [Dim; 2],
    /// `[oh, ow]`.
    pub output: [Dim; 2],
}

impl Window {
    /// A 2-D window.
    pub fn two(size: [Dim; 2], strides: [Dim; 2], dilation: [Dim; 2], padding: &'static str) -> Self {
        Window { one_d: false, size, strides, dilation, padding }
    }
    /// A 1-D window: height 1 on a sequence.
    pub fn one(size: Dim, strides: Dim, dilation: Dim, padding: &'static str) -> Self {
        let one = Dim::Lit(1);
        Window {
            one_d: true,
            size: [one.clone(), size],
            strides: [one.clone(), strides],
            dilation: [one, dilation],
            padding,
        }
    }

    /// The window on `input` (which must be `(None, H, W, C)`, or `(None,
    /// steps, C)` for a 1-D window), with Keras's output sizes; `None` after
    /// a mistake (reported).
    pub fn place(&self, input: &[Dim], decl: &LayerDecl, name: &str, what: &str, cx: &mut Ctxt) -> Option<Placed> {
        let [h, w, c] = spatial(input, self.one_d, decl, name, cx)?;
        if !self.strides_fit_dilation(decl, name, cx) {
            return None;
        }
        if self.padding == "valid" && !self.fits(&[h.clone(), w.clone()], decl, name, what, cx) {
            return None;
        }
        let placed = |a: usize, n: &Dim| {
            let (k, s, d) = (&self.size[a], &self.strides[a], &self.dilation[a]);
            match self.padding {
                "valid" => (Dim::Lit(0), sizes::valid(n, k, s, d)),
                // Keras pads `dilation · (kernel − 1)` zeros on the left only, then convolves `valid`.
                "causal" => (sizes::causal_pad(k, d), sizes::causal(n, s)),
                _ => (sizes::same_pad(n, k, s, d), sizes::same(n, s)),
            }
        };
        let ((ph, oh), (pw, ow)) = (placed(0, &h), placed(1, &w));
        Some(Placed { one_d: self.one_d, input: [h, w, c], pad: [ph, pw], output: [oh, ow] })
    }

    /// Requires the window to fit in the input `[h, w]` with `valid`
    /// padding (reported at the layer); whether it may.
    fn fits(&self, input: &[Dim; 2], decl: &LayerDecl, name: &str, what: &str, cx: &mut Ctxt) -> bool {
        let kind = decl.kind.to_string();
        let reach = [0, 1].map(|a| sizes::reach(&self.size[a], &self.dilation[a]));
        let checks = [0, 1].map(|a| sizes::le(&reach[a], &input[a]));
        // The axis a literal error names: the first that fails, else the width.
        let a = checks.iter().position(Check::fails).unwrap_or(1);
        let [h, w] = input.each_ref().map(Dim::op);
        let [kh, kw] = self.size.each_ref().map(Dim::op);
        let [one, both] = checks;
        cx.require(one.and(both), decl.kind.span(), || {
            let dilated = match self.dilation.iter().all(|d| d.is(1)) {
                true => String::new(),
                false if self.one_d || a == 0 || reach.iter().all(|r| r.lit().is_some()) => {
                    format!(" (dilated to {})", reach[a].show())
                }
                false => format!(" (dilated to {}×{})", reach[0].op(), reach[1].op()),
            };
            match self.one_d {
                true => format!(
                    "layer `{name}` (`{kind}`): the {what} {kw}{dilated} is longer than its input of {w} steps with `valid` padding; use a smaller {what} or `padding = same`"
                ),
                false => format!(
                    "layer `{name}` (`{kind}`): the {what} {kh}×{kw}{dilated} is larger than its input {h}×{w} with `valid` padding; use a smaller {what} or `padding = same`"
                ),
            }
        })
    }

    /// Reports strides above 1 together with a dilation above 1 (Keras refuses
    /// them) at the layer; whether they may fit.
    pub fn strides_fit_dilation(&self, decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> bool {
        let above_one = |d: &[Dim; 2]| sizes::lt(&Dim::Lit(1), &d[0]).or(sizes::lt(&Dim::Lit(1), &d[1]));
        let both = above_one(&self.strides).and(above_one(&self.dilation));
        let kind = decl.kind.to_string();
        cx.require(both.not(), decl.kind.span(), || {
            format!("layer `{name}` (`{kind}`): strides above 1 cannot go with a dilation_rate above 1 (Keras refuses it); keep one")
        })
    }
}

/// `[h, w, c]` of an image input `(None, H, W, C)`, or `None` after
/// reporting at the layer what it is instead, with the fix.
pub(super) fn image(input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Option<[Dim; 3]> {
    spatial(input, false, decl, name, cx)
}

/// `[h, w, c]` of an image, or `[1, steps, c]` of a sequence when `one_d`;
/// `None` after reporting at the layer what it is instead, with the fix.
pub(super) fn spatial(input: &[Dim], one_d: bool, decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Option<[Dim; 3]> {
    let kind = decl.kind.to_string();
    let span = decl.kind.span();
    match (one_d, input) {
        (true, [n, c]) => return Some([Dim::Lit(1), n.clone(), c.clone()]),
        (false, [h, w, c]) => return Some([h.clone(), w.clone(), c.clone()]),
        _ => {}
    }
    let shown = input.iter().map(Dim::show).collect::<Vec<_>>();
    let msg = match one_d {
        true => {
            let fix = match input {
                [n] => format!("`Input[{}, 1]` or `Reshape[{}, 1]` before it", n.show(), n.show()),
                [h, w, c] => match (h, w) {
                    (Dim::Lit(h), Dim::Lit(w)) if h.checked_mul(*w).is_none() => {
                        "a `Reshape[steps, channels]` before it".to_string()
                    }
                    _ => format!(
                        "`Reshape[{}, {}]` before it to make a sequence of its pixels, or use `{}` on the image",
                        product(&[h.clone(), w.clone()]).show(),
                        c.show(),
                        kind.replace("1D", "2D")
                    ),
                },
                _ => "a `Reshape[steps, channels]` before it".to_string(),
            };
            format!(
                "layer `{name}` (`{kind}`) takes sequences (None, steps, channels), but the layer before it outputs {}; write {fix}",
                show_shape(input)
            )
        }
        false => {
            let fix = match &shown[..] {
                [h, w] => format!("`Input[{h}, {w}, 1]` or `Reshape[{h}, {w}, 1]` before it"),
                [n] => format!("`Reshape[h, w, c]` before it (h · w · c = {n})"),
                _ => "a `Reshape[h, w, c]` before it".to_string(),
            };
            format!(
                "layer `{name}` (`{kind}`) takes images (None, height, width, channels), but the layer before it outputs {}; write {fix}",
                show_shape(input)
            )
        }
    };
    cx.error(span, msg);
    None
}

impl Placed {
    /// The output shape with `channels` on the last axis: `(steps, c)` or `(h, w, c)`.
    pub fn shape(&self, channels: &Dim) -> Vec<Dim> {
        let [oh, ow] = self.output.clone();
        match self.one_d {
            true => vec![ow, channels.clone()],
            false => vec![oh, ow, channels.clone()],
        }
    }

    /// Output positions of one sample: `oh · ow`.
    pub fn positions(&self) -> Dim {
        product(&self.output)
    }

    /// The kernel's spatial sizes as Keras shapes them: `[k]` or `[kh, kw]`.
    pub fn kernel(&self, w: &Window) -> Vec<Dim> {
        match self.one_d {
            true => vec![w.size[1].clone()],
            false => w.size.to_vec(),
        }
    }

    /// The runtime `ConvGeometry` expression for `filters` output channels.
    pub fn geometry(&self, w: &Window, filters: &Dim) -> TokenStream {
        let arr = |a: &[Dim]| {
            let a = a.iter().map(Dim::tokens);
            quote!([#(#a),*])
        };
        let (input, k, s, d, p, o) =
            (arr(&self.input), arr(&w.size), arr(&w.strides), arr(&w.dilation), arr(&self.pad), arr(&self.output));
        let f = filters.tokens();
        quote!(::nn::layers::ConvGeometry::new(#input, #f, #k, #s, #d, #p, #o))
    }
}
