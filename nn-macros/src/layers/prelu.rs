//! Keras's `PReLU`: `x` above 0, a learned slope per value below.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Spec, Weight};
use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;

/// Keras's `PReLU`.
pub struct PRelu;

impl Kind for PRelu {
    fn names(&self) -> &'static [&'static str] {
        &["PReLU"]
    }
    fn class(&self) -> &'static str {
        "PReLU"
    }
    fn auto_name(&self) -> &'static str {
        "p_re_lu"
    }
    fn build(&self, _: &LayerDecl, _: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Slopes)
    }
}

/// A slope per value of a sample (Keras's `alpha`, shaped like the input).
struct Slopes;

impl Spec for Slopes {
    fn output(&self, input: &[Dim], _: &LayerDecl, _: &str, _: &mut Ctxt) -> Vec<Dim> {
        input.to_vec()
    }
    fn weights(&self, io: &Io) -> Vec<Weight> {
        vec![Weight::new("alpha", io.input.to_vec(), true)]
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let n = io.width_in();
        quote!(::nn::layers::PRelu<{ #n }>)
    }
    fn init(&self, io: &Io) -> TokenStream {
        let shape = io.input_shape();
        quote!(::nn::layers::PRelu::new(#shape))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let alpha = &weights[0];
        quote!(::nn::layers::PRelu::from_params(#alpha))
    }
}
