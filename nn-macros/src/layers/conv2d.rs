//! Keras's `Conv2D` (channels last): `filters` kernels of `kernel_size`
//! slid over the image with `strides`, `dilation_rate`, `valid`/`same`
//! padding and `groups`, then the bias and the activation. The layer it
//! builds ([`Conv`]) is also `Conv1D`'s, on a window of height 1.

use proc_macro2::TokenStream;
use quote::quote;

use super::kernel_bias::KernelBias;
use super::window::{Placed, Window};
use super::{Io, Kind, Spec, Weight};
use crate::args::{arg, positional, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;
use crate::vocab::Act;

/// Keras's `Conv2D` (alias `Convolution2D`).
pub struct Conv2D;

impl Kind for Conv2D {
    fn names(&self) -> &'static [&'static str] {
        &["Conv2D", "Convolution2D"]
    }
    fn class(&self) -> &'static str {
        "Conv2D"
    }
    fn auto_name(&self) -> &'static str {
        "conv2d"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[
            required("filters", Ty::Size),
            required("kernel_size", Ty::Pair),
            positional("activation", Ty::Activation),
            arg("strides", Ty::Pair),
            arg("padding", Ty::Padding),
            arg("dilation_rate", Ty::Pair),
            arg("groups", Ty::Int),
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
    fn build(&self, _: &LayerDecl, args: &Args, cx: &mut Ctxt) -> Box<dyn Spec> {
        let window = Window::two(
            args.pair("kernel_size", [1, 1]),
            args.pair("strides", [1, 1]),
            args.pair("dilation_rate", [1, 1]),
            args.padding("padding"),
        );
        Box::new(Conv::new(args, window, "Conv2D", cx))
    }
}

/// `filters`, which must be written as a number: a const item would
/// otherwise be taken for 1 filter.
pub(super) fn filters(args: &Args, kind: &str, cx: &mut Ctxt) -> u64 {
    match args.size("filters") {
        Dim::Lit(n) => n,
        Dim::Sym(_) => {
            if let Some(span) = args.span("filters") {
                cx.error(
                    span,
                    format!("`filters` of `{kind}` must be a number here (`{kind}(32, 3)`), not a const item"),
                );
            }
            1
        }
    }
}

/// A convolution layer's arguments (Conv1D's or Conv2D's), Keras's defaults filled in.
pub(super) struct Conv {
    filters: u64,
    groups: u64,
    /// Where `groups` was written, for its error.
    groups_span: Option<proc_macro2::Span>,
    window: Window,
    activation: &'static Act,
    tensors: KernelBias,
    /// The window on the input, once the shape is known.
    placed: std::cell::OnceCell<Placed>,
}

impl Conv {
    /// The layer of `args` (`filters`, `groups`, the activation and the
    /// kernel-and-bias arguments) sliding `window`, for the kind named `kind`.
    pub fn new(args: &Args, window: Window, kind: &str, cx: &mut Ctxt) -> Self {
        Conv {
            filters: filters(args, kind, cx),
            groups: args.single("groups", 1),
            groups_span: args.span("groups"),
            window,
            activation: args.activation("activation"),
            tensors: KernelBias::new(args),
            placed: std::cell::OnceCell::new(),
        }
    }
    fn placed(&self) -> &Placed {
        self.placed.get().expect("the shape is checked before the layer expands")
    }
    /// Keras's kernel shape: `[k, in / groups, filters]` or `[kh, kw, in / groups, filters]`.
    fn kernel_shape(&self) -> Vec<u64> {
        let p = self.placed();
        let mut k = p.kernel(&self.window);
        k.extend([p.input[2] / self.groups, self.filters]);
        k
    }
    /// The kernel's and the bias's shapes as `&'static [usize]` expressions.
    fn shapes(&self) -> TokenStream {
        let u = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
        let kernel = self.kernel_shape().into_iter().map(u);
        let f = u(self.filters);
        quote!(({
            const KERNEL: &[usize] = &[#(#kernel),*];
            KERNEL
        }, {
            const BIAS: &[usize] = &[#f];
            BIAS
        }))
    }
    /// The runtime `ConvGeometry`, grouped when `groups` is above 1.
    fn geometry(&self) -> TokenStream {
        let g = self.placed().geometry(&self.window, self.filters);
        match self.groups {
            1 => g,
            n => {
                let n = proc_macro2::Literal::u64_unsuffixed(n);
                quote!(#g.grouped(#n))
            }
        }
    }
    /// Keras's rule: `groups` divides both the input's channels and the filters.
    fn check_groups(&self, channels: u64, decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> bool {
        let (g, f) = (self.groups, self.filters);
        let (divides_c, divides_f) = (channels.is_multiple_of(g), f.is_multiple_of(g));
        if divides_c && divides_f {
            return true;
        }
        let (mut a, mut b) = (channels, f);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        // The common divisors (the first few), which are the valid `groups`.
        let fits: Vec<String> =
            (1..=a.min(1000)).filter(|d| a.is_multiple_of(*d)).take(8).map(|d| d.to_string()).collect();
        let what = match (divides_c, divides_f) {
            (false, false) => format!("the input's {channels} channels nor the {f} filters"),
            (false, true) => format!("the input's {channels} channels"),
            _ => format!("the {f} filters"),
        };
        let kind = decl.kind.to_string();
        cx.error(
            self.groups_span.unwrap_or(decl.kind.span()),
            format!(
                "layer `{name}` (`{kind}`): `groups = {g}` does not divide {what} (Keras splits both into the groups); use a `groups` that divides {channels} and {f}: {}",
                fits.join(", ")
            ),
        );
        false
    }
}

impl Spec for Conv {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let fallback = |one_d: bool| match one_d {
            true => vec![Dim::Lit(1), Dim::Lit(self.filters)],
            false => vec![Dim::Lit(1), Dim::Lit(1), Dim::Lit(self.filters)],
        };
        let Some(p) = self.window.place(input, decl, name, "kernel", cx) else { return fallback(self.window.one_d) };
        if !self.check_groups(p.input[2], decl, name, cx) {
            return fallback(self.window.one_d);
        }
        let out = p.shape(self.filters);
        let _ = self.placed.set(p);
        out
    }
    fn weights(&self, io: &Io) -> Vec<Weight> {
        let _ = io;
        if self.placed.get().is_none() {
            return Vec::new();
        }
        let kernel = self.kernel_shape().into_iter().map(Dim::Lit).collect();
        self.tensors.weights(kernel, Dim::Lit(self.filters))
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let i = io.width_in();
        let o = p.output[0] * p.output[1] * self.filters;
        let [kh, kw] = self.window.size;
        let cols = p.output[0] * p.output[1] * kh * kw * p.input[2];
        let u = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
        let (o, cols) = (u(o), u(cols));
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::Conv2D<{ #i }, { #o }, { #cols }, ::nn::activations::#a>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let (g, shapes, init) = (self.geometry(), self.shapes(), self.tensors.initializers());
        quote!(::nn::layers::Conv2D::new(#g, #shapes, #init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (g, params) = (self.geometry(), KernelBias::params(weights));
        quote!(::nn::layers::Conv2D::from_params(#g, #params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}
