//! Keras's `Conv2D` (channels last): `filters` kernels of `kernel_size`
//! slid over the image with `strides`, `dilation_rate` and `valid`/`same`
//! padding, then the bias and the activation; with `groups`, each group of
//! input channels convolved into its own share of the filters.

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
            arg("groups", Ty::Size),
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
        let filters = match args.size("filters") {
            Dim::Lit(n) => n,
            Dim::Sym(_) => 1,
        };
        let groups = match args.size("groups") {
            Dim::Lit(n) => n,
            Dim::Sym(_) => {
                if let Some(span) = args.span("groups") {
                    cx.error(span, "`groups` of `Conv2D` must be a number (`groups = 2`), not a const item");
                }
                1
            }
        };
        let groups_span = args.span("groups");
        let groups = if filters % groups == 0 {
            groups
        } else {
            let near = divisors_near(filters, groups);
            cx.error(
                groups_span.unwrap_or_else(proc_macro2::Span::call_site),
                format!("`groups = {groups}` does not divide the {filters} filters of `Conv2D` (Keras requires both the filters and the input channels to be multiples of `groups`); use {near}"),
            );
            1
        };
        Box::new(Config {
            filters,
            groups,
            groups_span,
            window: Window {
                size: args.pair("kernel_size", [1, 1]),
                strides: args.pair("strides", [1, 1]),
                dilation: args.pair("dilation_rate", [1, 1]),
                padding: args.padding("padding"),
            },
            activation: args.activation("activation"),
            tensors: KernelBias::new(args),
            placed: std::cell::OnceCell::new(),
        })
    }
}

/// A `Conv2D` layer's arguments, Keras's defaults filled in.
struct Config {
    filters: u64,
    /// Keras's `groups` (1: an ordinary convolution).
    groups: u64,
    /// Where `groups` was written, for the error when it does not divide the channels.
    groups_span: Option<proc_macro2::Span>,
    window: Window,
    activation: &'static Act,
    tensors: KernelBias,
    /// The window on the input, once the shape is known.
    placed: std::cell::OnceCell<Placed>,
}

impl Config {
    fn placed(&self) -> &Placed {
        self.placed.get().expect("the shape is checked before the layer expands")
    }
    /// `[kh, kw, in / groups, filters]` and `[filters]` as `&'static [usize]` expressions.
    fn shapes(&self) -> TokenStream {
        let ([kh, kw], c, f) = (self.window.size, self.placed().input[2] / self.groups, self.filters);
        let u = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
        let (kh, kw, c, f) = (u(kh), u(kw), u(c), u(f));
        quote!(({
            const KERNEL: &[usize] = &[#kh, #kw, #c, #f];
            KERNEL
        }, {
            const BIAS: &[usize] = &[#f];
            BIAS
        }))
    }
}

impl Config {
    /// The runtime geometry, `.grouped(g)` with groups.
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
}

/// The divisors of `n` nearest `g` (below and above), as the fix of a `groups` that does not divide `n`.
fn divisors_near(n: u64, g: u64) -> String {
    let below = (1..g.min(n + 1)).rev().find(|&d| n.is_multiple_of(d)).unwrap_or(1);
    match (g..=n).find(|&d| n.is_multiple_of(d)) {
        Some(above) if above != below => format!("`groups = {below}` or `groups = {above}`"),
        _ => format!("`groups = {below}`"),
    }
}

impl Spec for Config {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        match self.window.place(input, decl, name, "kernel", cx) {
            Some(p) if p.input[2] % self.groups != 0 => {
                let c = p.input[2];
                let near = divisors_near(c, self.groups);
                cx.error(
                    self.groups_span.unwrap_or(decl.kind.span()),
                    format!("layer `{name}` (`Conv2D`): `groups = {}` does not divide its {c} input channels (Keras requires both the input channels and the filters to be multiples of `groups`); use {near}", self.groups),
                );
                vec![Dim::Lit(1), Dim::Lit(1), Dim::Lit(self.filters)]
            }
            Some(p) => {
                let out = vec![Dim::Lit(p.output[0]), Dim::Lit(p.output[1]), Dim::Lit(self.filters)];
                let _ = self.placed.set(p);
                out
            }
            None => vec![Dim::Lit(1), Dim::Lit(1), Dim::Lit(self.filters)],
        }
    }
    fn weights(&self, io: &Io) -> Vec<Weight> {
        let _ = io;
        let Some(p) = self.placed.get() else { return Vec::new() };
        let [kh, kw] = self.window.size;
        let kernel = vec![Dim::Lit(kh), Dim::Lit(kw), Dim::Lit(p.input[2] / self.groups), Dim::Lit(self.filters)];
        self.tensors.weights(kernel, Dim::Lit(self.filters))
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let i = io.width_in();
        let o = p.output[0] * p.output[1] * self.filters;
        let [kh, kw] = self.window.size;
        // ConvGeometry::scratch: every group's im2col rows, and with groups one group's product and kernel.
        let positions = p.output[0] * p.output[1];
        let (patch, fg) = (kh * kw * p.input[2] / self.groups, self.filters / self.groups);
        let mut cols = positions * patch * self.groups;
        if self.groups > 1 {
            cols += positions * fg + patch * fg;
        }
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
