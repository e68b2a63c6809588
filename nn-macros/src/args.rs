//! Layer arguments: what each kind accepts ([`ArgSpec`]), and every
//! argument as written resolved against them into [`Args`] (positional
//! shorthands, keywords, aliases), with near-name suggestions for typos.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

use crate::ctxt::Ctxt;
use crate::dims::{const_operand, const_size, float_lit, int_lit, size, Dim};
use crate::parse::{single_ident, str_lit, word, Arg, LayerDecl};
use crate::vocab::{self, list, Act, ACTIVATIONS, DISTRIBUTIONS, FAN_MODES, INITIALIZERS};

/// The type of a layer argument.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Ty {
    /// A positive integer size (literal or const expression).
    Size,
    /// A float in `[min, max)` (or `[min, max]` when `max_inclusive`).
    Float {
        /// The smallest value allowed.
        min: f64,
        /// The bound above.
        max: f64,
        /// Whether `max` itself is allowed.
        max_inclusive: bool,
    },
    /// An activation name.
    Activation,
    /// An initializer name or `VarianceScaling(...)`.
    Initializer,
    /// `true` or `false`.
    Bool,
    /// A string literal.
    Str,
    /// A weight regularizer (`l2(0.01)`).
    Regularizer,
    /// A pair of positive sizes, one number for both (`3`) or a tuple (`(3, 1)`);
    /// each a literal or a const expression (`K`, `(K, 1)`), as for the ones below.
    Pair,
    /// A pair of sizes that may be 0, one number or a tuple (`output_padding`).
    PairOrZero,
    /// Keras's `padding`: `valid` or `same`, as a word or a string.
    Padding,
    /// `Conv1D`'s `padding`: `valid`, `same` or `causal`.
    CausalPadding,
    /// A positive size on the one axis of a sequence: `3` or `(3,)`.
    Single,
    /// A positive integer, never a tuple (`UpSampling1D`'s `size`, `groups`).
    Int,
    /// Margins of a sequence: `1` (both sides) or `(left, right)`, each at least 0.
    Sides,
    /// Margins of an image, Keras's forms: `1` (all four), `(1, 2)` (rows,
    /// columns, each on both sides) or `((top, bottom), (left, right))`.
    Margins,
    /// A weight constraint (`max_norm(1.0)`).
    Constraint,
    /// One of these names, as a word or a string (`merge_mode = sum`).
    Word(&'static [&'static str]),
    /// A layer declaration (`LSTM(32)`): what `Bidirectional` wraps.
    Layer,
}

impl Ty {
    /// Whether [`keras_config`] writes an argument of this type into
    /// `config.json` (names, initializers, regularizers, constraints and
    /// layers are not: a saved model is loaded with its weights, and a
    /// wrapped layer is its kind's [`crate::layers::Spec::keras_config`]).
    pub fn in_keras_config(self) -> bool {
        !matches!(self, Ty::Str | Ty::Initializer | Ty::Regularizer | Ty::Constraint | Ty::Layer)
    }
}

/// One argument a layer accepts.
#[derive(Clone, Copy, Debug)]
pub struct ArgSpec {
    /// Keras's keyword name.
    pub name: &'static str,
    /// What its value must be.
    pub ty: Ty,
    /// Must be given (positionally first or by keyword).
    pub required: bool,
    /// May be given positionally (numbers in order; names by their kind).
    pub positional: bool,
    /// Other keyword spellings (Keras 3's `negative_slope` for `alpha`).
    pub aliases: &'static [&'static str],
}

/// Builds an optional keyword argument.
pub const fn arg(name: &'static str, ty: Ty) -> ArgSpec {
    ArgSpec { name, ty, required: false, positional: false, aliases: &[] }
}
/// Builds a required argument, given first positionally or by keyword.
pub const fn required(name: &'static str, ty: Ty) -> ArgSpec {
    ArgSpec { name, ty, required: true, positional: true, aliases: &[] }
}
/// Builds an optional argument that may also be given positionally.
pub const fn positional(name: &'static str, ty: Ty) -> ArgSpec {
    ArgSpec { name, ty, required: false, positional: true, aliases: &[] }
}

/// A rate: `[0, 1)`.
pub const UNIT: Ty = Ty::Float { min: 0.0, max: 1.0, max_inclusive: false };
/// A fraction: `[0, 1]`.
pub const UNIT_CLOSED: Ty = Ty::Float { min: 0.0, max: 1.0, max_inclusive: true };
/// A float `>= 0`.
pub const NON_NEG: Ty = Ty::Float { min: 0.0, max: f64::INFINITY, max_inclusive: false };
/// A float `> 0`.
pub const POSITIVE: Ty = Ty::Float { min: f64::MIN_POSITIVE, max: f64::INFINITY, max_inclusive: false };

/// Keywords every layer but `Input` accepts.
pub const COMMON_ARGS: &[ArgSpec] = &[arg("name", Ty::Str), arg("trainable", Ty::Bool)];

/// A resolved argument value.
#[derive(Clone)]
pub enum Value {
    /// A size.
    Size(Dim),
    /// An `f32` expression, and the literal's value when it is one.
    Float(TokenStream, Option<f64>),
    /// An activation.
    Activation(&'static Act),
    /// An `nn::init::Initializer` expression.
    Initializer(TokenStream),
    /// `true` or `false`.
    Bool(bool),
    /// A string's content.
    Str(String),
    /// An `nn::regularizers::Regularizer` expression.
    Regularizer(TokenStream),
    /// Two sizes (height, width).
    Pair([Dim; 2]),
    /// `valid`, `same` or `causal`.
    Padding(&'static str),
    /// One size of a sequence axis (Keras keeps it as a 1-tuple).
    Single(Dim),
    /// A positive integer.
    Int(Dim),
    /// Left and right.
    Sides([Dim; 2]),
    /// Top, bottom, left, right.
    Margins([Dim; 4]),
    /// An `nn::constraints::Constraint` expression.
    Constraint(TokenStream),
    /// One name of a [`Ty::Word`] list.
    Word(&'static str),
    /// A layer declaration, parsed.
    Layer(Box<LayerDecl>),
}

/// A layer's resolved arguments, by Keras keyword, with typed getters whose
/// defaults each kind's module writes once.
#[derive(Default)]
pub struct Args {
    values: HashMap<&'static str, Value>,
    spans: HashMap<&'static str, Span>,
}

impl Args {
    /// These arguments with `over`'s in place of any it also gives (a
    /// preset's, overridden at its use).
    pub fn overridden_by(&self, over: Args) -> Args {
        let mut out = Args { values: self.values.clone(), spans: self.spans.clone() };
        for name in over.spans.keys() {
            out.values.remove(name);
        }
        out.values.extend(over.values);
        out.spans.extend(over.spans);
        out
    }
    /// The argument `name`, if given (and valid).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }
    /// Where the value of argument `name` was written, if it was.
    pub fn span(&self, name: &str) -> Option<Span> {
        self.spans.get(name).copied()
    }
    /// The size `name` (1 when missing or invalid: the mistake is reported already).
    pub fn size(&self, name: &str) -> Dim {
        match self.get(name) {
            Some(Value::Size(d)) => d.clone(),
            _ => Dim::Lit(1),
        }
    }
    /// The float `name` as an `f32` expression, or `default`.
    pub fn float(&self, name: &str, default: f32) -> TokenStream {
        match self.get(name) {
            Some(Value::Float(t, _)) => t.clone(),
            _ => quote!(#default),
        }
    }
    /// The float `name`'s literal value, if it was written as a literal.
    pub fn float_value(&self, name: &str) -> Option<f64> {
        match self.get(name) {
            Some(Value::Float(_, v)) => *v,
            _ => None,
        }
    }
    /// Whether the argument `name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }
    /// The activation `name`, or `linear`.
    pub fn activation(&self, name: &str) -> &'static Act {
        self.activation_or(name, "linear")
    }
    /// The activation `name`, or the one `default` names (`tanh`).
    pub fn activation_or(&self, name: &str, default: &str) -> &'static Act {
        match self.get(name) {
            Some(Value::Activation(a)) => a,
            _ => ACTIVATIONS.iter().find(|a| a.name == default).expect("a known default activation"),
        }
    }
    /// The initializer `name`, or the one `default` names (`glorot_uniform`).
    pub fn initializer(&self, name: &str, default: &str) -> TokenStream {
        match self.get(name) {
            Some(Value::Initializer(t)) => t.clone(),
            _ => named_initializer(default).expect("a known default initializer"),
        }
    }
    /// The boolean `name`, or `default`.
    pub fn flag(&self, name: &str, default: bool) -> bool {
        match self.get(name) {
            Some(Value::Bool(b)) => *b,
            _ => default,
        }
    }
    /// The pair `name`, or `default`.
    pub fn pair(&self, name: &str, default: [u64; 2]) -> [Dim; 2] {
        match self.get(name) {
            Some(Value::Pair(p)) => p.clone(),
            _ => default.map(Dim::Lit),
        }
    }
    /// The one-axis size `name`, or `default`.
    pub fn single(&self, name: &str, default: u64) -> Dim {
        match self.get(name) {
            Some(Value::Single(v) | Value::Int(v)) => v.clone(),
            _ => Dim::Lit(default),
        }
    }
    /// The sides `name` (left, right), or `default`.
    pub fn sides(&self, name: &str, default: [u64; 2]) -> [Dim; 2] {
        match self.get(name) {
            Some(Value::Sides(v)) => v.clone(),
            _ => default.map(Dim::Lit),
        }
    }
    /// The margins `name` (top, bottom, left, right), or `default`.
    pub fn margins(&self, name: &str, default: [u64; 4]) -> [Dim; 4] {
        match self.get(name) {
            Some(Value::Margins(m)) => m.clone(),
            _ => default.map(Dim::Lit),
        }
    }
    /// The padding `name`, or `valid`.
    pub fn padding(&self, name: &str) -> &'static str {
        match self.get(name) {
            Some(Value::Padding(p)) => p,
            _ => "valid",
        }
    }
    /// The regularizer `name`, if given.
    pub fn regularizer(&self, name: &str) -> Option<TokenStream> {
        match self.get(name) {
            Some(Value::Regularizer(t)) => Some(t.clone()),
            _ => None,
        }
    }
    /// The constraint `name`, if given.
    pub fn constraint(&self, name: &str) -> Option<TokenStream> {
        match self.get(name) {
            Some(Value::Constraint(t)) => Some(t.clone()),
            _ => None,
        }
    }
    /// The word `name` of a [`Ty::Word`] list, or `default`.
    pub fn word(&self, name: &str, default: &'static str) -> &'static str {
        match self.get(name) {
            Some(Value::Word(w)) => w,
            _ => default,
        }
    }
    /// The layer declaration `name`, if given (and parsed).
    pub fn layer(&self, name: &str) -> Option<&LayerDecl> {
        match self.get(name) {
            Some(Value::Layer(l)) => Some(l),
            _ => None,
        }
    }
    /// The string `name`, if given.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// The given arguments as Keras config entries `(key, value expression)`
/// for `config.json`, by each argument's Keras 3 key (its first alias when it
/// has one: `LeakyReLU`'s `negative_slope`). Names, flags of the model
/// (`name`, `trainable`), initializers, regularizers and constraints are not
/// among them: a saved model is loaded with its weights.
pub fn keras_config(specs: &[ArgSpec], args: &Args) -> Vec<(&'static str, TokenStream)> {
    let json = quote!(::nn::files::serde_json::json);
    // A size as a JSON number: the literal (as a `u64`), or the const expression's value.
    let n = |d: &Dim| match d {
        Dim::Lit(v) => quote!(#v),
        Dim::Sym(..) => {
            let t = d.tokens();
            quote!((#t) as u64)
        }
    };
    let mut out = Vec::new();
    for s in specs.iter().filter(|s| s.ty.in_keras_config()) {
        let Some(v) = args.get(s.name) else { continue };
        let value = match v {
            Value::Size(d) => {
                let t = d.tokens();
                quote!((#t) as u64)
            }
            Value::Float(_, Some(x)) => quote!(#x),
            Value::Float(t, None) => quote!(f64::from(#t)),
            Value::Activation(a) => {
                let n = a.name;
                quote!(#n)
            }
            Value::Bool(b) => quote!(#b),
            Value::Pair([a, b]) => {
                let (a, b) = (n(a), n(b));
                quote!(#json!([#a, #b]))
            }
            Value::Padding(p) | Value::Word(p) => quote!(#p),
            Value::Single(v) => {
                let v = n(v);
                quote!(#json!([#v]))
            }
            Value::Int(v) => n(v),
            Value::Sides([a, b]) => {
                let (a, b) = (n(a), n(b));
                quote!(#json!([#a, #b]))
            }
            Value::Margins(m) => {
                let [t, b, l, r] = [&m[0], &m[1], &m[2], &m[3]].map(n);
                quote!(#json!([[#t, #b], [#l, #r]]))
            }
            Value::Str(_) | Value::Initializer(_) | Value::Regularizer(_) | Value::Constraint(_) | Value::Layer(_) => {
                continue; // not in_keras_config
            }
        };
        out.push((s.aliases.first().copied().unwrap_or(s.name), value));
    }
    out
}

/// Which arguments were given, and their values.
#[derive(Default)]
struct Given {
    /// How each given argument was written, for the "given twice" message.
    written: HashMap<&'static str, String>,
    args: Args,
}

impl Given {
    /// Records `spec` (written as `text` at `span`); a second time is a mistake.
    fn set(&mut self, spec: &ArgSpec, span: Span, text: String, value: Option<Value>, cx: &mut Ctxt) {
        if let Some(first) = self.written.get(spec.name) {
            let msg = if spec.name == "use_bias" {
                format!("conflicting arguments: `{first}` and `{text}`; keep one")
            } else {
                format!("`{}` is given twice (`{first}`, then `{text}`); keep one", spec.name)
            };
            cx.error(span, msg);
            return;
        }
        self.written.insert(spec.name, text);
        self.args.spans.insert(spec.name, span);
        if let Some(v) = value {
            self.args.values.insert(spec.name, v);
        }
    }
}

/// What a layer kind accepts: its arguments and its canonical name.
#[derive(Clone, Copy)]
pub struct Accepts<'a> {
    /// The arguments besides `name` and `trainable`.
    pub args: &'a [ArgSpec],
    /// The kind's name (`Dense`), for messages about presets.
    pub kind: &'a str,
}

/// Resolves a layer's arguments against what its kind accepts, without
/// asking for the required ones (a preset may give them at its use).
pub fn resolve_partial(accepts: Accepts, decl: &LayerDecl, cx: &mut Ctxt) -> Args {
    let specs: Vec<&ArgSpec> = accepts.args.iter().chain(COMMON_ARGS).collect();
    let mut given = Given::default();
    let kname = decl.kind.to_string();
    let positional_spec = |ty: Ty| specs.iter().find(|s| s.positional && s.ty == ty).copied();

    let mut next_numeric = specs.iter().filter(|s| {
        s.positional
            && matches!(
                s.ty,
                Ty::Size | Ty::Pair | Ty::Margins | Ty::Single | Ty::Int | Ty::Sides | Ty::Float { .. } | Ty::Layer
            )
    });
    for arg in &decl.args {
        match arg {
            Arg::Keyword { name, value } => {
                let n = name.to_string();
                let Some(spec) = specs.iter().find(|s| s.name == n || s.aliases.contains(&n.as_str())) else {
                    let all = specs.iter().flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()));
                    let hint = match vocab::suggest(&n, all.clone()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("`{kname}` takes {}", list(all)),
                    };
                    // A preset: say which kind it is.
                    let what = match kname == accepts.kind {
                        true => format!("`{kname}`"),
                        false => format!("`{kname}` (a `{}` preset)", accepts.kind),
                    };
                    cx.error(name.span(), format!("unknown argument `{n}` for {what}; {hint}"));
                    continue;
                };
                let v = value_of(spec, value, &kname, cx);
                given.set(spec, name.span(), format!("{n} = {}", value.to_token_stream()), v, cx);
                given.args.spans.insert(spec.name, value.span());
            }
            Arg::Positional(e) => {
                // A name, written as a word or as a string (`elu`, `"elu"`).
                let ident = word(e);
                let is_vs = matches!(e, Expr::Call(c) if single_ident(&c.func).is_some_and(|f| f == "VarianceScaling"));
                if ident.as_deref() == Some("no_bias") {
                    if let Some(spec) = specs.iter().find(|s| s.name == "use_bias") {
                        given.set(spec, e.span(), "no_bias".into(), Some(Value::Bool(false)), cx);
                        continue;
                    }
                }
                if let (Some(id), Some(spec)) = (&ident, positional_spec(Ty::Activation)) {
                    if ACTIVATIONS.iter().any(|a| a.name == id) {
                        let v = value_of(spec, e, &kname, cx);
                        given.set(spec, e.span(), id.clone(), v, cx);
                        continue;
                    }
                }
                if let Some(spec) = positional_spec(Ty::Initializer) {
                    if is_vs || ident.as_ref().is_some_and(|id| INITIALIZERS.iter().any(|a| a.0 == id)) {
                        let v = value_of(spec, e, &kname, cx);
                        given.set(spec, e.span(), e.to_token_stream().to_string(), v, cx);
                        continue;
                    }
                }
                // A lowercase word that is no known name: a typo of one.
                if let Some(id) = ident.as_ref().filter(|id| id.chars().next().is_some_and(char::is_lowercase)) {
                    let (act, init) = (positional_spec(Ty::Activation), positional_spec(Ty::Initializer));
                    let mut names: Vec<&str> = Vec::new();
                    if act.is_some() {
                        names.extend(ACTIVATIONS.iter().map(|a| a.name));
                    }
                    if init.is_some() {
                        names.extend(INITIALIZERS.iter().map(|a| a.0));
                    }
                    if specs.iter().any(|s| s.name == "use_bias") {
                        names.push("no_bias");
                    }
                    if act.is_some() || init.is_some() {
                        let suggestion = vocab::suggest(id, names.iter().copied());
                        let is_init = |w: &str| INITIALIZERS.iter().any(|a| a.0 == w);
                        // The argument it was meant for: counted as given, so
                        // that no "needs `activation`" error follows.
                        let meant = match (suggestion, act, init) {
                            (Some(s), _, Some(init)) if is_init(s) => Some(init),
                            (Some("no_bias"), _, _) => None,
                            (_, Some(act), _) => Some(act),
                            (_, None, init) => init,
                        };
                        let what = match meant {
                            Some(s) if s.ty == Ty::Initializer => "initializer",
                            Some(_) if suggestion.is_none() && init.is_some() => "activation or initializer",
                            Some(_) => "activation",
                            None => "argument",
                        };
                        let hint = match suggestion {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("expected one of {}", list(names.iter().copied())),
                        };
                        cx.error(e.span(), format!("unknown {what} `{id}` for `{kname}`; {hint}"));
                        if let Some(spec) = meant {
                            given.set(spec, e.span(), id.clone(), None, cx);
                        }
                        continue;
                    }
                }
                match next_numeric.next() {
                    Some(spec) => {
                        let v = value_of(spec, e, &kname, cx);
                        given.set(spec, e.span(), e.to_token_stream().to_string(), v, cx);
                    }
                    None => {
                        let takes: Vec<&str> = specs.iter().filter(|s| s.positional).map(|s| s.name).collect();
                        let shown = e.to_token_stream().to_string();
                        let msg = if takes.is_empty() {
                            format!("`{kname}` takes no positional arguments; remove `{shown}`")
                        } else {
                            format!(
                                "too many arguments for `{kname}`: it takes {} positionally; remove `{shown}` or name it (`keyword = {shown}`)",
                                list(takes.into_iter())
                            )
                        };
                        cx.spanned(e, msg);
                    }
                }
            }
        }
    }
    given.args
}

/// Resolves a layer's arguments and checks that the required ones are given.
pub fn resolve(accepts: Accepts, decl: &LayerDecl, cx: &mut Ctxt) -> Args {
    let args = resolve_partial(accepts, decl, cx);
    check_required(accepts, decl, &args, cx);
    args
}

/// Reports each required argument of `kind` that `args` lacks, at `decl`.
pub fn check_required(accepts: Accepts, decl: &LayerDecl, args: &Args, cx: &mut Ctxt) {
    let kname = decl.kind.to_string();
    for spec in accepts.args.iter().filter(|s| s.required) {
        if !args.spans.contains_key(spec.name) {
            let example = match spec.name {
                "units" => format!("{kname}(10)"),
                "activation" => "Activation(relu)".to_string(),
                "rate" => format!("{kname}(0.2)"),
                "stddev" => format!("{kname}(0.1)"),
                "filters" | "kernel_size" => format!("{kname}(32, 3)"),
                "layer" => format!("{kname}(LSTM(32))"),
                "input_dim" | "output_dim" => format!("{kname}(1000, 64)"),
                other => format!("{kname}({other} = ...)"),
            };
            cx.error(
                decl.paren_span.unwrap_or(decl.kind.span()),
                format!("`{kname}` needs `{}`: write `{example}`", spec.name),
            );
        }
    }
}

/// Interprets one argument value by its type.
pub fn value_of(spec: &ArgSpec, e: &Expr, kind: &str, cx: &mut Ctxt) -> Option<Value> {
    let name = spec.name;
    match spec.ty {
        Ty::Size => size(e, &format!("`{name}` of `{kind}`"), cx).map(Value::Size),
        Ty::Pair => pair(e, &format!("`{name}` of `{kind}`"), 1, cx).map(Value::Pair),
        Ty::PairOrZero => pair(e, &format!("`{name}` of `{kind}`"), 0, cx).map(Value::Pair),
        Ty::Padding => padding(e, PADDINGS, &format!("`{name}` of `{kind}`"), cx).map(Value::Padding),
        Ty::CausalPadding => padding(e, CAUSAL_PADDINGS, &format!("`{name}` of `{kind}`"), cx).map(Value::Padding),
        Ty::Word(names) => choice(e, names, &format!("`{name}` of `{kind}`"), None, cx).map(Value::Word),
        Ty::Layer => match syn::parse2::<LayerDecl>(e.to_token_stream()) {
            Ok(l) => Some(Value::Layer(Box::new(l))),
            Err(_) => {
                cx.spanned(
                    e,
                    format!(
                        "`{name}` of `{kind}` is a layer declaration such as `LSTM(32)`, found `{}`",
                        e.to_token_stream()
                    ),
                );
                None
            }
        },
        Ty::Single => single(e, &format!("`{name}` of `{kind}`"), true, cx).map(Value::Single),
        Ty::Int => single(e, &format!("`{name}` of `{kind}`"), false, cx).map(Value::Int),
        Ty::Sides => sides(e, &format!("`{name}` of `{kind}`"), cx).map(Value::Sides),
        Ty::Margins => margins(e, &format!("`{name}` of `{kind}`"), cx).map(Value::Margins),
        Ty::Float { min, max, max_inclusive } => {
            let range = if max.is_infinite() {
                if min > 0.0 {
                    "positive".to_string()
                } else {
                    format!("at least {min}")
                }
            } else if max_inclusive {
                format!("in [{min}, {max}]")
            } else {
                format!("in [{min}, {max})")
            };
            if let Some(v) = float_lit(e) {
                let ok = v >= min && (v < max || max_inclusive && v <= max);
                if !ok {
                    cx.spanned(e, format!("`{name}` of `{kind}` must be {range}, found {v:?}"));
                    return None;
                }
                let f = v as f32;
                return Some(Value::Float(quote!(#f), Some(v)));
            }
            if matches!(e, Expr::Lit(_)) {
                cx.spanned(
                    e,
                    format!("`{name}` of `{kind}` must be a number {range}, found `{}`", e.to_token_stream()),
                );
                return None;
            }
            let msg = format!("`{name}` of `{kind}` must be {range}");
            let lo = min as f32;
            // No upper test for an unbounded range (an infinite literal cannot be written).
            let upper = (max.is_finite()).then(|| {
                let (hi, cmp) = (max as f32, if max_inclusive { quote!(<=) } else { quote!(<) });
                quote!(&& (#e) as f32 #cmp #hi)
            });
            cx.assert(e.span(), quote_spanned!(e.span()=> (#e) as f32 >= #lo #upper), &msg);
            Some(Value::Float(quote_spanned!(e.span()=> (#e) as f32), None))
        }
        Ty::Activation => {
            let w = word(e);
            match w.as_deref().and_then(|w| ACTIVATIONS.iter().find(|a| a.name == w)) {
                Some(a) => Some(Value::Activation(a)),
                None => {
                    let shown = w.unwrap_or_else(|| e.to_token_stream().to_string());
                    let hint = match vocab::suggest(&shown, ACTIVATIONS.iter().map(|a| a.name)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("expected one of {}", list(ACTIVATIONS.iter().map(|a| a.name))),
                    };
                    cx.error(e.span(), format!("unknown activation `{shown}`; {hint}"));
                    None
                }
            }
        }
        Ty::Initializer => initializer(e, cx).map(Value::Initializer),
        Ty::Regularizer => crate::penalties::regularizer(e, cx).map(Value::Regularizer),
        Ty::Constraint => crate::penalties::constraint(e, cx).map(Value::Constraint),
        Ty::Bool => match e {
            Expr::Lit(syn::ExprLit { lit: Lit::Bool(b), .. }) => Some(Value::Bool(b.value)),
            _ => {
                cx.spanned(
                    e,
                    format!("`{name}` of `{kind}` must be `true` or `false`, found `{}`", e.to_token_stream()),
                );
                None
            }
        },
        Ty::Str => {
            match str_lit(e) {
                Some(s) if name == "name" => match layer_name_problem(&s) {
                    Some(problem) => {
                        cx.error(e.span(), format!("layer name \"{s}\" {problem}; it names the struct's field: write a name like \"hidden1\""));
                        None
                    }
                    None => Some(Value::Str(s)),
                },
                Some(s) => Some(Value::Str(s)),
                None => {
                    cx.error(e.span(), format!("`{name}` must be a string literal: `{name} = \"hidden1\"`"));
                    None
                }
            }
        }
    }
}

/// One number of a size argument: an integer literal from `min` to
/// `u32::MAX` (else `bad` of it is the error), or a const expression (which
/// the compiler checks is a `usize` at least `min`); else `not_number`.
fn number(
    e: &Expr,
    what: &str,
    min: i128,
    bad: impl FnOnce(i128) -> String,
    not_number: impl FnOnce() -> String,
    cx: &mut Ctxt,
) -> Option<Dim> {
    match int_lit(e) {
        Some(v) if v >= min && v <= i128::from(u32::MAX) => Some(Dim::Lit(v as u64)),
        Some(v) => {
            cx.spanned(e, bad(v));
            None
        }
        None if const_operand(e) => Some(const_size(e, what, min as u64, cx)),
        None => {
            cx.spanned(e, not_number());
            None
        }
    }
}

/// A pair of sizes at least `min`: `3` (both) or `(3, 1)`.
fn pair(e: &Expr, what: &str, min: i128, cx: &mut Ctxt) -> Option<[Dim; 2]> {
    let one = |e: &Expr, cx: &mut Ctxt| {
        let bad = |v| format!("{what} must be at least {min}, found {v}");
        let not_number =
            || format!("{what} must be a positive integer or a pair `(3, 3)`, found `{}`", e.to_token_stream());
        number(e, what, min, bad, not_number, cx)
    };
    match e {
        Expr::Tuple(t) if t.elems.len() == 2 => {
            let (a, b) = (one(&t.elems[0], cx), one(&t.elems[1], cx));
            Some([a?, b?])
        }
        Expr::Tuple(t) => {
            cx.spanned(e, format!("{what} is one number or a pair `(height, width)`, found {} numbers", t.elems.len()));
            None
        }
        _ => one(e, cx).map(|v| [v.clone(), v]),
    }
}

/// A margin at least 0 (of [`margins`] and [`sides`]).
fn margin(e: &Expr, what: &str, cx: &mut Ctxt) -> Option<Dim> {
    let msg = || format!("{what} takes whole numbers at least 0, found `{}`", e.to_token_stream());
    number(e, what, 0, |_| msg(), msg, cx)
}

/// Margins: `1`, `(rows, columns)` or `((top, bottom), (left, right))`, each at least 0.
fn margins(e: &Expr, what: &str, cx: &mut Ctxt) -> Option<[Dim; 4]> {
    let one = |e: &Expr, cx: &mut Ctxt| margin(e, what, cx);
    let form = "`1`, `(1, 2)` or `((top, bottom), (left, right))`";
    match e {
        Expr::Tuple(t) if t.elems.len() == 2 => match (&t.elems[0], &t.elems[1]) {
            (Expr::Tuple(a), Expr::Tuple(b)) if a.elems.len() == 2 && b.elems.len() == 2 => {
                let (t0, b0, l0, r0) =
                    (one(&a.elems[0], cx), one(&a.elems[1], cx), one(&b.elems[0], cx), one(&b.elems[1], cx));
                Some([t0?, b0?, l0?, r0?])
            }
            (Expr::Tuple(_), _) | (_, Expr::Tuple(_)) => {
                cx.spanned(e, format!("{what} is {form}"));
                None
            }
            (a, b) => {
                let (r, c) = (one(a, cx), one(b, cx));
                let (r, c) = (r?, c?);
                Some([r.clone(), r, c.clone(), c])
            }
        },
        Expr::Tuple(_) => {
            cx.spanned(e, format!("{what} is {form}"));
            None
        }
        _ => one(e, cx).map(|v| [v.clone(), v.clone(), v.clone(), v]),
    }
}

/// Keras's padding names.
const PADDINGS: &[&str] = &["valid", "same"];
/// `Conv1D`'s padding names.
const CAUSAL_PADDINGS: &[&str] = &["valid", "same", "causal"];

/// One of `names` (`valid`, `same`, and `causal` for `Conv1D`), as a word or a string.
fn padding(e: &Expr, names: &'static [&'static str], what: &str, cx: &mut Ctxt) -> Option<&'static str> {
    let causal = (names.len() == 2 && word(e).as_deref() == Some("causal")).then_some("`causal` is for `Conv1D` only");
    choice(e, names, what, causal, cx)
}

/// One of `names`, as a word or a string; else an error naming them, with
/// `hint` or the near name as the fix.
fn choice(
    e: &Expr,
    names: &'static [&'static str],
    what: &str,
    hint: Option<&str>,
    cx: &mut Ctxt,
) -> Option<&'static str> {
    let w = word(e).unwrap_or_else(|| e.to_token_stream().to_string());
    if let Some(p) = names.iter().find(|p| **p == w) {
        return Some(p);
    }
    let hint = match (hint, vocab::suggest(&w, names.iter().copied())) {
        (Some(h), _) => h.to_string(),
        (None, Some(s)) => format!("did you mean `{s}`?"),
        _ => "write one of them".to_string(),
    };
    let shown = match names.split_last() {
        Some((last, [])) => format!("`{last}`"),
        Some((last, rest)) => format!("{} or `{last}`", list(rest.iter().copied())),
        None => String::new(),
    };
    cx.spanned(e, format!("{what} is {shown}, found `{w}`; {hint}"));
    None
}

/// A positive integer, and with `tuple` also a 1-tuple `(3,)` (Keras's
/// one-axis sizes; `(3)` is the number itself).
fn single(e: &Expr, what: &str, tuple: bool, cx: &mut Ctxt) -> Option<Dim> {
    let form = if tuple { "a positive integer or `(k,)`" } else { "a positive integer" };
    let e = match e {
        Expr::Tuple(t) if tuple && t.elems.len() == 1 => &t.elems[0],
        Expr::Tuple(t) => {
            let hint =
                if t.elems.len() == 2 && tuple { "; this axis takes one size (a pair is for 2-D layers)" } else { "" };
            cx.spanned(e, format!("{what} is {form}, found {} numbers{hint}", t.elems.len()));
            return None;
        }
        e => e,
    };
    let bad = |v| format!("{what} must be at least 1, found {v}");
    let not_number = || format!("{what} must be {form}, found `{}`", e.to_token_stream());
    number(e, what, 1, bad, not_number, cx)
}

/// Sides of a sequence: `1` (both) or `(left, right)`, each at least 0.
fn sides(e: &Expr, what: &str, cx: &mut Ctxt) -> Option<[Dim; 2]> {
    match e {
        Expr::Tuple(t) if t.elems.len() == 2 => {
            let (a, b) = (margin(&t.elems[0], what, cx), margin(&t.elems[1], what, cx));
            Some([a?, b?])
        }
        Expr::Tuple(t) => {
            cx.spanned(e, format!("{what} is one number or a pair `(left, right)`, found {} numbers", t.elems.len()));
            None
        }
        _ => margin(e, what, cx).map(|v| [v.clone(), v]),
    }
}

/// Why `s` cannot name a layer (and so a field), if it cannot.
pub fn layer_name_problem(s: &str) -> Option<&'static str> {
    if s.starts_with("__") {
        Some("is reserved: names starting with `__` are the macro's own")
    } else if s.starts_with("r#") || syn::parse_str::<syn::Ident>(s).is_ok() {
        (s.starts_with("r#")).then_some("must be a plain identifier")
    } else if syn::parse_str::<syn::Ident>(&format!("r#{s}")).is_ok() {
        Some("is a Rust keyword")
    } else {
        Some("must be a Rust identifier (letters, digits and `_`, not starting with a digit)")
    }
}

/// An initializer: a name (`he_normal`, `"he_normal"`) or `VarianceScaling(...)`.
pub fn initializer(e: &Expr, cx: &mut Ctxt) -> Option<TokenStream> {
    if let Expr::Call(call) = e {
        if single_ident(&call.func).is_some_and(|f| f == "VarianceScaling") {
            return variance_scaling(call, cx);
        }
    }
    let w = word(e);
    match w.as_deref().and_then(named_initializer) {
        Some(t) => Some(t),
        None => {
            let shown = w.unwrap_or_else(|| e.to_token_stream().to_string());
            let names = INITIALIZERS.iter().map(|a| a.0).chain(["VarianceScaling"]);
            let hint = match vocab::suggest(&shown, names.clone()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("expected one of {}", list(names)),
            };
            cx.error(e.span(), format!("unknown initializer `{shown}`; {hint}"));
            None
        }
    }
}

/// The runtime expression of a named initializer (`he_normal`).
fn named_initializer(name: &str) -> Option<TokenStream> {
    let (_, ctor) = INITIALIZERS.iter().find(|a| a.0 == name)?;
    let ctor: TokenStream = ctor.parse().ok()?;
    Some(quote!(::nn::init::Initializer::#ctor))
}

/// `VarianceScaling(scale = 2.0, mode = fan_avg, distribution = uniform)`.
pub fn variance_scaling(call: &syn::ExprCall, cx: &mut Ctxt) -> Option<TokenStream> {
    const KEYS: [&str; 3] = ["scale", "mode", "distribution"];
    let mut vals: [Option<Expr>; 3] = [None, None, None];
    let mut ok = true;
    for (i, a) in call.args.iter().enumerate() {
        let (slot, value) = match Arg::from(a.clone()) {
            Arg::Keyword { name, value } => match KEYS.iter().position(|k| name == k) {
                Some(p) => (p, value),
                None => {
                    let hint = vocab::suggest(&name.to_string(), KEYS)
                        .map_or(String::new(), |s| format!("did you mean `{s}`? "));
                    cx.error(name.span(), format!("unknown argument `{name}` for `VarianceScaling`; {hint}it takes `scale`, `mode`, `distribution`"));
                    ok = false;
                    continue;
                }
            },
            Arg::Positional(e) if i < 3 => (i, e),
            Arg::Positional(e) => {
                cx.error(
                    e.span(),
                    "too many arguments for `VarianceScaling`: it takes `scale`, `mode`, `distribution`",
                );
                ok = false;
                continue;
            }
        };
        if vals[slot].is_some() {
            cx.error(value.span(), format!("`{}` is given twice", KEYS[slot]));
            ok = false;
        }
        vals[slot] = Some(value);
    }
    let scale = match &vals[0] {
        None => quote!(1.0f32),
        Some(e) => match float_lit(e) {
            Some(v) if v > 0.0 => {
                let f = v as f32;
                quote!(#f)
            }
            _ => {
                cx.spanned(
                    e,
                    format!("`scale` of `VarianceScaling` must be a positive number, found `{}`", e.to_token_stream()),
                );
                ok = false;
                quote!(1.0f32)
            }
        },
    };
    let pick = |e: &Option<Expr>,
                table: &[(&str, &'static str)],
                default: &'static str,
                what: &str,
                cx: &mut Ctxt|
     -> Option<&'static str> {
        let Some(e) = e else { return Some(default) };
        let w = word(e).unwrap_or_else(|| e.to_token_stream().to_string());
        match table.iter().find(|(k, _)| *k == w) {
            Some((_, v)) => Some(v),
            None => {
                let hint = match vocab::suggest(&w, table.iter().map(|t| t.0)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("expected one of {}", list(table.iter().map(|t| t.0))),
                };
                cx.error(e.span(), format!("unknown {what} `{w}` for `VarianceScaling`; {hint}"));
                None
            }
        }
    };
    let mode = pick(&vals[1], FAN_MODES, "FanIn", "mode", cx);
    let dist = pick(&vals[2], DISTRIBUTIONS, "TruncatedNormal", "distribution", cx);
    let (Some(mode), Some(dist), true) = (mode, dist, ok) else { return None };
    let (mode, dist) = (syn::Ident::new(mode, Span::call_site()), syn::Ident::new(dist, Span::call_site()));
    Some(quote! {
        ::nn::init::Initializer::VarianceScaling {
            scale: #scale,
            mode: ::nn::init::FanMode::#mode,
            distribution: ::nn::init::Distribution::#dist,
        }
    })
}
