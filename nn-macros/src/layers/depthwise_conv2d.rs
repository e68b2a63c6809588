//! Keras's `DepthwiseConv2D` (channels last): each input channel convolved
//! with its own `depth_multiplier` kernels of `kernel_size` (strides,
//! dilation, `valid`/`same` padding as Conv2D), output channel
//! `c·depth_multiplier + m`, then the bias and the activation.

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

/// Keras's `DepthwiseConv2D`.
pub struct DepthwiseConv2D;

/// `(argument prefix, weight name)` of its kernel: Keras 3 names the
/// `depthwise_initializer`'s tensor `kernel`.
const KERNELS: &[(&str, &str, &str)] = &[("depthwise", "kernel", "glorot_uniform")];

impl Kind for DepthwiseConv2D {
    fn names(&self) -> &'static [&'static str] {
        &["DepthwiseConv2D"]
    }
    fn class(&self) -> &'static str {
        "DepthwiseConv2D"
    }
    fn auto_name(&self) -> &'static str {
        "depthwise_conv2d"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[
            required("kernel_size", Ty::Pair),
            positional("activation", Ty::Activation),
            arg("strides", Ty::Pair),
            arg("padding", Ty::Padding),
            arg("depth_multiplier", Ty::Size),
            arg("dilation_rate", Ty::Pair),
            arg("use_bias", Ty::Bool),
            arg("depthwise_initializer", Ty::Initializer),
            arg("bias_initializer", Ty::Initializer),
            arg("depthwise_regularizer", Ty::Regularizer),
            arg("bias_regularizer", Ty::Regularizer),
            arg("depthwise_constraint", Ty::Constraint),
            arg("bias_constraint", Ty::Constraint),
        ];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, cx: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Config {
            depth_multiplier: depth_multiplier(args, "DepthwiseConv2D", cx),
            window: Window::two(
                args.pair("kernel_size", [1, 1]),
                args.pair("strides", [1, 1]),
                args.pair("dilation_rate", [1, 1]),
                args.padding("padding"),
            ),
            activation: args.activation("activation"),
            tensors: KernelBias::named(args, KERNELS),
            placed: std::cell::OnceCell::new(),
        })
    }
}

/// `depth_multiplier` (default 1), which must be written as a number.
pub(super) fn depth_multiplier(args: &Args, kind: &str, cx: &mut Ctxt) -> u64 {
    match args.size("depth_multiplier") {
        Dim::Lit(n) => n,
        Dim::Sym(_) => {
            if let Some(span) = args.span("depth_multiplier") {
                cx.error(
                    span,
                    format!(
                        "`depth_multiplier` of `{kind}` must be a number (`depth_multiplier = 2`), not a const item"
                    ),
                );
            }
            1
        }
    }
}

/// The runtime's scratch per sample of a depthwise stage: the input with each
/// channel repeated `depth_multiplier` times, none when it is 1.
pub(super) fn expanded(p: &Placed, depth_multiplier: u64) -> u64 {
    match depth_multiplier {
        1 => 0,
        m => p.input.iter().product::<u64>() * m,
    }
}

/// A `DepthwiseConv2D` layer's arguments, Keras's defaults filled in.
struct Config {
    depth_multiplier: u64,
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
    /// Output channels: `in · depth_multiplier`.
    fn channels(&self) -> u64 {
        self.placed().input[2] * self.depth_multiplier
    }
    /// `[kh, kw, in, dm]` and `[in · dm]` as `&'static [usize]` expressions.
    fn shapes(&self) -> TokenStream {
        let ([kh, kw], c, m) = (self.window.size, self.placed().input[2], self.depth_multiplier);
        let u = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
        let (kh, kw, cl, ml, f) = (u(kh), u(kw), u(c), u(m), u(c * m));
        quote!(({
            const KERNEL: &[usize] = &[#kh, #kw, #cl, #ml];
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
                let out =
                    vec![Dim::Lit(p.output[0]), Dim::Lit(p.output[1]), Dim::Lit(p.input[2] * self.depth_multiplier)];
                let _ = self.placed.set(p);
                out
            }
            None => vec![Dim::Lit(1), Dim::Lit(1), Dim::Lit(self.depth_multiplier)],
        }
    }
    fn weights(&self, _: &Io) -> Vec<Weight> {
        let Some(p) = self.placed.get() else { return Vec::new() };
        let [kh, kw] = self.window.size;
        let kernel = vec![Dim::Lit(kh), Dim::Lit(kw), Dim::Lit(p.input[2]), Dim::Lit(self.depth_multiplier)];
        self.tensors.weights(kernel, Dim::Lit(self.channels()))
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let i = io.width_in();
        let o = proc_macro2::Literal::u64_unsuffixed(p.output[0] * p.output[1] * self.channels());
        let x = proc_macro2::Literal::u64_unsuffixed(expanded(p, self.depth_multiplier));
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::DepthwiseConv2D<{ #i }, { #o }, { #x }, ::nn::activations::#a>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let g = self.placed().geometry(&self.window, self.channels());
        let (shapes, init) = (self.shapes(), self.tensors.initializers());
        quote!(::nn::layers::DepthwiseConv2D::new(#g, #shapes, #init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (g, params) = (self.placed().geometry(&self.window, self.channels()), KernelBias::params(weights));
        quote!(::nn::layers::DepthwiseConv2D::from_params(#g, #params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}
