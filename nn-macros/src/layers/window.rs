//! What the 2-D windowed layers (Conv2D, MaxPooling2D) share: Keras's output
//! size for `valid` and `same` padding (TF's split: the odd padding row or
//! column goes below/right), the input-rank check with its fix, and the
//! runtime `ConvGeometry` they are built over.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;
use crate::dims::{show_shape, Dim};
use crate::parse::LayerDecl;

/// A window's sizes on the two spatial axes.
#[derive(Clone, Copy)]
pub(super) struct Window {
    /// Kernel or pool size.
    pub size: [u64; 2],
    /// Strides.
    pub strides: [u64; 2],
    /// Dilation rates.
    pub dilation: [u64; 2],
    /// `valid` or `same`.
    pub padding: &'static str,
}

/// A window placed on an input: every size the runtime needs.
pub(super) struct Placed {
    /// `[h, w, c]`.
    pub input: [u64; 3],
    /// Zero rows above and columns left of the input.
    pub pad: [u64; 2],
    /// `[oh, ow]`.
    pub output: [u64; 2],
}

impl Window {
    /// The window on `input` (which must be `(None, H, W, C)` with literal
    /// sizes), with Keras's output sizes; `None` after a mistake (reported).
    pub fn place(&self, input: &[Dim], decl: &LayerDecl, name: &str, what: &str, cx: &mut Ctxt) -> Option<Placed> {
        let kind = decl.kind.to_string();
        let span = decl.kind.span();
        let [h, w, c] = image(input, decl, name, cx)?;
        if !self.strides_fit_dilation(decl, name, cx) {
            return None;
        }
        let mut pad = [0; 2];
        let mut output = [0; 2];
        for a in 0..2 {
            let n = [h, w][a];
            let reach = self.dilation[a] * (self.size[a] - 1) + 1;
            if self.padding == "valid" {
                if reach > n {
                    let shown = |s: [u64; 2]| format!("{}×{}", s[0], s[1]);
                    let dilated =
                        if self.dilation != [1, 1] { format!(" (dilated to {reach})") } else { String::new() };
                    cx.error(
                        span,
                        format!(
                            "layer `{name}` (`{kind}`): the {what} {}{dilated} is larger than its input {}×{} with `valid` padding; use a smaller {what} or `padding = same`",
                            shown(self.size), h, w
                        ),
                    );
                    return None;
                }
                output[a] = (n - reach) / self.strides[a] + 1;
            } else {
                output[a] = n.div_ceil(self.strides[a]);
                let total = ((output[a] - 1) * self.strides[a] + reach).saturating_sub(n);
                pad[a] = total / 2;
            }
        }
        Some(Placed { input: [h, w, c], pad, output })
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
    let kind = decl.kind.to_string();
    let span = decl.kind.span();
    let dims: Option<Vec<u64>> = input.iter().map(|d| if let Dim::Lit(n) = d { Some(*n) } else { None }).collect();
    let Some(dims) = dims else {
        cx.error(span, format!("layer `{name}` (`{kind}`): sizes given by const items are not supported by 2-D layers yet; write the input's sizes as numbers"));
        return None;
    };
    let [h, w, c] = dims[..] else {
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
    };
    Some([h, w, c])
}

impl Placed {
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
