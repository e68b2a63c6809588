//! A `sequential!` model as a layer of another (Keras's
//! `Sequential([encoder, Dense(10)])`), from what its describing macro said
//! of it: its field is the model itself, its summary row
//! `encoder (Sequential)`, its weights `encoder.dense.kernel`, ...

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Spec, Weight};
use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::dims::{show_shape, Dim};
use crate::vocab::snake_case;
use std::collections::HashMap;

use crate::nested::Described;
use crate::parse::LayerDecl;

/// A nested model's kind: its type name, Keras's class `Sequential`, its `NAME` as auto-name.
pub struct Nested {
    names: &'static [&'static str],
    auto_name: &'static str,
    described: &'static Described,
}

impl Nested {
    /// The kind of the model `described` (it lives as long as the macro's process: kinds are `'static`).
    pub fn leak(described: Described) -> &'static Nested {
        let name: &'static str = Box::leak(described.ident.to_string().into_boxed_str());
        let auto_name: &'static str = Box::leak(snake_case(name).into_boxed_str());
        let names: &'static [&'static str] = Box::leak(vec![name].into_boxed_slice());
        Box::leak(Box::new(Nested { names, auto_name, described: Box::leak(Box::new(described)) }))
    }
}

impl Kind for Nested {
    fn names(&self) -> &'static [&'static str] {
        self.names
    }
    fn class(&self) -> &'static str {
        "Sequential"
    }
    fn auto_name(&self) -> &'static str {
        self.auto_name
    }
    fn build(&self, decl: &LayerDecl, _: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Inner { described: self.described, ty: decl.kind.clone() })
    }
}

/// The nested model with its type as written (for spans).
struct Inner {
    described: &'static Described,
    ty: syn::Ident,
}

impl Spec for Inner {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let want = &self.described.input;
        let ty = &self.ty;
        let literal = input.iter().chain(want).all(|d| matches!(d, Dim::Lit(_)));
        let same = input.len() == want.len()
            && input.iter().zip(want).all(|(a, b)| matches!((a, b), (Dim::Lit(x), Dim::Lit(y)) if x == y));
        let msg = format!(
            "layer `{name}` ({ty}) takes input shape {} (`{ty}::INPUT_SHAPE`), but the layer before it outputs {}; \
             change the layers before it, or add a `Reshape[..]`",
            show_shape(want),
            show_shape(input)
        );
        if literal || input.len() != want.len() {
            if !same {
                cx.error(decl.kind.span(), msg);
            }
        } else {
            for (a, b) in input.iter().zip(want) {
                let (a, b) = (a.tokens(), b.tokens());
                cx.assert(decl.kind.span(), quote!(#a == #b), &msg);
            }
        }
        self.described.output.clone()
    }
    fn weights(&self, _: &Io) -> Vec<Weight> {
        let w = &self.described.weights;
        w.iter().map(|w| Weight::new(w.name.clone(), w.shape.clone(), w.trainable)).collect()
    }
    fn ty(&self, _: &Io) -> TokenStream {
        let ty = &self.ty;
        quote!(#ty)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let ty = &self.ty;
        // The inner model's seed, for its dropout layers' inference seeds.
        quote!(#ty::__nn_init(&mut rng, ::nn::layers::layer_seed(seed, stringify!(#ty))))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let ty = &self.ty;
        quote!(#ty::__nn_from_params(#(#weights),*))
    }
    fn ends_in_softmax(&self) -> bool {
        self.described.softmax
    }
}

/// Whether an unknown layer kind is taken for a model to nest: a type-like
/// name that is not a typo of a layer kind (`Dens` still gets its
/// suggestion).
pub fn looks_like_model(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && super::find(name).is_none()
        && crate::vocab::suggest(name, super::names()).is_none()
}

/// The call back to the describing macro of the first model the
/// declaration nests without a description yet, if any: `Encoder! {
/// @nn_describe { <the whole input> } }`.
pub fn callback<'a>(
    mut decls: impl Iterator<Item = &'a LayerDecl>,
    described: &HashMap<String, Described>,
    local: &dyn Fn(&str) -> bool,
    input: &TokenStream,
) -> Option<TokenStream> {
    let ident = decls.find_map(|d| {
        let name = d.kind.to_string();
        (!described.contains_key(&name) && !local(&name) && looks_like_model(&name)).then_some(&d.kind)
    })?;
    Some(quote!(#ident! { @nn_describe { #input } }))
}
