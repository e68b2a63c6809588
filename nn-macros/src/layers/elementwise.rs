//! What the layers that act on each value alone share (LeakyReLU, ELU,
//! ReLU, the dropouts and noises, RReLU): the shape passes through, the
//! runtime type is sized by the values per sample, and the constructor takes
//! the layer's float arguments in order.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Pass, Spec, Streams};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;

/// A layer applied value by value: `nn::layers::<ty><{ values per sample }>::new(args..)`.
pub(super) struct Elementwise {
    /// The runtime type in `nn::layers`.
    pub ty: &'static str,
    /// The constructor's arguments (`f32` expressions), in order.
    pub args: Vec<TokenStream>,
    /// Whether it acts at inference too, or only in training.
    pub pass: Pass,
}

impl Spec for Elementwise {
    fn output(&self, input: &[Dim], _: &LayerDecl, _: &str, _: &mut Ctxt) -> Vec<Dim> {
        input.to_vec()
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let (t, n) = (syn::Ident::new(self.ty, proc_macro2::Span::call_site()), io.width_in());
        quote!(::nn::layers::#t<{ #n }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let (t, args) = (syn::Ident::new(self.ty, proc_macro2::Span::call_site()), &self.args);
        quote!(::nn::layers::#t::new(#(#args),*))
    }
    fn pass(&self) -> Pass {
        self.pass
    }
    /// Value by value: one row is a step.
    fn streams(&self) -> Streams {
        Streams::Frame
    }
}
