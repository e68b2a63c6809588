//! What is emitted when a declaration has mistakes: the errors, and the struct
//! with its name, constants and methods (bodies that never run), so that code
//! using the model does not add a cascade of secondary errors.

use proc_macro2::TokenStream;
use quote::quote;

use crate::check::Model;
use crate::dims::Dim;
use crate::parse::Head;
use crate::vocab::snake_case;

/// The sizes of `dims` when every one is a literal the macro knows.
fn literal(dims: &[Dim]) -> Option<Vec<usize>> {
    dims.iter()
        .map(|d| match d {
            Dim::Lit(n) => usize::try_from(*n).ok(),
            Dim::Sym(..) => None,
        })
        .collect()
}

/// `[[f32; 28]; 28]`.
fn nested(dims: &[usize]) -> TokenStream {
    dims.iter().rev().fold(quote!(f32), |t, d| quote!([#t; #d]))
}

/// The errors, and the struct with every item of the API, so that uses of the
/// model type-check while the declaration is being fixed.
pub fn emit(head: &Head, model: Option<&Model>, errors: Option<syn::Error>) -> TokenStream {
    let errors = errors.map(|e| e.to_compile_error());
    let Head { attrs, vis, ident, .. } = head;
    let name = snake_case(&ident.to_string());
    let shapes = model
        .filter(|m| m.complete)
        .and_then(|m| Some((literal(&m.input)?, literal(m.output())?)))
        .filter(|(i, o)| !i.is_empty() && !o.is_empty());

    // With both shapes known, the exact signatures; else ones that accept anything.
    let (shape_consts, predict_one, y_dim) = match &shapes {
        Some((input, output)) => {
            let (ri, ro) = (input.len(), output.len());
            let (x, y) = (nested(input), nested(output));
            let y_dim = match ro + 1 {
                r @ 1..=6 => {
                    let t = quote::format_ident!("Ix{}", r);
                    quote!(::nn::ndarray::#t)
                }
                _ => quote!(::nn::ndarray::IxDyn),
            };
            (
                quote! {
                    pub const INPUT_SHAPE: [usize; #ri] = [#(#input),*];
                    pub const OUTPUT_SHAPE: [usize; #ro] = [#(#output),*];
                },
                quote! {
                    pub fn predict_one(&self, x: &#x) -> #y {
                        ::core::unreachable!()
                    }
                },
                y_dim,
            )
        }
        None => (
            quote! {
                pub const INPUT_SHAPE: &'static [usize] = &[];
                pub const OUTPUT_SHAPE: &'static [usize] = &[];
            },
            quote! {
                pub fn predict_one<X: ?::core::marker::Sized, Y>(&self, x: &X) -> Y {
                    ::core::unreachable!()
                }
            },
            quote!(::nn::ndarray::IxDyn),
        ),
    };

    // A model that would stream: its state type and `predict_step`, so that their uses add no error.
    let streams = model.is_some_and(|m| m.layers.iter().any(|l| l.spec.streams() == crate::layers::Streams::Step));
    let (stream_items, predict_step) = match streams {
        false => (None, None),
        true => {
            let state = quote::format_ident!("{}Stream", ident);
            (
                Some(quote! {
                    #[derive(Clone, Debug, Default)]
                    #vis struct #state {}
                }),
                Some(quote! {
                    pub fn predict_step<F: ?::core::marker::Sized, Y>(&self, state: &mut #state, frame: &F) -> Y {
                        ::core::unreachable!()
                    }
                }),
            )
        }
    };

    // `static M: Net = Net::embedded();` must not add an error of its own.
    let embedded = head.wants_embedded.then(|| {
        quote! {
            pub const fn embedded() -> Self {
                #ident {}
            }
        }
    });

    quote! {
        #errors

        #(#attrs)*
        #vis struct #ident {}

        #stream_items

        #[allow(dead_code, unused_variables, clippy::all)]
        impl #ident {
            pub const NAME: &'static str = #name;
            #shape_consts
            pub const PARAMS: usize = 0;
            pub const TRAINABLE_PARAMS: usize = 0;
            pub const NON_TRAINABLE_PARAMS: usize = 0;

            #[::nn::__std]
            pub fn seeded(seed: u64) -> Self {
                ::core::unreachable!()
            }

            #[::nn::__std]
            pub fn summary(&self) -> ::std::string::String {
                ::core::unreachable!()
            }

            #[::nn::__std]
            pub fn predict<X>(&self, x: X) -> ::core::result::Result<::nn::ndarray::Array<f32, #y_dim>, ::nn::Error> {
                ::core::unreachable!()
            }

            #[::nn::__std]
            pub fn predict_mc<X>(&self, x: X, samples: usize) -> ::core::result::Result<(::nn::ndarray::Array<f32, #y_dim>, ::nn::ndarray::Array<f32, #y_dim>), ::nn::Error> {
                ::core::unreachable!()
            }

            #predict_one

            #predict_step

            #embedded

            #[::nn::__std]
            pub fn train_on_batch<X, Y, L: ?::core::marker::Sized, O: ?::core::marker::Sized>(
                &mut self,
                x: X,
                y: Y,
                loss: &L,
                optimizer: &mut O,
            ) -> ::core::result::Result<f32, ::nn::Error> {
                ::core::unreachable!()
            }

            #[::nn::__std]
            pub fn evaluate<X, Y, L: ?::core::marker::Sized>(
                &self,
                x: X,
                y: Y,
                loss: &L,
            ) -> ::core::result::Result<::nn::train::Evaluation, ::nn::Error> {
                ::core::unreachable!()
            }

            #[::nn::__std]
            pub fn fit<X, Y, L: ?::core::marker::Sized, O: ?::core::marker::Sized, F>(
                &mut self,
                x: X,
                y: Y,
                loss: &L,
                optimizer: &mut O,
                options: F,
            ) -> ::core::result::Result<::nn::train::History, ::nn::Error> {
                ::core::unreachable!()
            }

            #[::nn::__std]
            pub fn save_weights(&self, path: impl ::core::convert::AsRef<::std::path::Path>) -> ::core::result::Result<(), ::nn::Error> {
                ::core::unreachable!()
            }

            #[::nn::__std]
            pub fn load_weights(&mut self, path: impl ::core::convert::AsRef<::std::path::Path>) -> ::core::result::Result<(), ::nn::Error> {
                ::core::unreachable!()
            }
        }
    }
}
