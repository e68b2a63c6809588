//! Arguments: each resolved against the layer table, with near-name suggestions.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

use crate::layers::{self, ArgSpec, Kind, Op, Ty, ACTIVATIONS, COMMON_ARGS, DISTRIBUTIONS, FAN_MODES, INITIALIZERS};
use crate::parse::{single_ident, Arg, LayerDecl};

use super::dims::{float_lit, size};
use super::{list, Errors, Value};

pub(super) fn is_known_name(s: &str) -> bool {
    ACTIVATIONS.iter().any(|a| a.0 == s) || INITIALIZERS.iter().any(|a| a.0 == s) || s == "no_bias"
}

/// Which arguments were given, and their values.
#[derive(Default)]
pub(super) struct Given {
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
pub(super) fn resolve_args(
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

pub(super) fn kw_lit(a: &Arg, key: &str) -> Option<(f64, Span)> {
    match a {
        Arg::Keyword { name, value } if name == key => float_lit(value).map(|v| (v, value.span())),
        _ => None,
    }
}

/// A string literal's content.
pub(super) fn str_lit(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

/// A name given as `word` or `"word"`.
pub(super) fn word(e: &Expr) -> Option<String> {
    single_ident(e).map(|i| i.to_string()).or_else(|| str_lit(e))
}

/// Interprets one argument value by its type.
pub(super) fn value_of(
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
pub(super) fn layer_name_problem(s: &str) -> Option<&'static str> {
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
pub(super) fn initializer(e: &Expr, errors: &mut Errors) -> Option<TokenStream> {
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
pub(super) fn variance_scaling(call: &syn::ExprCall, errors: &mut Errors) -> Option<TokenStream> {
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
