//! Keras's `Dense`: `activation(x · kernel + bias)` on the last axis.

use proc_macro2::TokenStream;
use quote::quote;

use super::kernel_bias::KernelBias;
use super::{Io, Kind, Spec, Streams, Weight};
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
            tensors: KernelBias::new(args),
        })
    }
}

/// A `Dense` layer's arguments, Keras's defaults filled in.
struct Config {
    units: Dim,
    activation: &'static Act,
    tensors: KernelBias,
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
        self.tensors.weights(vec![io.features_in(), self.units.clone()], self.units.clone())
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let (i, o) = (io.features_in().tokens(), self.units.tokens());
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::Dense<{ #i }, { #o }, ::nn::activations::#a>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let init = self.tensors.initializers();
        quote!(::nn::layers::Dense::new(#init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let params = KernelBias::params(weights);
        quote!(::nn::layers::Dense::from_params(#params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
    fn streams(&self) -> Streams {
        Streams::Frame
    }
}
