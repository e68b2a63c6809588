//! The book's Monte Carlo dropout (`class MCDropout(keras.layers.Dropout)`,
//! called with `training=True`): dropout that stays on at inference, so that
//! `predict_mc` can average many passes.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Spec};
use crate::args::{required, ArgSpec, Args, UNIT};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;

/// `MCDropout(rate)`: inverted dropout in training and at inference.
pub struct McDropout;

/// `MCAlphaDropout(rate)`: AlphaDropout in training and at inference.
pub struct McAlphaDropout;

const ARGS: &[ArgSpec] = &[required("rate", UNIT)];

impl Kind for McDropout {
    fn names(&self) -> &'static [&'static str] {
        &["MCDropout"]
    }
    fn class(&self) -> &'static str {
        "MCDropout"
    }
    fn auto_name(&self) -> &'static str {
        "mc_dropout"
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Mc { ty: "McDropout", rate: args.float("rate", 0.0) })
    }
}

impl Kind for McAlphaDropout {
    fn names(&self) -> &'static [&'static str] {
        &["MCAlphaDropout"]
    }
    fn class(&self) -> &'static str {
        "MCAlphaDropout"
    }
    fn auto_name(&self) -> &'static str {
        "mc_alpha_dropout"
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Mc { ty: "McAlphaDropout", rate: args.float("rate", 0.0) })
    }
}

/// An MC layer: active in both modes; in `seeded` its masks' seed is drawn
/// from the model's generator (so a model's seed fixes its MC samples), over
/// embedded weights it is seed 0.
struct Mc {
    ty: &'static str,
    rate: TokenStream,
}

impl Mc {
    fn path(&self) -> TokenStream {
        let t = syn::Ident::new(self.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::#t)
    }
}

impl Spec for Mc {
    fn output(&self, input: &[Dim], _: &LayerDecl, _: &str, _: &mut Ctxt) -> Vec<Dim> {
        input.to_vec()
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let (path, n) = (self.path(), io.width_in());
        quote!(#path<{ #n }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let (path, rate) = (self.path(), &self.rate);
        quote!(#path::seeded(#rate, &mut rng))
    }
    fn over_weights(&self, _: &Io, _: &[TokenStream]) -> TokenStream {
        let (path, rate) = (self.path(), &self.rate);
        quote!(#path::new(#rate))
    }
}
