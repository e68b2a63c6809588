//! Shape inference: what each layer kind outputs and requires of its input.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::layers::{Kind, Op};
use crate::parse::LayerDecl;

use super::dims::{dims_of, int_lit, product, show_shape, Dim};
use super::{Errors, Value};

/// The shape a layer outputs, checking what its kind requires of its input.
pub(super) fn infer_shape(
    kind: &Kind,
    decl: &LayerDecl,
    input: &[Dim],
    args: &HashMap<&'static str, Value>,
    name: &str,
    errors: &mut Errors,
    asserts: &mut Vec<TokenStream>,
) -> Vec<Dim> {
    match kind.op {
        Op::Flatten => vec![product(input)],
        Op::Reshape => {
            let Some(shape) = &decl.shape else {
                errors.add(decl.kind.span(), "`Reshape` needs the target shape: `Reshape[7, 112]`");
                return input.to_vec();
            };
            let span = shape.bracket.span.join();
            let mut dims = dims_of("a size of `Reshape[..]`", &shape.dims, span, true, errors, asserts);
            let holes = shape.dims.iter().filter(|e| int_lit(e) == Some(-1)).count();
            let total = product(input);
            if holes > 1 {
                errors.add(span, format!("layer `{name}`: at most one size of a Reshape may be -1"));
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
                        errors.add(
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
                        asserts.push(quote_spanned!(span=> const _: () = ::core::assert!(#tt % #kt == 0, #msg);));
                        for d in dims.iter_mut().zip(&shape.dims).filter(|(_, e)| int_lit(e) == Some(-1)) {
                            *d.0 = Dim::Sym(quote!(#tt / #kt));
                        }
                    } else {
                        asserts.push(quote_spanned!(span=> const _: () = ::core::assert!(#tt == #kt, #msg);));
                    }
                }
            }
            dims
        }
        Op::Dense => {
            let mut out = input.to_vec();
            let units = match args.get("units") {
                Some(Value::Size(d)) => d.clone(),
                _ => Dim::Lit(1),
            };
            if out.is_empty() {
                out.push(units);
            } else {
                *out.last_mut().expect("non-empty") = units;
            }
            out
        }
        _ => input.to_vec(),
    }
}
