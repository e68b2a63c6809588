//! Keras's `Conv2D` (channels last): `filters` kernels of `kernel_size`
//! slid over the image with `strides`, `dilation_rate` and `valid`/`same`
//! padding, then the bias and the activation.

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
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        let filters = match args.size("filters") {
            Dim::Lit(n) => n,
            Dim::Sym(_) => 1,
        };
        Box::new(Config {
            filters,
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
    /// `[kh, kw, in, filters]` and `[filters]` as `&'static [usize]` expressions.
    fn shapes(&self) -> TokenStream {
        let ([kh, kw], c, f) = (self.window.size, self.placed().input[2], self.filters);
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

impl Spec for Config {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        match self.window.place(input, decl, name, "kernel", cx) {
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
        let kernel = vec![Dim::Lit(kh), Dim::Lit(kw), Dim::Lit(p.input[2]), Dim::Lit(self.filters)];
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
        let (g, shapes, init) =
            (self.placed().geometry(&self.window, self.filters), self.shapes(), self.tensors.initializers());
        quote!(::nn::layers::Conv2D::new(#g, #shapes, #init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (g, params) = (self.placed().geometry(&self.window, self.filters), KernelBias::params(weights));
        quote!(::nn::layers::Conv2D::from_params(#g, #params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}
