//! Keras's `SeparableConv2D` (channels last): a depthwise convolution
//! (`depth_multiplier` kernels of `kernel_size` per input channel, strides,
//! dilation, `valid`/`same` padding) then a pointwise 1×1 convolution into
//! `filters`, then the bias and the activation.

use proc_macro2::TokenStream;
use quote::quote;

use super::conv2d::filters;
use super::depthwise_conv2d::{depth_multiplier, expanded};
use super::kernel_bias::KernelBias;
use super::window::{Placed, Window};
use super::{Io, Kind, Spec, Weight};
use crate::args::{arg, positional, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;
use crate::vocab::Act;

/// Keras's `SeparableConv2D` (alias `SeparableConvolution2D`).
pub struct SeparableConv2D;

/// `(argument prefix, weight name)` of its kernels, in Keras's weight order.
const KERNELS: &[(&str, &str, &str)] =
    &[("depthwise", "depthwise_kernel", "glorot_uniform"), ("pointwise", "pointwise_kernel", "glorot_uniform")];

impl Kind for SeparableConv2D {
    fn names(&self) -> &'static [&'static str] {
        &["SeparableConv2D", "SeparableConvolution2D"]
    }
    fn class(&self) -> &'static str {
        "SeparableConv2D"
    }
    fn auto_name(&self) -> &'static str {
        "separable_conv2d"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[
            required("filters", Ty::Size),
            required("kernel_size", Ty::Pair),
            positional("activation", Ty::Activation),
            arg("strides", Ty::Pair),
            arg("padding", Ty::Padding),
            arg("depth_multiplier", Ty::Size),
            arg("dilation_rate", Ty::Pair),
            arg("use_bias", Ty::Bool),
            arg("depthwise_initializer", Ty::Initializer),
            arg("pointwise_initializer", Ty::Initializer),
            arg("bias_initializer", Ty::Initializer),
            arg("depthwise_regularizer", Ty::Regularizer),
            arg("pointwise_regularizer", Ty::Regularizer),
            arg("bias_regularizer", Ty::Regularizer),
            arg("depthwise_constraint", Ty::Constraint),
            arg("pointwise_constraint", Ty::Constraint),
            arg("bias_constraint", Ty::Constraint),
        ];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, cx: &mut Ctxt) -> Box<dyn Spec> {
        let filters = filters(args, "SeparableConv2D", cx);
        Box::new(Config {
            filters,
            depth_multiplier: depth_multiplier(args, "SeparableConv2D", cx),
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

/// A `SeparableConv2D` layer's arguments, Keras's defaults filled in.
struct Config {
    filters: u64,
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
    /// Channels between the two stages: `in · depth_multiplier`.
    fn middle(&self) -> u64 {
        self.placed().input[2] * self.depth_multiplier
    }
    /// `[kh, kw, in, dm]`, `[1, 1, in · dm, filters]` and `[filters]`.
    fn shape_dims(&self) -> [Vec<u64>; 3] {
        let ([kh, kw], c, m, f) = (self.window.size, self.placed().input[2], self.depth_multiplier, self.filters);
        [vec![kh, kw, c, m], vec![1, 1, c * m, f], vec![f]]
    }
    /// The three shapes as `&'static [usize]` expressions.
    fn shapes(&self) -> TokenStream {
        let [d, p, b] = self.shape_dims().map(|s| {
            let s = s.into_iter().map(proc_macro2::Literal::u64_unsuffixed);
            quote!({
                const SHAPE: &[usize] = &[#(#s),*];
                SHAPE
            })
        });
        quote!((#d, #p, #b))
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
    fn weights(&self, _: &Io) -> Vec<Weight> {
        if self.placed.get().is_none() {
            return Vec::new();
        }
        let [d, p, _] = self.shape_dims().map(|s| s.into_iter().map(Dim::Lit).collect::<Vec<_>>());
        self.tensors.weights_of(vec![d, p], Dim::Lit(self.filters))
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let positions = p.output[0] * p.output[1];
        let i = io.width_in();
        let u = |v: u64| proc_macro2::Literal::u64_unsuffixed(v);
        // The depthwise output, then the expanded input (depth_multiplier above 1).
        let scratch = positions * self.middle() + expanded(p, self.depth_multiplier);
        let (o, mid) = (u(positions * self.filters), u(scratch));
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::SeparableConv2D<{ #i }, { #o }, { #mid }, ::nn::activations::#a>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let g = self.placed().geometry(&self.window, self.middle());
        let (shapes, init) = (self.shapes(), self.tensors.initializers());
        quote!(::nn::layers::SeparableConv2D::new(#g, #shapes, #init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (g, params) = (self.placed().geometry(&self.window, self.middle()), KernelBias::params_of(2, weights));
        quote!(::nn::layers::SeparableConv2D::from_params(#g, #params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}
