//! Keras's `SeparableConv2D` (channels last): a depthwise convolution
//! (`depth_multiplier` kernels of `kernel_size` per input channel, strides,
//! dilation, `valid`/`same` padding) then a pointwise 1×1 convolution into
//! `filters`, then the bias and the activation.

use proc_macro2::TokenStream;
use quote::quote;

use super::depthwise_conv2d::expanded;
use super::kernel_bias::KernelBias;
use super::window::{Placed, Window};
use super::{Io, Kind, Spec, Weight};
use crate::args::{arg, positional, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::{product, sum, Dim};
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
            positional("depthwise_initializer", Ty::Initializer),
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
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Config {
            filters: args.size("filters"),
            depth_multiplier: args.size("depth_multiplier"),
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
    filters: Dim,
    depth_multiplier: Dim,
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
    fn middle(&self) -> Dim {
        product(&[self.placed().input[2].clone(), self.depth_multiplier.clone()])
    }
    /// The kernels' shapes: `[kh, kw, in, dm]` and `[1, 1, in · dm, filters]`.
    fn kernel_shapes(&self) -> Vec<Vec<Dim>> {
        let [kh, kw] = self.window.size.clone();
        let (c, m, f) = (self.placed().input[2].clone(), self.depth_multiplier.clone(), self.filters.clone());
        vec![vec![kh, kw, c, m], vec![Dim::Lit(1), Dim::Lit(1), self.middle(), f]]
    }
}

impl Spec for Config {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        match self.window.place(input, decl, name, "kernel", cx) {
            Some(p) => {
                let out = p.shape(&self.filters);
                let _ = self.placed.set(p);
                out
            }
            None => vec![Dim::Lit(1), Dim::Lit(1), self.filters.clone()],
        }
    }
    fn weights(&self, _: &Io) -> Vec<Weight> {
        if self.placed.get().is_none() {
            return Vec::new();
        }
        self.tensors.weights_of(self.kernel_shapes(), self.filters.clone())
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let i = io.width_in();
        // The depthwise output, then the expanded input (depth_multiplier above 1).
        let scratch = sum(&[product(&[p.positions(), self.middle()]), expanded(p, &self.depth_multiplier)]);
        let (o, mid) = (product(&[p.positions(), self.filters.clone()]).tokens(), scratch.tokens());
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::SeparableConv2D<{ #i }, { #o }, { #mid }, ::nn::activations::#a>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let g = self.placed().geometry(&self.window, &self.middle());
        let shapes = KernelBias::shapes(&self.kernel_shapes(), &self.filters);
        let init = self.tensors.initializers();
        quote!(::nn::layers::SeparableConv2D::new(#g, #shapes, #init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (g, params) = (self.placed().geometry(&self.window, &self.middle()), KernelBias::params_of(2, weights));
        quote!(::nn::layers::SeparableConv2D::from_params(#g, #params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}
