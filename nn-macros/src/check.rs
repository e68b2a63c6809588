//! Meaning of a declaration: arguments resolved against the layer table,
//! Keras's names given, shapes inferred. Every mistake becomes a
//! `syn::Error` at the offending token; all are collected, none stops the
//! check early.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Lit, UnOp};

use crate::layers::{self, ArgSpec, Kind, Op, Ty, ACTIVATIONS, COMMON_ARGS, DISTRIBUTIONS, FAN_MODES, INITIALIZERS};
use crate::parse::{single_ident, Arg, LayerDecl};

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

/// A size: a literal the macro can check, or a const expression it cannot.
#[derive(Clone, Debug)]
pub enum Dim {
    /// A literal size, known to the macro.
    Lit(u64),
    /// A const expression (`HIDDEN * 2`), known only to the compiler.
    Sym(TokenStream),
}

impl Dim {
    /// The size as a `usize` expression.
    pub fn tokens(&self) -> TokenStream {
        match self {
            Dim::Lit(n) => proc_macro2::Literal::u64_unsuffixed(*n).into_token_stream(),
            Dim::Sym(t) => quote!((#t)),
        }
    }
    /// How the size reads in a message.
    pub fn show(&self) -> String {
        match self {
            Dim::Lit(n) => n.to_string(),
            Dim::Sym(t) => t.to_string(),
        }
    }
}

/// The product of sizes: literals folded into one factor, written only when
/// it is not 1 (so that the expansion has no `1 * N` for lints to flag).
pub fn product(dims: &[Dim]) -> Dim {
    let lit: u64 = dims.iter().map(|d| if let Dim::Lit(n) = d { *n } else { 1 }).product();
    let syms: Vec<TokenStream> = dims.iter().filter(|d| matches!(d, Dim::Sym(_))).map(Dim::tokens).collect();
    match (syms.is_empty(), lit) {
        (true, _) => Dim::Lit(lit),
        (false, 1) => Dim::Lit(1).joined(&syms, quote!(*)),
        (false, _) => {
            let n = lit as usize;
            Dim::Sym(quote!(#n #(* #syms)*))
        }
    }
}

impl Dim {
    /// `a op b op c` over symbolic parts.
    fn joined(self, parts: &[TokenStream], op: TokenStream) -> Dim {
        let first = &parts[0];
        let rest = &parts[1..];
        let _ = self;
        Dim::Sym(quote!(#first #(#op #rest)*))
    }
}

/// `(None, 28, 28)`.
pub fn show_shape(dims: &[Dim]) -> String {
    let mut s = String::from("(None");
    for d in dims {
        s.push_str(", ");
        s.push_str(&d.show());
    }
    s.push(')');
    s
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

/// The sum of sizes: literals folded into one term, written only when it is not 0.
pub fn sum(dims: &[Dim]) -> Dim {
    let lit: u64 = dims.iter().map(|d| if let Dim::Lit(n) = d { *n } else { 0 }).sum();
    let syms: Vec<TokenStream> = dims.iter().filter(|d| matches!(d, Dim::Sym(_))).map(Dim::tokens).collect();
    match (syms.is_empty(), lit) {
        (true, _) => Dim::Lit(lit),
        (false, 0) => Dim::Lit(0).joined(&syms, quote!(+)),
        (false, _) => {
            let n = lit as usize;
            Dim::Sym(quote!(#n #(+ #syms)*))
        }
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

/// Sizes from a bracket; `allow_infer` admits one `-1` (Reshape).
fn dims_of(
    what: &str,
    exprs: &[Expr],
    span: Span,
    allow_infer: bool,
    errors: &mut Errors,
    asserts: &mut Vec<TokenStream>,
) -> Vec<Dim> {
    if exprs.is_empty() {
        errors.add(span, "a shape needs at least one size: `[28, 28]`");
    }
    exprs
        .iter()
        .map(|e| {
            if allow_infer && int_lit(e) == Some(-1) {
                return Dim::Lit(0); // placeholder, resolved by Reshape
            }
            size(e, what, errors, asserts).unwrap_or(Dim::Lit(1))
        })
        .collect()
}

/// A signed integer literal (`-1`, `300`).
fn int_lit(e: &Expr) -> Option<i128> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse::<i128>().ok(),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => int_lit(&u.expr).map(|v| -v),
        Expr::Group(g) => int_lit(&g.expr),
        Expr::Paren(p) => int_lit(&p.expr),
        _ => None,
    }
}

/// A float or integer literal, with its sign.
fn float_lit(e: &Expr) -> Option<f64> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse::<f64>().ok(),
            Lit::Float(f) => f.base10_parse::<f64>().ok(),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => float_lit(&u.expr).map(|v| -v),
        Expr::Group(g) => float_lit(&g.expr),
        Expr::Paren(p) => float_lit(&p.expr),
        _ => None,
    }
}

fn is_known_name(s: &str) -> bool {
    ACTIVATIONS.iter().any(|a| a.0 == s) || INITIALIZERS.iter().any(|a| a.0 == s) || s == "no_bias"
}

/// A positive integer size: a literal, or a const expression checked at compile time.
fn size(e: &Expr, what: &str, errors: &mut Errors, asserts: &mut Vec<TokenStream>) -> Option<Dim> {
    let shown = e.to_token_stream().to_string();
    if let Expr::Lit(l) = e {
        match &l.lit {
            Lit::Int(i) => match i.base10_parse::<u64>() {
                Ok(0) => errors.add(e.span(), format!("{what} must be at least 1, found 0")),
                Ok(n) if i.suffix().is_empty() || i.suffix() == "usize" => return Some(Dim::Lit(n)),
                Ok(n) => errors.add(e.span(), format!("{what} is a `usize`, found `{i}`; write `{n}`")),
                Err(_) => errors.add(e.span(), format!("{what} must be a positive integer, found `{i}`")),
            },
            Lit::Float(f) => {
                let whole = f.base10_digits().split(['.', 'e', 'E']).next().unwrap_or("1");
                let whole = if whole.is_empty() || whole == "0" { "1" } else { whole };
                errors.add(e.span(), format!("{what} must be a positive integer, found `{f}`; write `{whole}`"))
            }
            Lit::Str(s) => errors.add(
                e.span(),
                format!("{what} must be a positive integer, found the string `{shown}`; write `{}`", s.value()),
            ),
            _ => errors.add(e.span(), format!("{what} must be a positive integer, found `{shown}`")),
        }
        return None;
    }
    if let Some(v) = int_lit(e) {
        errors.spanned(e, format!("{what} must be a positive integer, found `{v}`"));
        return None;
    }
    if let Some(v) = float_lit(e) {
        errors.spanned(e, format!("{what} must be a positive integer, found `{v:?}`"));
        return None;
    }
    if let Expr::Array(a) = e {
        errors.spanned(e, format!("{what} must be a positive integer, found a bracket; write each size once, `[28, 28]`, not `[[28, 28]]`"));
        let _ = a;
        return None;
    }
    if let Some(id) = single_ident(e) {
        let s = id.to_string();
        if is_known_name(&s)
            || s.chars().next().is_some_and(|c| c.is_lowercase())
                && layers::suggest(&s, ACTIVATIONS.iter().map(|a| a.0)).is_some()
        {
            errors.add(e.span(), format!("{what} must come first, as a positive integer; found `{s}`"));
            return None;
        }
    }
    if !const_like(e) {
        errors.spanned(e, format!("{what} must be a positive integer or a `usize` constant, found `{shown}`"));
        return None;
    }
    // A const expression: the compiler checks it is a `usize` (one error at
    // the expression if not) and at least 1, with a message like the literal case.
    let msg = format!("{what} must be at least 1, but `{shown}` is 0");
    asserts.push(quote_spanned! {e.span()=>
        const _: () = {
            let size: usize = #e;
            ::core::assert!(size > 0, #msg);
        };
    });
    Some(Dim::Sym(quote_spanned!(e.span()=> (#e) as usize)))
}

/// Whether an expression may be a `usize` constant: paths, arithmetic,
/// calls of `const fn`s, blocks; not arrays, strings, closures or ranges.
fn const_like(e: &Expr) -> bool {
    match e {
        Expr::Path(_) | Expr::Call(_) | Expr::MethodCall(_) | Expr::Macro(_) | Expr::Block(_) => true,
        Expr::Const(_) | Expr::Field(_) | Expr::Index(_) | Expr::If(_) | Expr::Match(_) => true,
        Expr::Lit(l) => matches!(l.lit, Lit::Int(_)),
        Expr::Binary(b) => const_like(&b.left) && const_like(&b.right),
        Expr::Unary(u) => const_like(&u.expr),
        Expr::Paren(p) => const_like(&p.expr),
        Expr::Group(g) => const_like(&g.expr),
        Expr::Cast(c) => const_like(&c.expr),
        _ => false,
    }
}

/// The shape a layer outputs, checking what its kind requires of its input.
fn infer_shape(
    kind: &Kind,
    decl: &LayerDecl,
    input: &[Dim],
    args: &HashMap<&'static str, Value>,
    name: &str,
    errors: &mut Errors,
    asserts: &mut Vec<TokenStream>,
) -> Vec<Dim> {
    match kind.op {
        Op::Flatten => vec![product(input)],
        Op::Reshape => {
            let Some(shape) = &decl.shape else {
                errors.add(decl.kind.span(), "`Reshape` needs the target shape: `Reshape[7, 112]`");
                return input.to_vec();
            };
            let span = shape.bracket.span.join();
            let mut dims = dims_of("a size of `Reshape[..]`", &shape.dims, span, true, errors, asserts);
            let holes = shape.dims.iter().filter(|e| int_lit(e) == Some(-1)).count();
            let total = product(input);
            if holes > 1 {
                errors.add(span, format!("layer `{name}`: at most one size of a Reshape may be -1"));
                return dims;
            }
            let known: Vec<Dim> =
                dims.iter().zip(&shape.dims).filter(|(_, e)| int_lit(e) != Some(-1)).map(|(d, _)| d.clone()).collect();
            let known_product = product(&known);
            match (&total, &known_product) {
                (Dim::Lit(t), Dim::Lit(k)) => {
                    let ok = if holes == 1 { *k > 0 && t % k == 0 } else { t == k };
                    if !ok {
                        let what = if holes == 1 { format!("a multiple of {k}") } else { k.to_string() };
                        errors.add(
                            span,
                            format!(
                                "layer `{name}`: cannot reshape {} ({t} values) to {} ({what} values); the target sizes must multiply to {t}",
                                show_shape(input),
                                show_shape(&dims).replace(", 0", ", -1")
                            ),
                        );
                    } else if holes == 1 {
                        for d in dims.iter_mut().zip(&shape.dims).filter(|(_, e)| int_lit(e) == Some(-1)) {
                            *d.0 = Dim::Lit(t / k);
                        }
                    }
                }
                _ => {
                    let (tt, kt) = (total.tokens(), known_product.tokens());
                    let msg = format!(
                        "layer `{name}`: Reshape to {} must keep the element count of {}",
                        show_shape(&dims),
                        show_shape(input)
                    );
                    if holes == 1 {
                        asserts.push(quote_spanned!(span=> const _: () = ::core::assert!(#tt % #kt == 0, #msg);));
                        for d in dims.iter_mut().zip(&shape.dims).filter(|(_, e)| int_lit(e) == Some(-1)) {
                            *d.0 = Dim::Sym(quote!(#tt / #kt));
                        }
                    } else {
                        asserts.push(quote_spanned!(span=> const _: () = ::core::assert!(#tt == #kt, #msg);));
                    }
                }
            }
            dims
        }
        Op::Dense => {
            let mut out = input.to_vec();
            let units = match args.get("units") {
                Some(Value::Size(d)) => d.clone(),
                _ => Dim::Lit(1),
            };
            if out.is_empty() {
                out.push(units);
            } else {
                *out.last_mut().expect("non-empty") = units;
            }
            out
        }
        _ => input.to_vec(),
    }
}

/// Which arguments were given, and their values.
#[derive(Default)]
struct Given {
    /// How each given argument was written, for the "given twice" message.
    written: HashMap<&'static str, String>,
    values: HashMap<&'static str, Value>,
}

impl Given {
    /// Records `spec` (written as `text` at `span`); a second time is a mistake.
    fn set(&mut self, spec: &ArgSpec, span: Span, text: String, value: Option<Value>, errors: &mut Errors) {
        if let Some(first) = self.written.get(spec.name) {
            let msg = if spec.name == "use_bias" {
                format!("conflicting arguments: `{first}` and `{text}`; keep one")
            } else {
                format!("`{}` is given twice (`{first}`, then `{text}`); keep one", spec.name)
            };
            errors.add(span, msg);
            return;
        }
        self.written.insert(spec.name, text);
        if let Some(v) = value {
            self.values.insert(spec.name, v);
        }
    }
}

/// Resolves a layer's arguments against its kind's table.
fn resolve_args(
    kind: &'static Kind,
    decl: &LayerDecl,
    errors: &mut Errors,
    asserts: &mut Vec<TokenStream>,
) -> HashMap<&'static str, Value> {
    let specs: Vec<&ArgSpec> = kind.args.iter().chain(COMMON_ARGS).collect();
    let mut given = Given::default();
    let kname = decl.kind.to_string();
    let positional_spec = |ty: Ty| specs.iter().find(|s| s.positional && s.ty == ty).copied();

    let mut next_numeric = specs.iter().filter(|s| s.positional && matches!(s.ty, Ty::Size | Ty::Float { .. }));
    for arg in &decl.args {
        match arg {
            Arg::Keyword { name, value } => {
                let n = name.to_string();
                let Some(spec) = specs.iter().find(|s| s.name == n || s.aliases.contains(&n.as_str())) else {
                    let all = specs.iter().flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()));
                    let hint = match layers::suggest(&n, all.clone()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("`{kname}` takes {}", list(all)),
                    };
                    errors.add(name.span(), format!("unknown argument `{n}` for `{kname}`; {hint}"));
                    continue;
                };
                let v = value_of(spec, value, &kname, errors, asserts);
                given.set(spec, name.span(), format!("{n} = {}", value.to_token_stream()), v, errors);
            }
            Arg::Positional(e) => {
                // A name, written as a word or as a string (`elu`, `"elu"`).
                let ident = word(e);
                let is_vs = matches!(e, Expr::Call(c) if single_ident(&c.func).is_some_and(|f| f == "VarianceScaling"));
                if ident.as_deref() == Some("no_bias") {
                    if let Some(spec) = specs.iter().find(|s| s.name == "use_bias") {
                        given.set(spec, e.span(), "no_bias".into(), Some(Value::Bool(false)), errors);
                        continue;
                    }
                }
                if let (Some(id), Some(spec)) = (&ident, positional_spec(Ty::Activation)) {
                    if ACTIVATIONS.iter().any(|a| a.0 == id) {
                        let v = value_of(spec, e, &kname, errors, asserts);
                        given.set(spec, e.span(), id.clone(), v, errors);
                        continue;
                    }
                }
                if let Some(spec) = positional_spec(Ty::Initializer) {
                    if is_vs || ident.as_ref().is_some_and(|id| INITIALIZERS.iter().any(|a| a.0 == id)) {
                        let v = value_of(spec, e, &kname, errors, asserts);
                        given.set(spec, e.span(), e.to_token_stream().to_string(), v, errors);
                        continue;
                    }
                }
                // A lowercase word that is no known name: a typo of one.
                if let Some(id) = ident.as_ref().filter(|id| id.chars().next().is_some_and(char::is_lowercase)) {
                    let (act, init) = (positional_spec(Ty::Activation), positional_spec(Ty::Initializer));
                    let mut names: Vec<&str> = Vec::new();
                    if act.is_some() {
                        names.extend(ACTIVATIONS.iter().map(|a| a.0));
                    }
                    if init.is_some() {
                        names.extend(INITIALIZERS.iter().map(|a| a.0));
                    }
                    if specs.iter().any(|s| s.name == "use_bias") {
                        names.push("no_bias");
                    }
                    if act.is_some() || init.is_some() {
                        let suggestion = layers::suggest(id, names.iter().copied());
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
                        errors.add(e.span(), format!("unknown {what} `{id}` for `{kname}`; {hint}"));
                        if let Some(spec) = meant {
                            given.set(spec, e.span(), id.clone(), None, errors);
                        }
                        continue;
                    }
                }
                match next_numeric.next() {
                    Some(spec) => {
                        let v = value_of(spec, e, &kname, errors, asserts);
                        given.set(spec, e.span(), e.to_token_stream().to_string(), v, errors);
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
                        errors.spanned(e, msg);
                    }
                }
            }
        }
    }
    for spec in specs.iter().filter(|s| s.required) {
        if !given.written.contains_key(spec.name) {
            let example = match spec.name {
                "units" => "Dense(10)".to_string(),
                "activation" => "Activation(relu)".to_string(),
                "rate" => format!("{kname}(0.2)"),
                other => format!("{kname}({other} = ...)"),
            };
            errors.add(
                decl.paren_span.unwrap_or(decl.kind.span()),
                format!("`{kname}` needs `{}`: write `{example}`", spec.name),
            );
        }
    }
    if kind.op == Op::RRelu {
        if let (Some(lo), Some(hi)) =
            (decl.args.iter().find_map(|a| kw_lit(a, "lower")), decl.args.iter().find_map(|a| kw_lit(a, "upper")))
        {
            if lo.0 > hi.0 {
                errors.add(
                    hi.1,
                    format!("`upper` ({:?}) of `RReLU` must not be below `lower` ({:?}); swap them", hi.0, lo.0),
                );
            }
        }
    }
    given.values
}

fn kw_lit(a: &Arg, key: &str) -> Option<(f64, Span)> {
    match a {
        Arg::Keyword { name, value } if name == key => float_lit(value).map(|v| (v, value.span())),
        _ => None,
    }
}

/// A string literal's content.
fn str_lit(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

/// A name given as `word` or `"word"`.
fn word(e: &Expr) -> Option<String> {
    single_ident(e).map(|i| i.to_string()).or_else(|| str_lit(e))
}

/// Interprets one argument value by its type.
fn value_of(
    spec: &ArgSpec,
    e: &Expr,
    kind: &str,
    errors: &mut Errors,
    asserts: &mut Vec<TokenStream>,
) -> Option<Value> {
    let name = spec.name;
    match spec.ty {
        Ty::Size => size(e, &format!("`{name}` of `{kind}`"), errors, asserts).map(Value::Size),
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
                    errors.spanned(e, format!("`{name}` of `{kind}` must be {range}, found {v:?}"));
                    return None;
                }
                let f = v as f32;
                return Some(Value::Float(quote!(#f)));
            }
            if matches!(e, Expr::Lit(_)) {
                errors.spanned(
                    e,
                    format!("`{name}` of `{kind}` must be a number {range}, found `{}`", e.to_token_stream()),
                );
                return None;
            }
            let msg = format!("`{name}` of `{kind}` must be {range}");
            let (lo, hi) = (min as f32, max as f32);
            let cmp = if max_inclusive { quote!(<=) } else { quote!(<) };
            asserts.push(quote_spanned!(e.span()=> const _: () = ::core::assert!((#e) as f32 >= #lo && (#e) as f32 #cmp #hi, #msg);));
            Some(Value::Float(quote_spanned!(e.span()=> (#e) as f32)))
        }
        Ty::Activation => {
            let w = word(e);
            match w.as_deref().and_then(|w| ACTIVATIONS.iter().find(|a| a.0 == w)) {
                Some((_, ty)) => Some(Value::Activation(ty)),
                None => {
                    let shown = w.unwrap_or_else(|| e.to_token_stream().to_string());
                    let hint = match layers::suggest(&shown, ACTIVATIONS.iter().map(|a| a.0)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("expected one of {}", list(ACTIVATIONS.iter().map(|a| a.0))),
                    };
                    errors.add(e.span(), format!("unknown activation `{shown}`; {hint}"));
                    None
                }
            }
        }
        Ty::Initializer => initializer(e, errors).map(Value::Initializer),
        Ty::Bool => match e {
            Expr::Lit(syn::ExprLit { lit: Lit::Bool(b), .. }) => Some(Value::Bool(b.value)),
            _ => {
                errors.spanned(
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
                        errors.add(e.span(), format!("layer name \"{s}\" {problem}; it names the struct's field: write a name like \"hidden1\""));
                        None
                    }
                    None => Some(Value::Str(s)),
                },
                Some(s) => Some(Value::Str(s)),
                None => {
                    errors.add(e.span(), format!("`{name}` must be a string literal: `{name} = \"hidden1\"`"));
                    None
                }
            }
        }
    }
}

/// Why `s` cannot name a layer (and so a field), if it cannot.
fn layer_name_problem(s: &str) -> Option<&'static str> {
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
fn initializer(e: &Expr, errors: &mut Errors) -> Option<TokenStream> {
    if let Expr::Call(call) = e {
        if single_ident(&call.func).is_some_and(|f| f == "VarianceScaling") {
            return variance_scaling(call, errors);
        }
    }
    let w = word(e);
    match w.as_deref().and_then(|w| INITIALIZERS.iter().find(|a| a.0 == w)) {
        Some((_, ctor)) if ctor.starts_with(char::is_uppercase) => {
            let v = syn::Ident::new(ctor, Span::call_site());
            Some(quote!(::nn::init::Initializer::#v))
        }
        Some((_, ctor)) => {
            let f = syn::Ident::new(ctor, Span::call_site());
            Some(quote!(::nn::init::Initializer::#f()))
        }
        None => {
            let shown = w.unwrap_or_else(|| e.to_token_stream().to_string());
            let names = INITIALIZERS.iter().map(|a| a.0).chain(["VarianceScaling"]);
            let hint = match layers::suggest(&shown, names.clone()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("expected one of {}", list(names)),
            };
            errors.add(e.span(), format!("unknown initializer `{shown}`; {hint}"));
            None
        }
    }
}

/// `VarianceScaling(scale = 2.0, mode = fan_avg, distribution = uniform)`.
fn variance_scaling(call: &syn::ExprCall, errors: &mut Errors) -> Option<TokenStream> {
    const KEYS: [&str; 3] = ["scale", "mode", "distribution"];
    let mut vals: [Option<Expr>; 3] = [None, None, None];
    let mut ok = true;
    for (i, a) in call.args.iter().enumerate() {
        let (slot, value) = match Arg::from(a.clone()) {
            Arg::Keyword { name, value } => match KEYS.iter().position(|k| name == k) {
                Some(p) => (p, value),
                None => {
                    let hint = layers::suggest(&name.to_string(), KEYS)
                        .map_or(String::new(), |s| format!("did you mean `{s}`? "));
                    errors.add(name.span(), format!("unknown argument `{name}` for `VarianceScaling`; {hint}it takes `scale`, `mode`, `distribution`"));
                    ok = false;
                    continue;
                }
            },
            Arg::Positional(e) if i < 3 => (i, e),
            Arg::Positional(e) => {
                errors.add(
                    e.span(),
                    "too many arguments for `VarianceScaling`: it takes `scale`, `mode`, `distribution`",
                );
                ok = false;
                continue;
            }
        };
        if vals[slot].is_some() {
            errors.add(value.span(), format!("`{}` is given twice", KEYS[slot]));
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
                errors.spanned(
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
                errors: &mut Errors|
     -> Option<&'static str> {
        let Some(e) = e else { return Some(default) };
        let w = word(e).unwrap_or_else(|| e.to_token_stream().to_string());
        match table.iter().find(|(k, _)| *k == w) {
            Some((_, v)) => Some(v),
            None => {
                let hint = match layers::suggest(&w, table.iter().map(|t| t.0)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("expected one of {}", list(table.iter().map(|t| t.0))),
                };
                errors.add(e.span(), format!("unknown {what} `{w}` for `VarianceScaling`; {hint}"));
                None
            }
        }
    };
    let mode = pick(&vals[1], FAN_MODES, "FanIn", "mode", errors);
    let dist = pick(&vals[2], DISTRIBUTIONS, "TruncatedNormal", "distribution", errors);
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
