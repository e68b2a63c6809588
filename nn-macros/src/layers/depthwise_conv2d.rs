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
use crate::dims::{product, Dim};
use crate::parse::LayerDecl;
use crate::sizes;
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
            positional("depthwise_initializer", Ty::Initializer),
            arg("bias_initializer", Ty::Initializer),
            arg("depthwise_regularizer", Ty::Regularizer),
            arg("bias_regularizer", Ty::Regularizer),
            arg("depthwise_constraint", Ty::Constraint),
            arg("bias_constraint", Ty::Constraint),
        ];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Config {
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

/// The runtime's scratch per sample of a depthwise stage: the input with each
/// channel repeated `depth_multiplier` times, none when it is 1.
pub(super) fn expanded(p: &Placed, depth_multiplier: &Dim) -> Dim {
    sizes::expanded(&product(&p.input), depth_multiplier)
}

/// A `DepthwiseConv2D` layer's arguments, Keras's defaults filled in.
struct Config {
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
    /// Output channels: `in · depth_multiplier`.
    fn channels(&self) -> Dim {
        product(&[self.placed().input[2].clone(), self.depth_multiplier.clone()])
    }
    /// Keras's kernel shape: `[kh, kw, in, depth_multiplier]`.
    fn kernel_shape(&self) -> Vec<Dim> {
        let [kh, kw] = self.window.size.clone();
        vec![kh, kw, self.placed().input[2].clone(), self.depth_multiplier.clone()]
    }
}

impl Spec for Config {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        match self.window.place(input, decl, name, "kernel", cx) {
            Some(p) => {
                let _ = self.placed.set(p);
                self.placed().shape(&self.channels())
            }
            None => vec![Dim::Lit(1), Dim::Lit(1), self.depth_multiplier.clone()],
        }
    }
    fn weights(&self, _: &Io) -> Vec<Weight> {
        if self.placed.get().is_none() {
            return Vec::new();
        }
        self.tensors.weights(self.kernel_shape(), self.channels())
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let i = io.width_in();
        let o = product(&[p.positions(), self.channels()]).tokens();
        let x = expanded(p, &self.depth_multiplier).tokens();
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::DepthwiseConv2D<{ #i }, { #o }, { #x }, ::nn::activations::#a>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let g = self.placed().geometry(&self.window, &self.channels());
        let shapes = KernelBias::shapes(&[self.kernel_shape()], &self.channels());
        let init = self.tensors.initializers();
        quote!(::nn::layers::DepthwiseConv2D::new(#g, #shapes, #init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (g, params) = (self.placed().geometry(&self.window, &self.channels()), KernelBias::params(weights));
        quote!(::nn::layers::DepthwiseConv2D::from_params(#g, #params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}
