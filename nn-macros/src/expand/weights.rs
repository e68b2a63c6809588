//! `M::embedded()`: the model over the weights of `#[weights = ".."]`, built
//! in a `const fn` from tensors viewed in place in the `include_bytes!` of
//! the file (checked against the declaration in `crate::weights`).

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::weights::{param, Embedded, Expected};

/// The `embedded` constructor, for the inherent `impl`.
pub fn embedded(ident: &Ident, expected: &[Expected], file: &Embedded) -> TokenStream {
    let bytes = quote!(__NN_WEIGHTS);
    let path = &file.path;
    let asserts = &file.asserts;
    let bytes_of = match &file.bytes {
        None => quote!(::core::include_bytes!(#path)),
        Some(b) => {
            let lit = proc_macro2::Literal::byte_string(b);
            // The archive itself, for cargo to rebuild when it changes.
            quote!({
                const _: &[u8] = ::core::include_bytes!(#path);
                #lit
            })
        }
    };
    let params = expected.iter().zip(&file.tensors).map(|(e, t)| param(e, t, &bytes));
    let doc = format!(
        " The model over the weights of `{}`, baked into the binary when the crate was built \
         (and checked against the declaration then). A `const fn`: no file, no parsing and \
         no allocation at run time, so that `static MODEL: {ident} = {ident}::embedded();` works.",
        file.path.rsplit(['/', '\\']).next().unwrap_or(&file.path),
    );
    quote! {
        #[doc = #doc]
        pub const fn embedded() -> Self {
            // safetensors stores little-endian floats, viewed in place here.
            #[cfg(target_endian = "big")]
            ::core::compile_error!("`#[weights = \"..\"]` needs a little-endian target: the floats are used in place");
            #(#asserts)*
            #[allow(dead_code)] // in a model without weights
            static __NN_WEIGHTS: &::nn::runtime::param::Aligned<[u8]> = &::nn::runtime::param::Aligned(*#bytes_of);
            Self::__nn_from_params(#(#params),*)
        }
    }
}
