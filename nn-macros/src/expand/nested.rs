//! What makes every model usable as a layer of another (Keras's
//! `Sequential([encoder, Dense(10)])`): `impl nn::layers::{Layer, Train}` for the
//! struct, its hidden constructors (`__nn_init` drawing from the outer
//! model's generator, `const fn __nn_from_params` over given tensors), a
//! `Clone` for transfer learning, and the describing macro through which an
//! outer `sequential!` learns the model's shapes and weights when it expands.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Gen;
use crate::check::Model;
use crate::dims::{product, Dim};
use crate::nested::Described;

/// `impl nn::layers::Layer for M`, inside the expansion's `const` block
/// (where the workspace type is visible); `infer` is the model's batched
/// pass, `ids` its `const IDS` (its first layer's).
pub fn layer_impl(
    ident: &Ident,
    model: &Model,
    gens: &[Gen],
    infer: &TokenStream,
    ids: &Option<TokenStream>,
    ws: &Ident,
) -> TokenStream {
    let (in_n, out_n) = (product(&model.input).tokens(), product(model.output()).tokens());
    let visits = gens.iter().filter(|g| !g.layer.weights.is_empty()).map(|g| {
        let (f, lname) = (&g.field, &g.layer.name);
        let names = g.layer.weights.iter().map(|w| {
            let q = format!("{lname}.{}", w.name);
            let w = &w.name;
            quote!((#w, #q))
        });
        let names = quote!(&[#(#names),*]);
        (
            quote!(::nn::layers::Layer::visit(&self.#f, &mut |w, p| f(::nn::model::qualify(#names, w), p));),
            quote!(::nn::layers::Layer::visit_mut(&mut self.#f, &mut |w, p| f(::nn::model::qualify(#names, w), p));),
        )
    });
    let (visits, visits_mut): (Vec<_>, Vec<_>) = visits.unzip();
    quote! {
        #[automatically_derived]
        impl ::nn::layers::Layer for #ident {
            const IN: usize = #in_n;
            const OUT: usize = #out_n;
            #ids

            #infer

            fn visit(&self, f: &mut dyn FnMut(&'static str, &::nn::Param)) {
                let _ = &f;
                #(#visits)*
            }

            fn visit_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut ::nn::Param)) {
                let _ = &f;
                #(#visits_mut)*
            }
        }

        #[::nn::__std]
        #[automatically_derived]
        impl ::nn::layers::Train for #ident {
            type State = #ws;
            const PER_SAMPLE: bool = <Self as ::nn::Model>::PER_SAMPLE;

            fn forward(&mut self, ws: &mut #ws, x: &[f32], y: &mut [f32], rng: &mut ::nn::Rng) {
                let out = <Self as ::nn::Model>::forward(self, ws, x, rng);
                y.copy_from_slice(out);
            }

            fn backward(&mut self, ws: &mut #ws, x: &[f32], _: &[f32], dy: &[f32], dx: ::core::option::Option<&mut [f32]>) {
                <Self as ::nn::Model>::backward_to(self, ws, x, dy, false, dx);
            }

            fn backward_logits(&mut self, ws: &mut #ws, x: &[f32], _: &[f32], dz: &[f32], dx: ::core::option::Option<&mut [f32]>) {
                <Self as ::nn::Model>::backward_to(self, ws, x, dz, true, dx);
            }

            fn visit_grads(&mut self, ws: &mut #ws, f: &mut dyn FnMut(&mut ::nn::Param, &mut [f32])) {
                <Self as ::nn::Model>::visit_grads(self, ws, f);
            }
        }
    }
}

/// The hidden constructors, for the inherent `impl`: `__nn_init` (what
/// `seeded` and an outer model's `seeded` call) and `__nn_from_params`
/// (what `embedded` and an outer model's `embedded` call).
pub fn constructors(ident: &Ident, gens: &[Gen]) -> TokenStream {
    let inits = gens.iter().map(|g| {
        let (f, init) = (&g.field, g.init());
        quote!(#f: #init,)
    });
    // Frozen layers, then the regularizers and constraints of their weights.
    let mut freezes: Vec<TokenStream> = gens
        .iter()
        .filter(|g| !g.layer.trainable)
        .map(|g| {
            let f = &g.field;
            quote!(::nn::model::freeze(&mut model.#f);)
        })
        .collect();
    for g in gens {
        let f = &g.field;
        for w in &g.layer.weights {
            let name = &w.name;
            if let Some(r) = &w.regularizer {
                freezes.push(quote!(::nn::model::set_regularizer(&mut model.#f, #name, #r);));
            }
            if let Some(c) = &w.constraint {
                freezes.push(quote!(::nn::model::set_constraint(&mut model.#f, #name, #c);));
            }
        }
    }
    let build = quote!(#ident { #(#inits)* __nn: ::nn::model::Slot::new(seed) });
    let construct = if freezes.is_empty() {
        build
    } else {
        quote! {
            let mut model = #build;
            #(#freezes)*
            model
        }
    };
    let mut k = 0usize;
    let mut params = Vec::new();
    let from = gens.iter().map(|g| {
        let mine: Vec<TokenStream> = g
            .layer
            .weights
            .iter()
            .map(|w| {
                let p = format_ident!("p{}", k);
                k += 1;
                params.push(p.clone());
                let set = |field: &str, v: &Option<TokenStream>| {
                    let field = format_ident!("{}", field);
                    v.as_ref().map(|v| quote!(#p.#field = ::core::option::Option::Some(#v);))
                };
                match (set("regularizer", &w.regularizer), set("constraint", &w.constraint)) {
                    (None, None) => quote!(#p),
                    (r, c) => quote!({
                        let mut #p = #p;
                        #r
                        #c
                        #p
                    }),
                }
            })
            .collect();
        let (f, init) = (&g.field, g.with_seed(g.layer.spec.over_weights(&g.layer.io(), &mine), quote!(0)));
        quote!(#f: #init,)
    });
    let from: Vec<TokenStream> = from.collect();
    quote! {
        #[doc(hidden)]
        #[::nn::__std]
        #[allow(unused_variables, unused_mut)]
        pub fn __nn_init(mut rng: &mut ::nn::Rng, seed: u64) -> Self {
            #construct
        }

        #[doc(hidden)]
        #[allow(clippy::too_many_arguments)]
        pub const fn __nn_from_params(#(#params: ::nn::Param),*) -> Self {
            #ident { #(#from)* __nn: ::nn::model::Slot::new(0) }
        }
    }
}

/// `Clone` (the weights, not the training workspace), unless the struct derives it.
pub fn clone_impl(ident: &Ident, gens: &[Gen]) -> TokenStream {
    let fields = gens.iter().map(|g| {
        let f = &g.field;
        quote!(#f: ::core::clone::Clone::clone(&self.#f),)
    });
    quote! {
        #[automatically_derived]
        impl ::core::clone::Clone for #ident {
            fn clone(&self) -> Self {
                #ident { #(#fields)* __nn: ::core::clone::Clone::clone(&self.__nn) }
            }
        }
    }
}

fn dims(d: &[Dim]) -> TokenStream {
    let d = d.iter().map(Dim::tokens);
    quote!([#(#d),*])
}

/// The describing macro: `M! { @nn_describe { <an outer declaration> } }`
/// calls `sequential!` again on the outer declaration with this model's
/// shapes and weights in front, so that the outer model can check its
/// shapes and name its weights at expansion.
pub fn describe(d: &Described) -> TokenStream {
    let ident = &d.ident;
    let mac = format_ident!("__nn_model_{}", ident);
    let (input, output, softmax) = (dims(&d.input), dims(&d.output), d.softmax);
    let weights = d.weights.iter().map(|w| {
        let (key, shape, trainable) = (&w.name, dims(&w.shape), w.trainable);
        quote!(#key #shape #trainable)
    });
    quote! {
        #[doc(hidden)]
        #[allow(unused_macros)]
        macro_rules! #mac {
            (@nn_describe { $($outer:tt)* }) => {
                ::nn::sequential! {
                    @nn_nested #ident { input #input output #output softmax #softmax weights [#(#weights),*] }
                    $($outer)*
                }
            };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub(crate) use #mac as #ident;
    }
}
