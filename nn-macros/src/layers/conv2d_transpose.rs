//! Keras's `Conv2DTranspose` (channels last): the transpose of a Conv2D,
//! `filters` kernels of `kernel_size` spread over an output grown by
//! `strides`, its size Keras's `deconv_output_length` (`valid` or `same`
//! padding, `output_padding`), TensorFlow's padding; then the bias and the
//! activation.

use proc_macro2::{Span, TokenStream};
use quote::quote;

use super::kernel_bias::KernelBias;
use super::window::{image, Placed, Window};
use super::{Io, Kind, Spec, Weight};
use crate::args::{arg, positional, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::{product, Dim};
use crate::parse::LayerDecl;
use crate::sizes::{self, Check};
use crate::vocab::Act;

/// Keras's `Conv2DTranspose` (alias `Convolution2DTranspose`).
pub struct Conv2DTranspose;

impl Kind for Conv2DTranspose {
    fn names(&self) -> &'static [&'static str] {
        &["Conv2DTranspose", "Convolution2DTranspose"]
    }
    fn class(&self) -> &'static str {
        "Conv2DTranspose"
    }
    fn auto_name(&self) -> &'static str {
        "conv2d_transpose"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[
            required("filters", Ty::Size),
            required("kernel_size", Ty::Pair),
            positional("activation", Ty::Activation),
            arg("strides", Ty::Pair),
            arg("padding", Ty::Padding),
            arg("output_padding", Ty::PairOrZero),
            arg("dilation_rate", Ty::Pair),
            arg("use_bias", Ty::Bool),
            positional("kernel_initializer", Ty::Initializer),
            arg("bias_initializer", Ty::Initializer),
            arg("kernel_regularizer", Ty::Regularizer),
            arg("bias_regularizer", Ty::Regularizer),
            arg("kernel_constraint", Ty::Constraint),
            arg("bias_constraint", Ty::Constraint),
        ];
        ARGS
    }
    fn build(&self, decl: &LayerDecl, args: &Args, cx: &mut Ctxt) -> Box<dyn Spec> {
        let strides = args.pair("strides", [1, 1]);
        let output_padding_span = args.span("output_padding").unwrap_or(decl.kind.span());
        let mut output_padding = args.has("output_padding").then(|| args.pair("output_padding", [0, 0]));
        let mut below_strides = Check::Known(true);
        if let Some(op) = &output_padding {
            below_strides = sizes::lt(&op[0], &strides[0]).and(sizes::lt(&op[1], &strides[1]));
            let shown = |d: &[Dim; 2]| format!("({}, {})", d[0].show(), d[1].show());
            let (ops, ss) = (shown(op), shown(&strides));
            let fix = match (literals(op), literals(&strides)) {
                (Some(op), Some(s)) => {
                    format!("use `output_padding = ({}, {})`", op[0].min(s[0] - 1), op[1].min(s[1] - 1))
                }
                _ => "use a smaller one".to_string(),
            };
            if !cx.require(below_strides.clone(), output_padding_span, || {
                format!(
                    "`output_padding = {ops}` of `{}` must be smaller than `strides = {ss}` on each axis (Keras's rule); {fix} or leave it out",
                    decl.kind
                )
            }) {
                output_padding = None;
            }
        }
        Box::new(Config {
            filters: args.size("filters"),
            window: Window::two(
                args.pair("kernel_size", [1, 1]),
                strides,
                args.pair("dilation_rate", [1, 1]),
                args.padding("padding"),
            ),
            output_padding,
            below_strides,
            output_padding_span,
            activation: args.activation("activation"),
            tensors: KernelBias::new(args),
            placed: std::cell::OnceCell::new(),
            in_channels: std::cell::OnceCell::new(),
        })
    }
}

/// Both values, when both are literals.
fn literals(d: &[Dim; 2]) -> Option<[u64; 2]> {
    Some([d[0].lit()?, d[1].lit()?])
}

/// A `Conv2DTranspose` layer's arguments, Keras's defaults filled in.
struct Config {
    filters: Dim,
    window: Window,
    /// `None`: Keras's default (inferred).
    output_padding: Option<[Dim; 2]>,
    /// Whether that `output_padding` is below the strides (asserted at
    /// the argument when only the compiler knows).
    below_strides: Check,
    /// Where `output_padding` was written (else the layer).
    output_padding_span: Span,
    activation: &'static Act,
    tensors: KernelBias,
    /// The convolution this layer transposes (input: this layer's output), once the shape is known.
    placed: std::cell::OnceCell<Placed>,
    /// The input channels, once the shape is known (the transposed convolution's filters).
    in_channels: std::cell::OnceCell<Dim>,
}

impl Config {
    fn placed(&self) -> &Placed {
        self.placed.get().expect("the shape is checked before the layer expands")
    }
    /// Keras's `deconv_output_length` on axis `a` for `n` input rows, and
    /// the padding above TensorFlow's convolution of that size puts.
    fn axis(&self, a: usize, n: &Dim, output_padding: Option<&[Dim; 2]>) -> (Dim, Dim) {
        let w = &self.window;
        let (k, s, d) = (&w.size[a], &w.strides[a], &w.dilation[a]);
        let same = w.padding != "valid";
        let out = sizes::transposed(n, k, s, d, same, output_padding.map(|p| &p[a]));
        let pad = match same {
            false => Dim::Lit(0),
            true => sizes::transposed_pad(n, k, s, d, &out),
        };
        (out, pad)
    }

    /// Whether TensorFlow's convolution from `out` rows on axis `a` gives the
    /// `n` rows of the input again (its transpose is computed as that
    /// convolution's gradient, and refuses sizes for which it does not).
    fn comes_back(&self, a: usize, n: &Dim, out: &Dim) -> Check {
        let w = &self.window;
        let (k, s, d) = (&w.size[a], &w.strides[a], &w.dilation[a]);
        match w.padding {
            "valid" => sizes::le(&sizes::reach(k, d), out).and(sizes::eq(&sizes::valid(out, k, s, d), n)),
            _ => sizes::eq(&sizes::same(out, s), n),
        }
    }

    /// An `output_padding` that works on both axes of the input `[h, w]`,
    /// if one does (found only when every size is a literal).
    fn working_output_padding(&self, input: [&Dim; 2]) -> Option<[u64; 2]> {
        let strides = literals(&self.window.strides)?;
        (0..strides[0]).flat_map(|p| (0..strides[1]).map(move |q| [p, q])).find(|&op| {
            let op = op.map(Dim::Lit);
            (0..2).all(|b| {
                let out = self.axis(b, input[b], Some(&op)).0;
                matches!(self.comes_back(b, input[b], &out), Check::Known(true))
            })
        })
    }

    /// Whether the macro knows every size of the window and of the input `[h, w]`.
    fn all_literal(&self, input: [&Dim; 2]) -> bool {
        let w = &self.window;
        input.into_iter().chain(&w.size).chain(&w.strides).chain(&w.dilation).all(|d| d.lit().is_some())
    }
}

impl Spec for Config {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let fallback = vec![Dim::Lit(1), Dim::Lit(1), self.filters.clone()];
        let Some([h, w, c]) = image(input, decl, name, cx) else { return fallback };
        if !self.window.strides_fit_dilation(decl, name, cx) {
            return fallback;
        }
        let op = self.output_padding.as_ref();
        let ((oh, ph), (ow, pw)) = (self.axis(0, &h, op), self.axis(1, &w, op));
        // Keras's default `output_padding` always comes back: only a given one is checked.
        if op.is_some() {
            for (a, n, out) in [(0, &h, &oh), (1, &w, &ow)] {
                let fix = || match self.working_output_padding([&h, &w]) {
                    Some([p, q]) => format!("use `output_padding = ({p}, {q})` or leave it out"),
                    None if self.all_literal([&h, &w]) => "leave it out".to_string(),
                    None => "use another `output_padding` or leave it out".to_string(),
                };
                let what = ["rows", "columns"][a];
                // Asserted only of an `output_padding` below the strides: another is one error, that one.
                let comes_back = self.below_strides.clone().not().or(self.comes_back(a, n, out));
                let ok = cx.require(comes_back, self.output_padding_span, || {
                    format!(
                        "layer `{name}` (`{}`): with this kernel, `strides` and `output_padding` the output has {} {what} for an input of {}, which TensorFlow's transposed convolution refuses (its convolution back gives another size); {}",
                        decl.kind,
                        out.show(),
                        n.show(),
                        fix()
                    )
                });
                if !ok {
                    return fallback;
                }
            }
        }
        let filters = self.filters.clone();
        let _ = self.placed.set(Placed {
            one_d: false,
            input: [oh.clone(), ow.clone(), filters.clone()],
            pad: [ph, pw],
            output: [h, w],
        });
        let _ = self.in_channels.set(c);
        vec![oh, ow, filters]
    }
    fn weights(&self, io: &Io) -> Vec<Weight> {
        if self.placed.get().is_none() {
            return Vec::new();
        }
        self.tensors.weights(self.kernel_shape(io), self.filters.clone())
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let i = io.width_in();
        let [kh, kw] = self.window.size.clone();
        let o = product(&p.input).tokens();
        let cols = product(&[p.positions(), kh, kw, self.filters.clone()]).tokens();
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::Conv2DTranspose<{ #i }, { #o }, { #cols }, ::nn::activations::#a>)
    }
    fn init(&self, io: &Io) -> TokenStream {
        let g = self.geometry();
        let shapes = KernelBias::shapes(&[self.kernel_shape(io)], &self.filters);
        let init = self.tensors.initializers();
        quote!(::nn::layers::Conv2DTranspose::new(#g, #shapes, #init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (g, params) = (self.geometry(), KernelBias::params(weights));
        quote!(::nn::layers::Conv2DTranspose::from_params(#g, #params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}

impl Config {
    /// Keras's kernel shape: `[kh, kw, filters, in]`.
    fn kernel_shape(&self, io: &Io) -> Vec<Dim> {
        let [kh, kw] = self.window.size.clone();
        vec![kh, kw, self.filters.clone(), io.features_in()]
    }
    /// The runtime geometry of the convolution this layer transposes.
    fn geometry(&self) -> TokenStream {
        let c = self.in_channels.get().expect("the shape is checked before the layer expands");
        self.placed().geometry(&self.window, c)
    }
}
