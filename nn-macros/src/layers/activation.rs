//! Keras's `Activation` layer: a function on the last axis.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Spec, Streams};
use crate::args::{required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;
use crate::vocab::Act;

/// Keras's `Activation`.
pub struct Activation;

impl Kind for Activation {
    fn names(&self) -> &'static [&'static str] {
        &["Activation"]
    }
    fn class(&self) -> &'static str {
        "Activation"
    }
    fn auto_name(&self) -> &'static str {
        "activation"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[required("activation", Ty::Activation)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Apply(args.activation("activation")))
    }
}

/// An activation applied as a layer of its own (also Keras's `Softmax` layer).
pub(super) struct Apply(pub(super) &'static Act);

impl Spec for Apply {
    fn output(&self, input: &[Dim], _: &LayerDecl, _: &str, _: &mut Ctxt) -> Vec<Dim> {
        input.to_vec()
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let a = syn::Ident::new(self.0.ty, proc_macro2::Span::call_site());
        let f = io.features_in().tokens();
        quote!(::nn::layers::Activation<::nn::activations::#a, { #f }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        quote!(::nn::layers::Activation::new())
    }
    fn ends_in_softmax(&self) -> bool {
        self.0.is_softmax()
    }
    fn streams(&self) -> Streams {
        Streams::Frame
    }
}
