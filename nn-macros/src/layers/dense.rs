//! Keras's `Dense`: `activation(x · kernel + bias)` on the last axis.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Spec, Weight};
use crate::args::{arg, positional, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;
use crate::vocab::Act;

/// Keras's `Dense`.
pub struct Dense;

impl Kind for Dense {
    fn names(&self) -> &'static [&'static str] {
        &["Dense"]
    }
    fn class(&self) -> &'static str {
        "Dense"
    }
    fn auto_name(&self) -> &'static str {
        "dense"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[
            required("units", Ty::Size),
            positional("activation", Ty::Activation),
            positional("kernel_initializer", Ty::Initializer),
            arg("bias_initializer", Ty::Initializer),
            arg("use_bias", Ty::Bool),
            arg("kernel_regularizer", Ty::Regularizer),
            arg("bias_regularizer", Ty::Regularizer),
            arg("kernel_constraint", Ty::Constraint),
            arg("bias_constraint", Ty::Constraint),
        ];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Config {
            units: args.size("units"),
            activation: args.activation("activation"),
            kernel_initializer: args.initializer("kernel_initializer", "glorot_uniform"),
            bias_initializer: args.flag("use_bias", true).then(|| args.initializer("bias_initializer", "zeros")),
            kernel: (args.regularizer("kernel_regularizer"), args.constraint("kernel_constraint")),
            bias: (args.regularizer("bias_regularizer"), args.constraint("bias_constraint")),
        })
    }
}

/// A `Dense` layer's arguments, Keras's defaults filled in.
struct Config {
    units: Dim,
    activation: &'static Act,
    kernel_initializer: TokenStream,
    /// `None` with `use_bias = false` (`no_bias`).
    bias_initializer: Option<TokenStream>,
    /// The kernel's regularizer and constraint.
    kernel: (Option<TokenStream>, Option<TokenStream>),
    /// The bias's regularizer and constraint.
    bias: (Option<TokenStream>, Option<TokenStream>),
}

impl Spec for Config {
    fn output(&self, input: &[Dim], _: &LayerDecl, _: &str, _: &mut Ctxt) -> Vec<Dim> {
        let mut out = input.to_vec();
        match out.last_mut() {
            Some(last) => *last = self.units.clone(),
            None => out.push(self.units.clone()),
        }
        out
    }
    fn weights(&self, io: &Io) -> Vec<Weight> {
        let (kr, kc) = self.kernel.clone();
        let mut w = vec![Weight::new("kernel", vec![io.features_in(), self.units.clone()], true).with(kr, kc)];
        if self.bias_initializer.is_some() {
            let (br, bc) = self.bias.clone();
            w.push(Weight::new("bias", vec![self.units.clone()], true).with(br, bc));
        }
        w
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let (i, o) = (io.features_in().tokens(), self.units.tokens());
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::Dense<{ #i }, { #o }, ::nn::activations::#a>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let kernel = &self.kernel_initializer;
        let bias = match &self.bias_initializer {
            Some(b) => quote!(::core::option::Option::Some(&#b)),
            None => quote!(::core::option::Option::None),
        };
        quote!(::nn::layers::Dense::new(&#kernel, #bias, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let kernel = &weights[0];
        let bias = match weights.get(1) {
            Some(b) => quote!(::core::option::Option::Some(#b)),
            None => quote!(::core::option::Option::None),
        };
        quote!(::nn::layers::Dense::from_params(#kernel, #bias))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}
