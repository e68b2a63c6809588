//! Code generation: the struct, its constants and constructor, the summary,
//! and the `nn::Model` implementation whose passes are unrolled layer by layer.

mod infer;
mod nested;
mod stream;
mod train;
mod weights;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::check::{Layer, Model};
use crate::ctxt::Checked;
use crate::dims::{product, show_shape, sum, Dim};
use crate::layers::Pass;
use crate::parse::Head;
use crate::weights::{Embedded, Expected};

/// How one layer expands.
pub struct Gen<'a> {
    /// The checked layer.
    pub layer: &'a Layer,
    /// Its field.
    pub field: Ident,
    /// The field's type.
    pub ty: TokenStream,
    /// Floats per sample in.
    pub width_in: TokenStream,
    /// Floats per sample out.
    pub width_out: TokenStream,
    /// Passes data through unchanged at inference (views and dropouts).
    pub infer_identity: bool,
    /// Passes data through unchanged in training too (views).
    pub train_identity: bool,
}

impl<'a> Gen<'a> {
    fn new(layer: &'a Layer) -> Self {
        let pass = layer.spec.pass();
        Gen {
            layer,
            field: Ident::new(&layer.name, layer.span),
            ty: layer.spec.ty(&layer.io()),
            width_in: product(&layer.input).tokens(),
            width_out: product(&layer.output).tokens(),
            infer_identity: !matches!(pass, Pass::Compute | Pass::Dropout),
            train_identity: pass == Pass::View,
        }
    }

    /// The expression that builds the layer, drawing from `rng` in
    /// declaration order (a dropout's inference seed follows the model's
    /// `seed` and the layer's name, without drawing).
    fn init(&self) -> TokenStream {
        self.with_seed(self.layer.spec.init(&self.layer.io()), quote!(seed))
    }

    /// `build` with a dropout's inference seed from the model's `seed`.
    pub fn with_seed(&self, build: TokenStream, seed: TokenStream) -> TokenStream {
        match self.layer.spec.pass() {
            Pass::Dropout => {
                let name = &self.layer.name;
                quote!(#build.with_seed(::nn::layers::layer_seed(#seed, #name)))
            }
            _ => build,
        }
    }
}

fn shape_array(dims: &[Dim]) -> TokenStream {
    let d = dims.iter().map(Dim::tokens);
    quote!([#(#d),*])
}

/// The whole expansion of a checked model; `embedded` is the checked file of
/// `#[weights = ".."]`, if any.
pub fn model(head: &Head, model: &Model, checked: &Checked, embedded: Option<(&[Expected], &Embedded)>) -> TokenStream {
    let (asserts, sizes) = (&checked.asserts, &checked.items);
    let Head { attrs, vis, ident, .. } = head;
    let gens: Vec<Gen> = model.layers.iter().map(Gen::new).collect();
    let name = crate::vocab::snake_case(&ident.to_string());

    let fields = gens.iter().map(|g| {
        let (f, ty) = (&g.field, &g.ty);
        let doc =
            format!(" `{}` ({}): output shape {}.", g.layer.name, g.layer.kind.class(), show_shape(&g.layer.output));
        quote_spanned!(g.layer.span=> #[doc = #doc] pub #f: #ty,)
    });
    let (in_shape, out_shape) = (shape_array(&model.input), shape_array(model.output()));
    let (in_rank, out_rank) = (model.input.len(), model.output().len());
    let (in_n, out_n) = (product(&model.input).tokens(), product(model.output()).tokens());
    let params: Vec<(Dim, Dim)> = model.layers.iter().map(Layer::params).collect();
    let (trainable, non_trainable) = model.params();
    let total = sum(&[trainable.clone(), non_trainable.clone()]).tokens();
    let (trainable, non_trainable) = (trainable.tokens(), non_trainable.tokens());
    let rows = gens.iter().zip(&params).map(|(g, (t, n))| {
        let (lname, class) = (&g.layer.name, g.layer.kind.class());
        let shape = g.layer.output.iter().map(Dim::tokens);
        let p = sum(&[t.clone(), n.clone()]).tokens();
        quote!(::nn::summary::Row { name: #lname, class: #class, output_shape: &[#(#shape),*], params: #p })
    });
    let softmax_out = model.ends_in_softmax();

    let visits = gens.iter().map(|g| {
        let (f, lname) = (&g.field, &g.layer.name);
        quote!(::nn::layers::Layer::visit(&self.#f, &mut |w, p| f(#lname, w, p));)
    });
    let visits_mut = gens.iter().map(|g| {
        let (f, lname) = (&g.field, &g.layer.name);
        quote!(::nn::layers::Layer::visit_mut(&mut self.#f, &mut |w, p| f(#lname, w, p));)
    });

    let keras = gens.iter().map(keras_layer);
    let ids = ids(&gens);

    let embedded = embedded.map(|(expected, file)| weights::embedded(ident, expected, file));
    let infer = infer::infer(&gens);
    let inherent_infer = infer::inherent(model);
    let train = train::model_impl(&gens);
    let ws_ident = format_ident!("__{}Workspace", ident);
    let layer_impl = nested::layer_impl(ident, model, &gens, &infer, &ids, &ws_ident);
    let constructors = nested::constructors(ident, &gens);
    let derives_clone = attrs.iter().any(|a| {
        a.path().is_ident("derive") && a.meta.require_list().is_ok_and(|l| l.tokens.to_string().contains("Clone"))
    });
    let clone = (!derives_clone).then(|| nested::clone_impl(ident, &gens));
    let describe = nested::describe(&model.described(ident));
    let (workspace, train_inherent) = (train::workspace(&gens, &ws_ident), train::inherent(model));
    let stream::Stream { items: stream_items, method: predict_step, doc: stream_doc } =
        stream::stream(ident, vis, model, &gens);
    let stream_doc = stream_doc.map(|line| quote!(#[doc = ""] #[doc = #line]));
    let doc_seeded = format!(" A `{ident}` with every weight drawn by its declared initializer from `seed` (the same seed gives the same weights, bit for bit).");

    // Sizes given as const items are cast to `usize` (so that a mistyped const
    // is one error, at the assertion); the cast is a no-op for `usize` consts.
    let allow_cast = (!asserts.is_empty()).then(|| quote!(#[allow(clippy::unnecessary_cast)]));

    quote! {
        #(#sizes)*

        #(#attrs)*
        #stream_doc
        #allow_cast
        #vis struct #ident {
            #(#fields)*
            #[doc(hidden)]
            pub __nn: ::nn::model::Slot<#ident>,
        }

        #clone

        #stream_items

        #describe

        #allow_cast
        const _: () = {
            #(#asserts)*

            #workspace

            #layer_impl

            #[::nn::__std]
            #[automatically_derived]
            impl ::nn::Model for #ident {
                const NAME: &'static str = #name;
                const INPUT_SHAPE: &'static [usize] = &#in_shape;
                const OUTPUT_SHAPE: &'static [usize] = &#out_shape;
                const IN: usize = #in_n;
                const OUT: usize = #out_n;
                const SOFTMAX_OUTPUT: bool = #softmax_out;
                #ids
                type Workspace = #ws_ident;

                fn infer(&self, x: &[f32], y: &mut [f32]) {
                    ::nn::layers::Layer::infer(self, x, y, &mut []);
                }

                #train

                fn visit_weights(&self, f: &mut dyn FnMut(&'static str, &'static str, &::nn::Param)) {
                    #(#visits)*
                }

                fn visit_weights_mut(&mut self, f: &mut dyn FnMut(&'static str, &'static str, &mut ::nn::Param)) {
                    #(#visits_mut)*
                }

                fn slot(&mut self) -> &mut ::nn::model::Slot<Self> {
                    &mut self.__nn
                }

                fn keras_layers(&self) -> ::std::vec::Vec<::nn::files::layout::Layer> {
                    ::std::vec![#(#keras),*]
                }
            }
        };

        #[allow(dead_code)]
        #allow_cast
        impl #ident {
            /// snake_case of the struct's name, as Keras names the model.
            pub const NAME: &'static str = #name;
            /// One sample's input shape (without the batch dimension).
            pub const INPUT_SHAPE: [usize; #in_rank] = #in_shape;
            /// One sample's output shape (without the batch dimension).
            pub const OUTPUT_SHAPE: [usize; #out_rank] = #out_shape;
            /// Number of weights, as Keras counts them.
            pub const PARAMS: usize = #total;
            /// Number of weights optimizers train.
            pub const TRAINABLE_PARAMS: usize = #trainable;
            /// Number of weights optimizers leave alone (BatchNorm's moving statistics, frozen layers).
            pub const NON_TRAINABLE_PARAMS: usize = #non_trainable;

            #[doc = #doc_seeded]
            #[::nn::__std]
            pub fn seeded(seed: u64) -> Self {
                Self::__nn_init(&mut ::nn::rng::seeded(seed), seed)
            }

            #constructors

            #embedded

            /// The summary table exactly as tf.keras 2 prints it.
            #[::nn::__std]
            pub fn summary(&self) -> ::std::string::String {
                ::nn::model::summary(self, &[#(#rows),*])
            }

            /// Writes every weight, replacing the file atomically: Keras's `.weights.h5` or a whole `.keras` archive by the name's extension, else safetensors (Keras's keys).
            #[::nn::__std]
            pub fn save_weights(&self, path: impl ::core::convert::AsRef<::std::path::Path>) -> ::core::result::Result<(), ::nn::Error> {
                ::nn::model::save_weights(self, path.as_ref())
            }

            /// Reads every weight from a safetensors file, a Keras `.weights.h5` or a `.keras` archive (told apart by content); on any error the model is unchanged.
            #[::nn::__std]
            pub fn load_weights(&mut self, path: impl ::core::convert::AsRef<::std::path::Path>) -> ::core::result::Result<(), ::nn::Error> {
                ::nn::model::load_weights(self, path.as_ref())
            }

            #inherent_infer
            #predict_step
            #train_inherent
        }
    }
}

/// `const IDS`: what the first computing layer requires of the input values
/// (an Embedding's ids in `0..input_dim`), for `Model` and `Layer`.
fn ids(gens: &[Gen]) -> Option<TokenStream> {
    let ty = &gens.iter().find(|g| g.layer.spec.pass() == Pass::Compute)?.ty;
    Some(quote!(const IDS: ::core::option::Option<usize> = <#ty as ::nn::layers::Layer>::IDS;))
}

/// A layer as Keras's files describe it (`nn::files::layout::Layer`).
fn keras_layer(g: &Gen) -> TokenStream {
    let l = g.layer;
    let (class, lname, trainable, f) = (l.kind.class(), &l.name, l.trainable, &g.field);
    if l.kind.class() == "Sequential" {
        return quote! {
            ::nn::files::layout::Layer::nested(#lname, ::nn::Model::keras_model(&self.#f)).trainable(#trainable)
        };
    }
    let input = l.input.iter().map(Dim::tokens);
    let args = l.keras.iter().map(|(k, v)| quote!(.arg(#k, #v)));
    let vars = l.weights.iter().map(|w| {
        let dims = w.shape.iter().map(Dim::tokens);
        quote!(.var(&[#(#dims),*]))
    });
    quote! {
        ::nn::files::layout::Layer::new(#class, #lname, &[#(#input),*]).trainable(#trainable) #(#args)* #(#vars)*
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn snake() {
        use crate::vocab::snake_case;
        assert_eq!(snake_case("SeedMlp"), "seed_mlp");
        assert_eq!(snake_case("MLP"), "mlp");
        assert_eq!(snake_case("MyMLPNet"), "my_mlp_net");
        assert_eq!(snake_case("Net2"), "net2");
    }
}
