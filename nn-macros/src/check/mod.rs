//! Meaning of a declaration: arguments resolved against the layer table,
//! Keras's names given, shapes inferred. Every mistake becomes a
//! `syn::Error` at the offending token; all are collected, none stops the
//! check early.

mod args;
mod dims;
mod shape;

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use crate::layers::{self, Kind, Op};
use crate::parse::{Arg, LayerDecl};

pub use dims::{product, show_shape, sum, Dim};

use args::resolve_args;
use dims::dims_of;
use shape::infer_shape;

/// Collects errors; merged into one `syn::Error` at the end.
#[derive(Default)]
pub struct Errors(Vec<syn::Error>);

impl Errors {
    /// An error at `span`.
    pub fn add(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.0.push(syn::Error::new(span, msg));
    }
    /// An error under all of `tokens` (`-0.1`, not only its `-`).
    pub fn spanned(&mut self, tokens: impl ToTokens, msg: impl std::fmt::Display) {
        self.0.push(syn::Error::new_spanned(tokens, msg));
    }
    /// An error made elsewhere (by the parser).
    pub fn push(&mut self, e: syn::Error) {
        self.0.push(e);
    }
    /// Whether any mistake was found.
    pub fn has_errors(&self) -> bool {
        !self.0.is_empty()
    }
    /// All errors as one, or `None` when there were none.
    pub fn finish(self) -> Option<syn::Error> {
        self.0.into_iter().reduce(|mut a, b| {
            a.combine(b);
            a
        })
    }
}

/// A resolved argument value.
#[derive(Clone)]
pub enum Value {
    Size(Dim),
    /// An `f32` expression.
    Float(TokenStream),
    /// An activation's runtime type name.
    Activation(&'static str),
    /// An `nn::init::Initializer` expression.
    Initializer(TokenStream),
    /// `true` or `false`.
    Bool(bool),
    /// A string's content.
    Str(String),
}

/// One checked layer.
pub struct Layer {
    /// The layer's kind in the table.
    pub kind: &'static Kind,
    /// Keras's name; also the field name.
    pub name: String,
    /// The layer's kind as written, for spans of generated code.
    pub span: Span,
    /// The shape it receives (no batch dimension).
    pub input: Vec<Dim>,
    /// The shape it outputs.
    pub output: Vec<Dim>,
    /// Its resolved arguments, by Keras keyword.
    pub args: HashMap<&'static str, Value>,
}

impl Layer {
    /// The argument `name`, if given.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.args.get(name)
    }
    /// Whether optimizers train it (`trainable = false` freezes it).
    pub fn trainable(&self) -> bool {
        !matches!(self.get("trainable"), Some(Value::Bool(false)))
    }
    /// The float argument `name`, or `default`.
    pub fn float(&self, name: &str, default: f32) -> TokenStream {
        match self.get(name) {
            Some(Value::Float(t)) => t.clone(),
            _ => quote!(#default),
        }
    }
    /// Number of weights: (trainable, non-trainable), as expressions.
    pub fn params(&self) -> (Dim, Dim) {
        let last = || self.input.last().cloned().unwrap_or(Dim::Lit(1));
        let (t, n) = match self.kind.op {
            Op::Dense => {
                let units = self.output.last().cloned().unwrap_or(Dim::Lit(1));
                let mut k = product(&[last(), units.clone()]);
                if self.use_bias() {
                    k = sum(&[k, units]);
                }
                (k, Dim::Lit(0))
            }
            Op::BatchNorm => (product(&[Dim::Lit(2), last()]), product(&[Dim::Lit(2), last()])),
            Op::PRelu => (product(&self.input), Dim::Lit(0)),
            _ => (Dim::Lit(0), Dim::Lit(0)),
        };
        if self.trainable() {
            (t, n)
        } else {
            (Dim::Lit(0), sum(&[t, n]))
        }
    }
    /// Whether a Dense layer has a bias (`no_bias` / `use_bias = false` remove it).
    pub fn use_bias(&self) -> bool {
        !matches!(self.get("use_bias"), Some(Value::Bool(false)))
    }
}

/// A checked model.
pub struct Model {
    /// The model's input shape.
    pub input: Vec<Dim>,
    /// Layers with a field (all but `Input`).
    pub layers: Vec<Layer>,
    /// Compile-time assertions for sizes given as const expressions.
    pub asserts: Vec<TokenStream>,
    /// Every shape is known (false after a mistake that lost the shape).
    pub complete: bool,
}

impl Model {
    /// The model's output shape.
    pub fn output(&self) -> &[Dim] {
        self.layers.last().map_or(&self.input, |l| &l.output)
    }
}

/// What is known of the shape flowing between layers.
enum Flow {
    /// No shape declared yet.
    Missing,
    Known(Vec<Dim>),
    /// Lost after a mistake (an unknown or malformed layer): later layers
    /// are still checked, but not against a shape that would be a guess.
    Unknown,
}

/// Checks a whole declaration; `None` items are layers that did not parse.
pub fn check(decls: &[Option<LayerDecl>], struct_span: Span, errors: &mut Errors) -> Model {
    let mut model = Model { input: Vec::new(), layers: Vec::new(), asserts: Vec::new(), complete: true };
    let mut counters: HashMap<&str, usize> = HashMap::new();
    // Every name so far: its span and whether it was written (`name = "..."`).
    let mut names: HashMap<String, (Span, bool)> = HashMap::new();
    let mut flow = Flow::Missing;

    if decls.is_empty() {
        errors.add(struct_span, "a model needs layers: `struct Name { Flatten[28, 28], Dense(10, softmax) }`");
    }
    for (i, decl) in decls.iter().enumerate() {
        let Some(decl) = decl else {
            // Already reported by the parser.
            flow = Flow::Unknown;
            model.complete = false;
            continue;
        };
        let kind_name = decl.kind.to_string();
        let Some(kind) = layers::kind(&kind_name) else {
            let hint = match layers::suggest(&kind_name, layers::kind_names()) {
                Some(s) => format!("; did you mean `{s}`?"),
                None => format!("; the layers are {}", list(layers::kind_names())),
            };
            errors.add(decl.kind.span(), format!("unknown layer `{kind_name}`{hint}"));
            flow = Flow::Unknown;
            model.complete = false;
            continue;
        };
        if kind.op == Op::Input {
            if i > 0 {
                errors.add(
                    decl.kind.span(),
                    "`Input` must be the first layer: it declares the model's input shape; \
                     move it to the top, or give the shape to the layer after it (`Dense[784](..)`)",
                );
            }
            if let Some(paren) = decl.paren_span {
                errors.add(paren, "`Input` takes only a shape, no arguments: `Input[28, 28]`");
            }
        }
        let args =
            if kind.op == Op::Input { HashMap::new() } else { resolve_args(kind, decl, errors, &mut model.asserts) };

        // Input shape: `Input[..]` or a bracketed first layer; brackets later are
        // Keras's `input_shape` again and must agree.
        let bracket = if kind.op == Op::Reshape { None } else { decl.shape.as_ref() };
        if let Some(shape) = bracket {
            let dims = dims_of(
                &format!("a size of `{kind_name}[..]`"),
                &shape.dims,
                shape.bracket.span.join(),
                false,
                errors,
                &mut model.asserts,
            );
            match &flow {
                Flow::Missing => model.input = dims.clone(),
                Flow::Known(cur) => {
                    check_same(cur, &dims, shape.bracket.span.join(), &kind_name, errors, &mut model.asserts)
                }
                Flow::Unknown => {}
            }
            flow = Flow::Known(dims);
        } else if matches!(flow, Flow::Missing) {
            let example = if kind.op == Op::Input {
                "`Input[28, 28]`".to_string()
            } else {
                let args = decl.paren_span.map_or("", |_| "(..)");
                format!(
                    "`Input[...]` before it (e.g. `Input[784]`), or `{kind_name}[784]{args}` (Keras's `input_shape`)"
                )
            };
            errors.add(
                decl.kind.span(),
                format!("the model's input shape is missing: the first layer `{kind_name}` needs it; write {example}"),
            );
            flow = Flow::Unknown;
        }
        if kind.op == Op::Input {
            continue;
        }
        let input = match &flow {
            Flow::Known(d) => Some(d.clone()),
            _ => None,
        };

        let explicit = matches!(args.get("name"), Some(Value::Str(_)));
        let name = match args.get("name") {
            Some(Value::Str(s)) => s.clone(),
            _ => {
                let n = counters.entry(kind.auto_name).or_insert(0);
                let name = if *n == 0 { kind.auto_name.to_string() } else { format!("{}_{}", kind.auto_name, n) };
                *n += 1;
                name
            }
        };
        let name_span = name_span(decl).unwrap_or(decl.kind.span());
        match names.get(&name) {
            None => {}
            Some(&(_, true)) if explicit => errors.add(
                name_span,
                format!("two layers are named `{name}`; layer names must be unique: choose another `name = \"...\"`"),
            ),
            Some(_) if explicit => errors.add(
                name_span,
                format!(
                    "`{name}` is already the automatic name of an earlier layer; layer names must be unique: \
                     choose another `name = \"...\"`"
                ),
            ),
            Some(&(first, _)) => errors.add(
                first,
                format!(
                    "`{name}` is also the automatic name of a later `{kind_name}` layer; layer names must be \
                     unique: choose another `name = \"...\"`"
                ),
            ),
        }
        names.insert(name.clone(), (name_span, explicit));

        let output = match &input {
            Some(input) => infer_shape(kind, decl, input, &args, &name, errors, &mut model.asserts),
            None => {
                model.complete = false;
                Vec::new()
            }
        };
        if input.is_some() {
            flow = Flow::Known(output.clone());
        }
        model.layers.push(Layer { kind, name, span: decl.kind.span(), input: input.unwrap_or_default(), output, args });
    }
    if !matches!(flow, Flow::Known(_)) {
        model.complete = false;
    }
    model
}

fn name_span(decl: &LayerDecl) -> Option<Span> {
    decl.args.iter().find_map(|a| match a {
        Arg::Keyword { name, value } if name == "name" => Some(value.span()),
        _ => None,
    })
}

fn list<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

/// A declared input shape later in the model must equal the current one.
fn check_same(cur: &[Dim], new: &[Dim], span: Span, kind: &str, errors: &mut Errors, asserts: &mut Vec<TokenStream>) {
    let all_lit = cur.iter().chain(new).all(|d| matches!(d, Dim::Lit(_)));
    if all_lit || cur.len() != new.len() {
        let same = cur.len() == new.len()
            && cur.iter().zip(new).all(|(a, b)| matches!((a, b), (Dim::Lit(x), Dim::Lit(y)) if x == y));
        if !same {
            let fix = cur.iter().map(Dim::show).collect::<Vec<_>>().join(", ");
            errors.add(
                span,
                format!(
                    "`{kind}` declares input shape {}, but the layer before it outputs {}; remove the brackets or write `{kind}[{fix}]`",
                    show_shape(new),
                    show_shape(cur)
                ),
            );
        }
    } else {
        for (a, b) in cur.iter().zip(new) {
            let (ta, tb) = (a.tokens(), b.tokens());
            let msg = format!(
                "`{kind}` declares input shape {}, but the layer before it outputs {}",
                show_shape(new),
                show_shape(cur)
            );
            asserts.push(quote_spanned!(span=> const _: () = ::core::assert!(#ta == #tb, #msg);));
        }
    }
}
