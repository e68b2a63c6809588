//! Keras's weight regularizers and constraints as layer arguments:
//! `kernel_regularizer = l2(0.01)`, `l1(0.01)`, `l1_l2(l1 = 0.01, l2 = 0.01)`;
//! `kernel_constraint = max_norm(1.0)`, `non_neg`, `unit_norm`,
//! `min_max_norm(min_value = 0.0, max_value = 1.0)`, with Keras's defaults,
//! each number checked, a typo of a name answered with the near one.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::Expr;

use crate::ctxt::Ctxt;
use crate::dims::float_lit;
use crate::parse::{word, Arg};
use crate::vocab::{self, list};

/// A parameter of a regularizer or constraint: its name, Keras's default, and
/// whether it must be a whole number (an axis).
struct Param {
    name: &'static str,
    default: f64,
    axis: bool,
}

const fn p(name: &'static str, default: f64) -> Param {
    Param { name, default, axis: false }
}
const AXIS: Param = Param { name: "axis", default: 0.0, axis: true };

/// Keras's regularizers: name, parameters.
const REGULARIZERS: &[(&str, &[Param])] =
    &[("l1", &[p("l1", 0.01)]), ("l2", &[p("l2", 0.01)]), ("l1_l2", &[p("l1", 0.0), p("l2", 0.0)])];

/// Keras's constraints: name, parameters.
const CONSTRAINTS: &[(&str, &[Param])] = &[
    ("max_norm", &[p("max_value", 2.0), AXIS]),
    ("non_neg", &[]),
    ("unit_norm", &[AXIS]),
    ("min_max_norm", &[p("min_value", 0.0), p("max_value", 1.0), p("rate", 1.0), AXIS]),
];

/// `name` or `name(args)`: the name, then each parameter's value (all
/// checked: finite, at least 0, whole for an axis).
fn call(
    e: &Expr,
    what: &str,
    table: &[(&'static str, &'static [Param])],
    cx: &mut Ctxt,
) -> Option<(&'static str, Vec<f64>)> {
    let (func, args): (&Expr, Vec<Expr>) = match e {
        Expr::Call(c) => (&c.func, c.args.iter().cloned().collect()),
        other => (other, Vec::new()),
    };
    let Some(name) = word(func) else {
        cx.spanned(
            e,
            format!("expected a {what}, one of {}; found `{}`", list(table.iter().map(|t| t.0)), e.to_token_stream()),
        );
        return None;
    };
    let Some((name, params)) = table.iter().find(|t| t.0 == name) else {
        let hint = match vocab::suggest(&name, table.iter().map(|t| t.0)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("expected one of {}", list(table.iter().map(|t| t.0))),
        };
        cx.spanned(func, format!("unknown {what} `{name}`; {hint}"));
        return None;
    };
    let mut values: Vec<Option<f64>> = vec![None; params.len()];
    let mut ok = true;
    for (i, a) in args.iter().enumerate() {
        let (slot, value) = match Arg::from(a.clone()) {
            Arg::Keyword { name: k, value } => match params.iter().position(|p| k == p.name) {
                Some(s) => (s, value),
                None => {
                    let hint = vocab::suggest(&k.to_string(), params.iter().map(|p| p.name))
                        .map_or(String::new(), |s| format!("did you mean `{s}`? "));
                    let takes = if params.is_empty() {
                        "no arguments".to_string()
                    } else {
                        list(params.iter().map(|p| p.name))
                    };
                    cx.error(k.span(), format!("unknown argument `{k}` for `{name}`; {hint}it takes {takes}"));
                    ok = false;
                    continue;
                }
            },
            Arg::Positional(v) if i < params.len() => (i, v),
            Arg::Positional(v) => {
                cx.spanned(
                    &v,
                    format!("too many arguments for `{name}`: it takes {}", list(params.iter().map(|p| p.name))),
                );
                ok = false;
                continue;
            }
        };
        let param = &params[slot];
        let what = if param.name == *name {
            format!("the factor of `{name}`")
        } else {
            format!("`{}` of `{name}`", param.name)
        };
        match float_lit(&value) {
            Some(v) if !v.is_finite() || v < 0.0 => {
                cx.spanned(&value, format!("{what} must be a number at least 0, found {v:?}"));
                ok = false;
            }
            Some(v) if param.axis && v.fract() != 0.0 => {
                cx.spanned(&value, format!("`axis` of `{name}` is an axis of the weight, a whole number, found {v:?}"));
                ok = false;
            }
            Some(v) if values[slot].is_some() => {
                cx.spanned(&value, format!("{what} is given twice"));
                let _ = v;
                ok = false;
            }
            Some(v) => values[slot] = Some(v),
            None => {
                cx.spanned(&value, format!("{what} must be a number, found `{}`", value.to_token_stream()));
                ok = false;
            }
        }
    }
    ok.then(|| (*name, values.iter().zip(params.iter()).map(|(v, p)| v.unwrap_or(p.default)).collect()))
}

/// A regularizer argument as the runtime's `nn::regularizers::Regularizer`.
pub fn regularizer(e: &Expr, cx: &mut Ctxt) -> Option<TokenStream> {
    let (name, v) = call(e, "regularizer", REGULARIZERS, cx)?;
    let f = |x: f64| x as f32;
    let (l1, l2) = match name {
        "l1" => (f(v[0]), 0.0),
        "l2" => (0.0, f(v[0])),
        _ => (f(v[0]), f(v[1])),
    };
    Some(quote!(::nn::regularizers::Regularizer { l1: #l1, l2: #l2 }))
}

/// A constraint argument as the runtime's `nn::constraints::Constraint`.
pub fn constraint(e: &Expr, cx: &mut Ctxt) -> Option<TokenStream> {
    let (name, v) = call(e, "constraint", CONSTRAINTS, cx)?;
    let f = |x: f64| x as f32;
    let axis = |x: f64| x as usize;
    Some(match name {
        "max_norm" => {
            let (m, a) = (f(v[0]), axis(v[1]));
            quote!(::nn::constraints::Constraint::MaxNorm { max_value: #m, axis: #a })
        }
        "non_neg" => quote!(::nn::constraints::Constraint::NonNeg),
        "unit_norm" => {
            let a = axis(v[0]);
            quote!(::nn::constraints::Constraint::UnitNorm { axis: #a })
        }
        _ => {
            let (lo, hi, rate, a) = (f(v[0]), f(v[1]), f(v[2]), axis(v[3]));
            if lo > hi {
                cx.spanned(e, format!("`min_value` ({lo}) of `min_max_norm` is above `max_value` ({hi})"));
                return None;
            }
            quote!(::nn::constraints::Constraint::MinMaxNorm { min_value: #lo, max_value: #hi, rate: #rate, axis: #a })
        }
    })
}
