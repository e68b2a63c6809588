//! Keras's `Conv2DTranspose` (channels last): the transpose of a Conv2D,
//! `filters` kernels of `kernel_size` spread over an output grown by
//! `strides`, its size Keras's `deconv_output_length` (`valid` or `same`
//! padding, `output_padding`), TensorFlow's padding; then the bias and the
//! activation.

use proc_macro2::{Span, TokenStream};
use quote::quote;

use super::conv2d::filters;
use super::kernel_bias::KernelBias;
use super::window::{image, Placed, Window};
use super::{Io, Kind, Spec, Weight};
use crate::args::{arg, positional, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;
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
            arg("kernel_initializer", Ty::Initializer),
            arg("bias_initializer", Ty::Initializer),
            arg("kernel_regularizer", Ty::Regularizer),
            arg("bias_regularizer", Ty::Regularizer),
            arg("kernel_constraint", Ty::Constraint),
            arg("bias_constraint", Ty::Constraint),
        ];
        ARGS
    }
    fn build(&self, decl: &LayerDecl, args: &Args, cx: &mut Ctxt) -> Box<dyn Spec> {
        let filters = filters(args, "Conv2DTranspose", cx);
        let strides = args.pair("strides", [1, 1]);
        let output_padding_span = args.span("output_padding").unwrap_or(decl.kind.span());
        let mut output_padding = args.has("output_padding").then(|| args.pair("output_padding", [0, 0]));
        if let Some(op) = output_padding {
            if (0..2).any(|a| op[a] >= strides[a]) {
                let fix: Vec<String> = (0..2).map(|a| op[a].min(strides[a] - 1).to_string()).collect();
                cx.error(
                    output_padding_span,
                    format!(
                        "`output_padding = ({}, {})` of `{}` must be smaller than `strides = ({}, {})` on each axis (Keras's rule); use `output_padding = ({})` or leave it out",
                        op[0], op[1], decl.kind, strides[0], strides[1], fix.join(", ")
                    ),
                );
                output_padding = None;
            }
        }
        Box::new(Config {
            filters,
            window: Window::two(
                args.pair("kernel_size", [1, 1]),
                strides,
                args.pair("dilation_rate", [1, 1]),
                args.padding("padding"),
            ),
            output_padding,
            output_padding_span,
            activation: args.activation("activation"),
            tensors: KernelBias::new(args),
            placed: std::cell::OnceCell::new(),
            in_channels: std::cell::OnceCell::new(),
        })
    }
}

/// A `Conv2DTranspose` layer's arguments, Keras's defaults filled in.
struct Config {
    filters: u64,
    window: Window,
    /// `None`: Keras's default (inferred).
    output_padding: Option<[u64; 2]>,
    /// Where `output_padding` was written (else the layer).
    output_padding_span: Span,
    activation: &'static Act,
    tensors: KernelBias,
    /// The convolution this layer transposes (input: this layer's output), once the shape is known.
    placed: std::cell::OnceCell<Placed>,
    /// The input channels, once the shape is known (the transposed convolution's filters).
    in_channels: std::cell::OnceCell<u64>,
}

impl Config {
    fn placed(&self) -> &Placed {
        self.placed.get().expect("the shape is checked before the layer expands")
    }
    /// Keras's `deconv_output_length` on axis `a` for `n` input rows, and
    /// the padding above TensorFlow's convolution of that size puts.
    fn axis(&self, a: usize, n: u64, output_padding: Option<[u64; 2]>) -> (u64, u64) {
        let (s, reach) = (self.window.strides[a], self.window.reach(a));
        let op = output_padding.map(|p| p[a]);
        let out = match (self.window.padding, op) {
            ("valid", None) => (n - 1) * s + reach.max(s),
            ("valid", Some(op)) => (n - 1) * s + reach + op,
            (_, None) => n * s,
            (_, Some(op)) => (n - 1) * s + reach % 2 + op,
        };
        let pad = match self.window.padding {
            "valid" => 0,
            _ => ((n - 1) * s + reach).saturating_sub(out) / 2,
        };
        (out, pad)
    }
}

impl Config {
    /// Whether TensorFlow's convolution from `out` rows on axis `a` gives the
    /// `n` rows of the input again (its transpose is computed as that
    /// convolution's gradient, and refuses sizes for which it does not).
    fn comes_back(&self, a: usize, n: u64, out: u64) -> bool {
        let (s, reach) = (self.window.strides[a], self.window.reach(a));
        let back = match self.window.padding {
            "valid" => (out >= reach).then(|| (out - reach) / s + 1),
            _ => Some(out.div_ceil(s)),
        };
        back == Some(n)
    }
}

impl Spec for Config {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let fallback = vec![Dim::Lit(1), Dim::Lit(1), Dim::Lit(self.filters)];
        let Some([h, w, c]) = image(input, decl, name, cx) else { return fallback };
        if !self.window.strides_fit_dilation(decl, name, cx) {
            return fallback;
        }
        let ((oh, ph), (ow, pw)) = (self.axis(0, h, self.output_padding), self.axis(1, w, self.output_padding));
        for (a, n, out) in [(0, h, oh), (1, w, ow)] {
            if !self.comes_back(a, n, out) {
                // An `output_padding` that works on both axes, if one does.
                let strides = self.window.strides;
                let fix = (0..strides[0])
                    .flat_map(|p| (0..strides[1]).map(move |q| [p, q]))
                    .find(|&op| {
                        [(0, h), (1, w)].iter().all(|&(b, m)| self.comes_back(b, m, self.axis(b, m, Some(op)).0))
                    })
                    .map_or("leave it out".to_string(), |[p, q]| {
                        format!("use `output_padding = ({p}, {q})` or leave it out")
                    });
                let what = ["rows", "columns"][a];
                cx.error(
                    self.output_padding_span,
                    format!(
                        "layer `{name}` (`{}`): with this kernel, `strides` and `output_padding` the output has {out} {what} for an input of {n}, which TensorFlow's transposed convolution refuses (its convolution back gives another size); {fix}",
                        decl.kind
                    ),
                );
                return fallback;
            }
        }
        let _ = self.placed.set(Placed { one_d: false, input: [oh, ow, self.filters], pad: [ph, pw], output: [h, w] });
        let _ = self.in_channels.set(c);
        vec![Dim::Lit(oh), Dim::Lit(ow), Dim::Lit(self.filters)]
    }
    fn weights(&self, io: &Io) -> Vec<Weight> {
        if self.placed.get().is_none() {
            return Vec::new();
        }
        let [kh, kw] = self.window.size;
        let c = io.features_in();
        self.tensors.weights(vec![Dim::Lit(kh), Dim::Lit(kw), Dim::Lit(self.filters), c], Dim::Lit(self.filters))
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let i = io.width_in();
        let [kh, kw] = self.window.size;
        let u = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
        let o = u(p.input[0] * p.input[1] * self.filters);
        let cols = u(p.output[0] * p.output[1] * kh * kw * self.filters);
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::Conv2DTranspose<{ #i }, { #o }, { #cols }, ::nn::activations::#a>)
    }
    fn init(&self, io: &Io) -> TokenStream {
        let g = self.geometry(io);
        let ([kh, kw], f) = (self.window.size, self.filters);
        let u = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
        let (kh, kw, fl) = (u(kh), u(kw), u(f));
        let c = io.features_in().tokens();
        let init = self.tensors.initializers();
        quote!(::nn::layers::Conv2DTranspose::new(#g, ({
            const KERNEL: &[usize] = &[#kh, #kw, #fl, #c];
            KERNEL
        }, {
            const BIAS: &[usize] = &[#fl];
            BIAS
        }), #init, &mut rng))
    }
    fn over_weights(&self, io: &Io, weights: &[TokenStream]) -> TokenStream {
        let (g, params) = (self.geometry(io), KernelBias::params(weights));
        quote!(::nn::layers::Conv2DTranspose::from_params(#g, #params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}

impl Config {
    /// The runtime geometry of the convolution this layer transposes.
    fn geometry(&self, _: &Io) -> TokenStream {
        let c = self.in_channels.get().copied().expect("the shape is checked before the layer expands");
        self.placed().geometry(&self.window, c)
    }
}
