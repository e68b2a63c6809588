//! Keras's `Embedding`: the first layer after `Input[steps]`, mapping each
//! id (an `f32` holding an integer in `0..input_dim`, as Keras casts it) to
//! its row of `embeddings` [input_dim, output_dim].

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Spec, Streams, Weight};
use crate::args::{arg, positional, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::{show_shape, Dim};
use crate::parse::LayerDecl;

/// Keras's `Embedding`.
pub struct Embedding;

impl Kind for Embedding {
    fn names(&self) -> &'static [&'static str] {
        &["Embedding"]
    }
    fn class(&self) -> &'static str {
        "Embedding"
    }
    fn auto_name(&self) -> &'static str {
        "embedding"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[
            required("input_dim", Ty::Size),
            required("output_dim", Ty::Size),
            positional("embeddings_initializer", Ty::Initializer),
            arg("embeddings_regularizer", Ty::Regularizer),
            arg("embeddings_constraint", Ty::Constraint),
        ];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Config {
            vocab: args.size("input_dim"),
            dim: args.size("output_dim"),
            initializer: args.initializer("embeddings_initializer", "uniform"),
            regularizer: args.regularizer("embeddings_regularizer"),
            constraint: args.constraint("embeddings_constraint"),
        })
    }
}

/// An `Embedding` layer's arguments, Keras's defaults filled in.
struct Config {
    vocab: Dim,
    dim: Dim,
    initializer: TokenStream,
    regularizer: Option<TokenStream>,
    constraint: Option<TokenStream>,
}

impl Spec for Config {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let what = format!("layer `{name}` (`Embedding`)");
        if let Some(before) = cx.before() {
            let msg = format!(
                "{what} must be the first layer, right after `Input[steps]`: it looks up integer ids, and \
                 layer `{}` before it outputs computed values; move it to the top",
                before.name
            );
            cx.error(decl.kind.span(), msg);
        }
        if input.len() != 1 {
            let steps = input.first().map_or("steps".to_string(), Dim::show);
            cx.error(
                decl.kind.span(),
                format!(
                    "{what} takes a sequence of ids (None, steps), but its input is {}; declare one id per step: \
                     `Input[{steps}]`",
                    show_shape(input)
                ),
            );
        }
        vec![input.first().cloned().unwrap_or(Dim::Lit(1)), self.dim.clone()]
    }
    fn weights(&self, _: &Io) -> Vec<Weight> {
        vec![Weight::new("embeddings", vec![self.vocab.clone(), self.dim.clone()], true)
            .with(self.regularizer.clone(), self.constraint.clone())]
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let steps = io.input.first().cloned().unwrap_or(Dim::Lit(1)).tokens();
        let (vocab, dim) = (self.vocab.tokens(), self.dim.tokens());
        quote!(::nn::layers::Embedding<{ #steps }, { #vocab }, { #dim }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let init = &self.initializer;
        quote!(::nn::layers::Embedding::new(&#init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let embeddings = &weights[0];
        quote!(::nn::layers::Embedding::from_params(#embeddings))
    }
    fn streams(&self) -> Streams {
        Streams::Step
    }
}
