//! Models used as layers of another: what an outer `sequential!` is told of
//! each inner model by the inner model's describing macro (its shapes and
//! weights, in front of the outer declaration as `@nn_nested Name { .. }`),
//! and the call back to that macro when the outer declaration names a model
//! it has not been told of yet.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{braced, bracketed, Expr, Ident, LitBool, LitStr, Token};

use crate::dims::{int_lit, Dim};

/// One weight of an inner model: its qualified name, shape and trainability.
pub struct NestedWeight {
    /// `dense.kernel`.
    pub name: String,
    /// Keras's shape.
    pub shape: Vec<Dim>,
    /// Whether the inner model trains it.
    pub trainable: bool,
}

/// What an inner model's describing macro says of it.
pub struct Described {
    /// The model's type name.
    pub ident: Ident,
    /// Its `INPUT_SHAPE`.
    pub input: Vec<Dim>,
    /// Its `OUTPUT_SHAPE`.
    pub output: Vec<Dim>,
    /// Whether its last computing layer ends in softmax.
    pub softmax: bool,
    /// Its weights, in its order.
    pub weights: Vec<NestedWeight>,
}

syn::custom_keyword!(nn_nested);
syn::custom_keyword!(input);
syn::custom_keyword!(output);
syn::custom_keyword!(softmax);
syn::custom_keyword!(weights);

fn sizes(input: ParseStream) -> syn::Result<Vec<Dim>> {
    let content;
    bracketed!(content in input);
    let exprs = content.parse_terminated(Expr::parse, Token![,])?;
    Ok(exprs
        .into_iter()
        .map(|e| match int_lit(&e).and_then(|v| u64::try_from(v).ok()) {
            Some(n) => Dim::Lit(n),
            None => Dim::sym(quote!(#e), quote!(#e).to_string()),
        })
        .collect())
}

impl Parse for Described {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<Token![@]>()?;
        input.parse::<nn_nested>()?;
        let ident: Ident = input.parse()?;
        let body;
        braced!(body in input);
        body.parse::<self::input>()?;
        let inner_input = sizes(&body)?;
        body.parse::<output>()?;
        let output = sizes(&body)?;
        body.parse::<softmax>()?;
        let softmax = body.parse::<LitBool>()?.value;
        body.parse::<weights>()?;
        let list;
        bracketed!(list in body);
        let mut weights = Vec::new();
        while !list.is_empty() {
            let name = list.parse::<LitStr>()?.value();
            let shape = sizes(&list)?;
            let trainable = list.parse::<LitBool>()?.value;
            weights.push(NestedWeight { name, shape, trainable });
            if !list.is_empty() {
                list.parse::<Token![,]>()?;
            }
        }
        Ok(Described { ident, input: inner_input, output, softmax, weights })
    }
}

/// The descriptions in front of a declaration, and the declaration itself.
pub fn take_described(input: TokenStream) -> syn::Result<(HashMap<String, Described>, TokenStream)> {
    syn::parse::Parser::parse2(
        |stream: ParseStream| {
            let mut found = HashMap::new();
            while stream.peek(Token![@]) {
                let d: Described = stream.parse()?;
                found.insert(d.ident.to_string(), d);
            }
            Ok((found, stream.parse::<TokenStream>()?))
        },
        input,
    )
}
