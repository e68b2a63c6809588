//! Keras's `Reshape`: the same values in the shape of its brackets, one
//! size of which may be `-1` (inferred).

use proc_macro2::TokenStream;
use quote::quote;

use super::flatten::View;
use super::{Brackets, Io, Kind, Pass, Spec};
use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::dims::{dims_of, int_lit, product, show_shape, Dim};
use crate::parse::LayerDecl;

/// Keras's `Reshape`.
pub struct Reshape;

impl Kind for Reshape {
    fn names(&self) -> &'static [&'static str] {
        &["Reshape"]
    }
    fn class(&self) -> &'static str {
        "Reshape"
    }
    fn auto_name(&self) -> &'static str {
        "reshape"
    }
    fn brackets(&self) -> Brackets {
        Brackets::Own
    }
    fn build(&self, _: &LayerDecl, _: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Target)
    }
}

/// A reshape to the shape in the layer's brackets.
struct Target;

impl Spec for Target {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let Some(shape) = &decl.shape else {
            cx.error(decl.kind.span(), "`Reshape` needs the target shape: `Reshape[7, 112]`");
            return input.to_vec();
        };
        let span = shape.bracket.span.join();
        let mut dims = dims_of("a size of `Reshape[..]`", &shape.dims, span, true, cx);
        let holes = shape.dims.iter().filter(|e| int_lit(e) == Some(-1)).count();
        let total = product(input);
        if holes > 1 {
            cx.error(span, format!("layer `{name}`: at most one size of a Reshape may be -1"));
            return dims;
        }
        let known: Vec<Dim> =
            dims.iter().zip(&shape.dims).filter(|(_, e)| int_lit(e) != Some(-1)).map(|(d, _)| d.clone()).collect();
        let known_product = product(&known);
        match (&total, &known_product) {
            (Dim::Lit(t), Dim::Lit(k)) => {
                let ok = if holes == 1 { *k > 0 && t % k == 0 } else { t == k };
                if !ok {
                    let what = if holes == 1 { format!("a multiple of {k}") } else { k.to_string() };
                    cx.error(
                        span,
                        format!(
                            "layer `{name}`: cannot reshape {} ({t} values) to {} ({what} values); the target sizes must multiply to {t}",
                            show_shape(input),
                            show_shape(&dims).replace(", 0", ", -1")
                        ),
                    );
                } else if holes == 1 {
                    for d in dims.iter_mut().zip(&shape.dims).filter(|(_, e)| int_lit(e) == Some(-1)) {
                        *d.0 = Dim::Lit(t / k);
                    }
                }
            }
            _ => {
                let (tt, kt) = (total.tokens(), known_product.tokens());
                let msg = format!(
                    "layer `{name}`: Reshape to {} must keep the element count of {}",
                    show_shape(&dims),
                    show_shape(input)
                );
                if holes == 1 {
                    cx.assert(span, quote!(#tt % #kt == 0), &msg);
                    for d in dims.iter_mut().zip(&shape.dims).filter(|(_, e)| int_lit(e) == Some(-1)) {
                        *d.0 = Dim::sym(quote!(#tt / #kt), format!("{} / {}", total.op(), known_product.op()));
                    }
                } else {
                    cx.assert(span, quote!(#tt == #kt), &msg);
                }
            }
        }
        dims
    }
    fn ty(&self, io: &Io) -> TokenStream {
        View.ty(io)
    }
    fn init(&self, io: &Io) -> TokenStream {
        View.init(io)
    }
    fn pass(&self) -> Pass {
        Pass::View
    }
}
