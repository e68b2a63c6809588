//! Sizes: literals the macro checks, const expressions it leaves to the compiler.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Lit, UnOp};

use crate::ctxt::Ctxt;
use crate::parse::single_ident;
use crate::vocab::{self, is_known_name, ACTIVATIONS};

/// A size: a literal the macro can check, or a const expression it cannot.
#[derive(Clone, Debug)]
pub enum Dim {
    /// A literal size, known to the macro.
    Lit(u64),
    /// A const expression (`HIDDEN * 2`), known only to the compiler, and
    /// how it reads in messages (the user's names: `HIDDEN * 2`, `H - K + 1`).
    Sym(TokenStream, String),
}

impl Dim {
    /// A const expression, read as `shown` in messages.
    pub fn sym(tokens: TokenStream, shown: impl Into<String>) -> Dim {
        Dim::Sym(tokens, shown.into())
    }
    /// The size as a `usize` expression.
    pub fn tokens(&self) -> TokenStream {
        match self {
            Dim::Lit(n) => proc_macro2::Literal::u64_unsuffixed(*n).into_token_stream(),
            Dim::Sym(t, _) => quote!((#t)),
        }
    }
    /// How the size reads in a message.
    pub fn show(&self) -> String {
        match self {
            Dim::Lit(n) => n.to_string(),
            Dim::Sym(_, s) => s.clone(),
        }
    }
    /// How it reads as an operand (`(H - 2)` in `(H - 2)×(W - 2)`): the same
    /// as [`Dim::show`] for a number or a name, else in parentheses.
    pub fn op(&self) -> String {
        let s = self.show();
        match s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            true => s,
            false => format!("({s})"),
        }
    }
    /// Its value, when it is a literal.
    pub fn lit(&self) -> Option<u64> {
        match self {
            Dim::Lit(n) => Some(*n),
            Dim::Sym(..) => None,
        }
    }
    /// Whether it is the literal `n`.
    pub fn is(&self, n: u64) -> bool {
        self.lit() == Some(n)
    }
}

/// The product of sizes: literals folded into one factor, written only when
/// it is not 1 (so that the expansion has no `1 * N` for lints to flag).
/// Saturates instead of overflowing: [`count`] is what reports an overflow.
pub fn product(dims: &[Dim]) -> Dim {
    fold(dims, quote!(*), " * ", 1, u64::saturating_mul)
}

/// The sum of sizes: literals folded into one term, written only when it is not 0.
pub fn sum(dims: &[Dim]) -> Dim {
    fold(dims, quote!(+), " + ", 0, u64::saturating_add)
}

/// `dims` joined by `op`, their literals folded by `f` from `unit` into one
/// operand first (left out when it is `unit`).
fn fold(dims: &[Dim], op: TokenStream, shown_op: &str, unit: u64, f: fn(u64, u64) -> u64) -> Dim {
    let lit = dims.iter().filter_map(Dim::lit).fold(unit, f);
    let syms: Vec<&Dim> = dims.iter().filter(|d| d.lit().is_none()).collect();
    if syms.is_empty() {
        return Dim::Lit(lit);
    }
    let mut tokens: Vec<TokenStream> = syms.iter().map(|d| d.tokens()).collect();
    let mut shown: Vec<String> = syms.iter().map(|d| d.op()).collect();
    if lit != unit {
        let n = lit as usize;
        tokens.insert(0, quote!(#n));
        shown.insert(0, lit.to_string());
    }
    let (first, rest) = (&tokens[0], &tokens[1..]);
    Dim::sym(quote!(#first #(#op #rest)*), shown.join(shown_op))
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

/// Sizes from a bracket; `allow_infer` admits one `-1` (Reshape).
pub fn dims_of(what: &str, exprs: &[Expr], span: Span, allow_infer: bool, cx: &mut Ctxt) -> Vec<Dim> {
    if exprs.is_empty() {
        cx.error(span, "a shape needs at least one size: `[28, 28]`");
    }
    exprs
        .iter()
        .map(|e| {
            if allow_infer && int_lit(e) == Some(-1) {
                return Dim::Lit(0); // placeholder, resolved by Reshape
            }
            size(e, what, cx).unwrap_or(Dim::Lit(1))
        })
        .collect()
}

/// A signed integer literal (`-1`, `300`).
pub fn int_lit(e: &Expr) -> Option<i128> {
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

/// A float or integer literal, with its sign, if an `f32` holds it (a
/// larger one is no number the layers can take: callers report it).
pub fn float_lit(e: &Expr) -> Option<f64> {
    float_lit_any(e).filter(|v| (*v as f32).is_finite())
}

fn float_lit_any(e: &Expr) -> Option<f64> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse::<f64>().ok(),
            Lit::Float(f) => f.base10_parse::<f64>().ok(),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => float_lit_any(&u.expr).map(|v| -v),
        Expr::Group(g) => float_lit_any(&g.expr),
        Expr::Paren(p) => float_lit_any(&p.expr),
        _ => None,
    }
}

/// A positive integer size: a literal, or a const expression checked at compile time.
pub fn size(e: &Expr, what: &str, cx: &mut Ctxt) -> Option<Dim> {
    let shown = e.to_token_stream().to_string();
    if let Expr::Lit(l) = e {
        match &l.lit {
            Lit::Int(i) => match i.base10_parse::<u64>() {
                Ok(0) => cx.error(e.span(), format!("{what} must be at least 1, found 0")),
                Ok(n) if i.suffix().is_empty() || i.suffix() == "usize" => return Some(Dim::Lit(n)),
                Ok(n) => cx.error(e.span(), format!("{what} is a `usize`, found `{i}`; write `{n}`")),
                Err(_) => cx.error(e.span(), format!("{what} must be a positive integer, found `{i}`")),
            },
            Lit::Float(f) => {
                let whole = f.base10_digits().split(['.', 'e', 'E']).next().unwrap_or("1");
                let whole = if whole.is_empty() || whole == "0" { "1" } else { whole };
                cx.error(e.span(), format!("{what} must be a positive integer, found `{f}`; write `{whole}`"))
            }
            Lit::Str(s) => cx.error(
                e.span(),
                format!("{what} must be a positive integer, found the string `{shown}`; write `{}`", s.value()),
            ),
            _ => cx.error(e.span(), format!("{what} must be a positive integer, found `{shown}`")),
        }
        return None;
    }
    if let Some(v) = int_lit(e) {
        cx.spanned(e, format!("{what} must be a positive integer, found `{v}`"));
        return None;
    }
    if let Some(v) = float_lit(e) {
        cx.spanned(e, format!("{what} must be a positive integer, found `{v:?}`"));
        return None;
    }
    if let Expr::Array(a) = e {
        cx.spanned(e, format!("{what} must be a positive integer, found a bracket; write each size once, `[28, 28]`, not `[[28, 28]]`"));
        let _ = a;
        return None;
    }
    if let Some(id) = single_ident(e) {
        let s = id.to_string();
        if is_known_name(&s)
            || s.chars().next().is_some_and(|c| c.is_lowercase())
                && vocab::suggest(&s, ACTIVATIONS.iter().map(|a| a.name)).is_some()
        {
            cx.error(e.span(), format!("{what} must come first, as a positive integer; found `{s}`"));
            return None;
        }
    }
    if !const_like(e) {
        cx.spanned(e, format!("{what} must be a positive integer or a `usize` constant, found `{shown}`"));
        return None;
    }
    Some(const_size(e, what, 1, cx))
}

/// A size given as a const expression (`K`, `2 * K`): the compiler checks
/// that it is a `usize` (one error at the expression if not) and at least
/// `min`, with a message like the literal case.
pub fn const_size(e: &Expr, what: &str, min: u64, cx: &mut Ctxt) -> Dim {
    let shown = e.to_token_stream().to_string();
    // One `usize` const item per expression (a mistyped or undefined const
    // is one error, there), which the rest of the expansion names.
    let item = cx.size_item(e);
    if min > 0 {
        let msg = match min {
            1 => format!("{what} must be at least 1, but `{shown}` is 0"),
            _ => format!("{what} must be at least {min}, but `{shown}` is smaller"),
        };
        let min = min as usize;
        cx.assert(e.span(), quote!(#item >= #min), &msg);
    }
    Dim::sym(quote!(#item), shown)
}

/// Whether `e` may be a size given by a const item, in an argument that
/// otherwise takes numbers (`kernel_size = K`, `(K, 3)`): a const-like
/// expression that is neither a literal nor a word of the vocabulary
/// (`relu`, `same`), which get their own errors.
pub fn const_operand(e: &Expr) -> bool {
    let word = single_ident(e).map(|id| id.to_string());
    const_like(e)
        && !matches!(e, Expr::Lit(_))
        && int_lit(e).is_none()
        && !word.is_some_and(|w| is_known_name(&w) || ["valid", "same", "causal"].contains(&w.as_str()))
}

/// Whether an expression may be a `usize` constant: paths, arithmetic,
/// calls of `const fn`s, blocks; not arrays, strings, closures or ranges.
pub fn const_like(e: &Expr) -> bool {
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

/// Checks that a shape's element count fits in a `usize` (of a 64-bit
/// target): an overflow of literal sizes is an error at `span` naming `what`
/// and the shape; for const sizes a compile-time assertion says the same.
/// Returns whether it fits (as far as the macro can see).
pub fn count(dims: &[Dim], span: Span, what: &str, cx: &mut Ctxt) -> bool {
    let lits = dims.iter().filter_map(|d| if let Dim::Lit(n) = d { Some(*n) } else { None });
    if lits.clone().try_fold(1u64, u64::checked_mul).is_none() {
        let shown = lits.map(|n| n.to_string()).collect::<Vec<_>>().join(" × ");
        cx.error(
            span,
            format!("{what} has {shown} values, more than a `usize` holds ({}); use smaller sizes", u64::MAX),
        );
        return false;
    }
    if dims.iter().any(|d| d.lit().is_none()) && dims.len() > 1 {
        let all = dims.iter().map(Dim::tokens);
        let msg = format!("{what} has more values than a `usize` holds; use smaller sizes");
        cx.assert(span, quote!(::nn::model::fits(&[#(#all),*])), &msg);
    }
    true
}

/// Checks that a sum of counts fits in a `usize`, as [`count`] does for a product.
pub fn total(parts: &[Dim], span: Span, what: &str, cx: &mut Ctxt) -> bool {
    let lits = parts.iter().filter_map(|d| if let Dim::Lit(n) = d { Some(*n) } else { None });
    if lits.clone().try_fold(0u64, u64::checked_add).is_none() {
        cx.error(span, format!("{what} is more than a `usize` holds ({}); use smaller sizes", u64::MAX));
        return false;
    }
    true
}
