//! What is emitted when a declaration has mistakes: the errors, and the struct
//! with its name and the methods' names, so that code using the model does
//! not add a cascade of secondary errors.

use proc_macro2::TokenStream;
use quote::quote;

use crate::check::Errors;
use crate::parse::Head;

pub fn emit(head: &Head, errors: Errors) -> TokenStream {
    let errors = errors.finish().map(|e| e.to_compile_error());
    let Head { attrs, vis, ident, .. } = head;
    quote! {
        #errors
        #(#attrs)*
        #vis struct #ident {}

        #[allow(dead_code, unused_variables, clippy::all)]
        impl #ident {
            pub const NAME: &'static str = "";
            pub const PARAMS: usize = 0;
            pub const TRAINABLE_PARAMS: usize = 0;
            pub const NON_TRAINABLE_PARAMS: usize = 0;
            pub fn seeded(seed: u64) -> Self {
                ::core::panic!("the declaration has errors")
            }
            pub fn summary(&self) -> ::std::string::String {
                ::core::panic!("the declaration has errors")
            }
        }
    }
}
