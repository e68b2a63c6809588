//! The `sequential!` macro of the `nn` crate.
//!
//! A pipeline of small steps: `parse` reads the declaration, `check` resolves
//! every argument and infers every shape (collecting all mistakes as
//! `syn::Error`s at their tokens), `expand` writes the struct and its
//! methods. On a mistake `fallback` still emits the struct, so the user sees
//! the mistakes and no cascade of "cannot find type" errors.

mod check;
mod expand;
mod fallback;
mod layers;
mod parse;

use proc_macro::TokenStream;

/// Declares a model: a struct with one field per layer, compile-time checked
/// shapes, and Keras-like methods (`seeded`, `summary`, `predict`,
/// `predict_one`, `train_on_batch`, `evaluate`, `fit`, `save_weights`,
/// `load_weights`).
///
/// ```ignore
/// nn::sequential! {
///     pub struct SeedMlp {
///         Flatten[28, 28], BatchNorm,
///         Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
///         Dense(10, softmax),
///     }
/// }
/// ```
#[proc_macro]
pub fn sequential(input: TokenStream) -> TokenStream {
    let head = match syn::parse::<parse::Head>(input) {
        Ok(h) => h,
        Err(e) => return e.to_compile_error().into(),
    };
    let mut errors = check::Errors::default();
    let layers = match syn::parse2::<parse::Layers>(head.body.clone()) {
        Ok(l) => l.0,
        Err(e) => {
            errors.push(e);
            return fallback::emit(&head, errors).into();
        }
    };
    let model = check::check(&layers, head.ident.span(), &mut errors);
    if errors.has_errors() {
        return fallback::emit(&head, errors).into();
    }
    expand::model(&head, &model).into()
}
