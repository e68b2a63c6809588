//! Keras's `Flatten`: every axis but the batch into one.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Pass, Spec};
use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::dims::{product, Dim};
use crate::parse::LayerDecl;

/// Keras's `Flatten`.
pub struct Flatten;

impl Kind for Flatten {
    fn names(&self) -> &'static [&'static str] {
        &["Flatten"]
    }
    fn class(&self) -> &'static str {
        "Flatten"
    }
    fn auto_name(&self) -> &'static str {
        "flatten"
    }
    fn build(&self, _: &LayerDecl, _: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(View)
    }
}

/// A layer that only changes the shape (Flatten, Reshape): no step in either mode.
pub(super) struct View;

impl Spec for View {
    fn output(&self, input: &[Dim], _: &LayerDecl, _: &str, _: &mut Ctxt) -> Vec<Dim> {
        vec![product(input)]
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let n = io.width_in();
        quote!(::nn::layers::Reshape<{ #n }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        quote!(::nn::layers::Reshape)
    }
    fn pass(&self) -> Pass {
        Pass::View
    }
}
