//! Keras's `BatchNormalization` over the last axis.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Spec, Streams, Weight};
use crate::args::{arg, ArgSpec, Args, POSITIVE, UNIT_CLOSED};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;

/// Keras's `BatchNormalization` (alias `BatchNorm`).
pub struct BatchNorm;

impl Kind for BatchNorm {
    fn names(&self) -> &'static [&'static str] {
        &["BatchNorm", "BatchNormalization"]
    }
    fn class(&self) -> &'static str {
        "BatchNormalization"
    }
    fn auto_name(&self) -> &'static str {
        "batch_normalization"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[arg("momentum", UNIT_CLOSED), arg("epsilon", POSITIVE)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Config { momentum: args.float("momentum", 0.99), epsilon: args.float("epsilon", 1e-3) })
    }
}

/// BatchNorm's arguments, Keras's defaults filled in.
struct Config {
    momentum: TokenStream,
    epsilon: TokenStream,
}

impl Spec for Config {
    fn output(&self, input: &[Dim], _: &LayerDecl, _: &str, _: &mut Ctxt) -> Vec<Dim> {
        input.to_vec()
    }
    fn weights(&self, io: &Io) -> Vec<Weight> {
        let f = || vec![io.features_in()];
        vec![
            Weight::new("gamma", f(), true),
            Weight::new("beta", f(), true),
            Weight::new("moving_mean", f(), false),
            Weight::new("moving_variance", f(), false),
        ]
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let f = io.features_in().tokens();
        quote!(::nn::layers::BatchNorm<{ #f }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let (m, e) = (&self.momentum, &self.epsilon);
        quote!(::nn::layers::BatchNorm::new(#m, #e))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (m, e) = (&self.momentum, &self.epsilon);
        quote!(::nn::layers::BatchNorm::from_params(#(#weights,)* #m, #e))
    }
    fn streams(&self) -> Streams {
        Streams::Frame
    }
}
