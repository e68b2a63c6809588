//! Keras's `Bidirectional`: the recurrent layer it wraps reads the sequence
//! forwards, a copy of it (its own weights) reads it from the end, and the
//! two outputs merge (`concat`, `sum`, `mul` or `ave`). The wrapped layer is
//! declared inside the parentheses, `Bidirectional(LSTM(32))`, and checked
//! as any layer is, its mistakes reported at its own tokens; its weights are
//! `forward_<name>.kernel`, ..., then `backward_<name>.kernel`, ..., where
//! `<name>` is its Keras name (`lstm`, or its `name = ".."`).

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Spec, Streams, Weight};
use crate::args::{self, arg, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::{product, Dim};
use crate::parse::LayerDecl;

/// Keras's merge modes; the runtime type of each in `nn::layers::merge` is
/// its name capitalized (`Concat`).
const MERGE_MODES: &[&str] = &["concat", "sum", "mul", "ave"];

/// Keras's `Bidirectional`.
pub struct Bidirectional;

impl Kind for Bidirectional {
    fn names(&self) -> &'static [&'static str] {
        &["Bidirectional"]
    }
    fn class(&self) -> &'static str {
        "Bidirectional"
    }
    fn auto_name(&self) -> &'static str {
        "bidirectional"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[required("layer", Ty::Layer), arg("merge_mode", Ty::Word(MERGE_MODES))];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, cx: &mut Ctxt) -> Box<dyn Spec> {
        let merge = args.word("merge_mode", "concat");
        Box::new(Config { merge, inner: args.layer("layer").and_then(|decl| Inner::check(decl, cx)) })
    }
}

/// The wrapped layer, checked.
struct Inner {
    decl: LayerDecl,
    class: &'static str,
    /// Its Keras name (`lstm`).
    name: String,
    spec: Box<dyn Spec>,
    /// Its Keras config entries.
    keras: Vec<(&'static str, TokenStream)>,
}

impl Inner {
    /// Resolves the wrapped layer's kind and arguments; `None` after a
    /// mistake (reported at its tokens).
    fn check(decl: &LayerDecl, cx: &mut Ctxt) -> Option<Inner> {
        let kind_name = decl.kind.to_string();
        let Some(kind) = super::find(&kind_name) else {
            let hint = super::unknown_hint(&kind_name);
            cx.error(decl.kind.span(), format!("unknown layer `{kind_name}`; {hint}"));
            return None;
        };
        let not_recurrent = || {
            format!(
                "`Bidirectional` wraps a recurrent layer (`SimpleRNN`, `LSTM` or `GRU`), found `{kind_name}`; \
                 write `Bidirectional(LSTM(32))`, or put `{kind_name}` after it"
            )
        };
        if kind.declares_input() {
            cx.error(decl.kind.span(), not_recurrent());
            return None;
        }
        let args = args::resolve(super::accepts(kind), decl, cx);
        let spec = kind.build(decl, &args, cx);
        if spec.reversed_ty(&Io { input: &[] }).is_none() {
            cx.error(decl.kind.span(), not_recurrent());
            return None;
        }
        let name = match args.string("name") {
            Some(n) => n.to_string(),
            None => cx.auto_name(kind.auto_name()),
        };
        let mut keras = args::keras_config(kind.args(), &args);
        keras.extend(spec.keras_config());
        Some(Inner { decl: decl.clone(), class: kind.class(), name, spec, keras })
    }

    /// Its weights under `forward_<name>.` then `backward_<name>.`.
    fn weights(&self, io: &Io) -> Vec<Weight> {
        let mut out = Vec::new();
        for side in ["forward", "backward"] {
            out.extend(self.spec.weights(io).into_iter().map(|mut w| {
                w.name = format!("{side}_{}.{}", self.name, w.name);
                w
            }));
        }
        out
    }
}

/// A `Bidirectional` layer: its merge mode and the wrapped layer (`None`
/// after a mistake in it).
struct Config {
    merge: &'static str,
    inner: Option<Inner>,
}

impl Config {
    /// `Bidirectional::new(forward, backward, names)` over the two constructors.
    fn build(&self, io: &Io, forward: TokenStream, backward: TokenStream) -> TokenStream {
        let names = self.inner.as_ref().map(|i| i.weights(io)).unwrap_or_default();
        let names = names.iter().map(|w| &w.name);
        quote!(::nn::layers::Bidirectional::new(#forward, #backward, &[#(#names),*]))
    }
}

impl Spec for Config {
    fn output(&self, input: &[Dim], _: &LayerDecl, _: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let Some(inner) = &self.inner else { return input.to_vec() };
        let mut out = inner.spec.output(input, &inner.decl, &inner.name, cx);
        if let (Some(last), "concat") = (out.last_mut(), self.merge) {
            *last = product(&[Dim::Lit(2), last.clone()]);
        }
        out
    }
    fn weights(&self, io: &Io) -> Vec<Weight> {
        self.inner.as_ref().map(|i| i.weights(io)).unwrap_or_default()
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let merge = self.merge[..1].to_uppercase() + &self.merge[1..];
        let merge = syn::Ident::new(&merge, proc_macro2::Span::call_site());
        let (forward, backward) = match &self.inner {
            Some(i) => (i.spec.ty(io), i.spec.reversed_ty(io).unwrap_or_default()),
            None => (quote!(()), quote!(())),
        };
        quote!(::nn::layers::Bidirectional<#forward, #backward, ::nn::layers::merge::#merge>)
    }
    fn init(&self, io: &Io) -> TokenStream {
        let Some(inner) = &self.inner else { return quote!(::core::unreachable!()) };
        // Keras builds the forward layer first: its weights are drawn first.
        self.build(io, inner.spec.init(io), inner.spec.init(io))
    }
    fn over_weights(&self, io: &Io, weights: &[TokenStream]) -> TokenStream {
        let Some(inner) = &self.inner else { return quote!(::core::unreachable!()) };
        let (forward, backward) = weights.split_at(weights.len() / 2);
        self.build(io, inner.spec.over_weights(io, forward), inner.spec.over_weights(io, backward))
    }
    fn streams(&self) -> Streams {
        Streams::Blocked("`Bidirectional` also reads the sequence from its end".into())
    }
    fn keep_sequence(&self) -> Option<String> {
        let inner = self.inner.as_ref()?;
        inner.spec.keep_sequence().map(|_| format!("give the `{}` it wraps `return_sequences = true`", inner.class))
    }
    fn keras_config(&self) -> Vec<(&'static str, TokenStream)> {
        let Some(inner) = &self.inner else { return Vec::new() };
        let (class, name) = (inner.class, &inner.name);
        let (keys, values): (Vec<_>, Vec<_>) = inner.keras.iter().cloned().unzip();
        vec![(
            "layer",
            quote!(::nn::files::serde_json::json!({
                "class_name": #class,
                "config": { "name": #name, #(#keys: #values),* }
            })),
        )]
    }
}
