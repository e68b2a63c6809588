//! Size arithmetic on [`Dim`]: Keras's formulas for windows (`valid`,
//! `same`, `causal`, transposed), padding, cropping and up-sampling, and the
//! conditions the layers check on them, each one of the `nn-sizes` crate's
//! `const fn`s. When every operand is a literal the macro calls it here, and
//! a condition is known (the layer reports its error with the numbers);
//! when a const item gives an operand, the formula is a call of the same
//! function in the expansion (`::nn::model::sizes`), and a condition is a
//! `bool` const expression that
//! [`Ctxt::require`](crate::ctxt::Ctxt::require) asserts.
//!
//! The formulas are total: on sizes that break a rule they give 1 (0 for a
//! padding), never a panic or an overflow.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use nn_sizes as rules;

use crate::dims::Dim;

/// `name(args)`: `fold` (the call of `rules::name`) when every argument is
/// a literal, else a call of `sizes::name` in the expansion, read in
/// messages as `show` of the arguments (as [`Dim::op`] shows them).
fn formula<const N: usize>(
    name: &str,
    args: [&Dim; N],
    fold: impl FnOnce([usize; N]) -> usize,
    show: impl FnOnce([String; N]) -> String,
) -> Dim {
    if let Some(lits) = literals(args) {
        return Dim::Lit(fold(lits) as u64);
    }
    let f = format_ident!("{name}");
    let tokens = args.map(Dim::tokens);
    Dim::sym(quote!(::nn::model::sizes::#f(#(#tokens),*)), show(args.map(Dim::op)))
}

/// The values of `args` when every one is a literal (one past a `usize`
/// taken as `usize::MAX`, which the formulas saturate at).
fn literals<const N: usize>(args: [&Dim; N]) -> Option<[usize; N]> {
    let mut out = [0; N];
    for (o, d) in out.iter_mut().zip(args) {
        *o = usize::try_from(d.lit()?).unwrap_or(usize::MAX);
    }
    Some(out)
}

/// How a formula without a reading of its own shows: `same_pad(H, 3, 1, 1)`.
fn call<const N: usize>(name: &str, args: [String; N]) -> String {
    format!("{name}({})", args.join(", "))
}

/// A window's reach with dilation `d`: `d·(k − 1) + 1`.
pub fn reach(k: &Dim, d: &Dim) -> Dim {
    if d.is(1) {
        return k.clone();
    }
    formula("reach", [k, d], |[k, d]| rules::reach(k, d), |[k, d]| format!("{d} * ({k} - 1) + 1"))
}

/// Keras's `valid` output length: `floor((n − reach)/s) + 1` (1 when the window does not fit).
pub fn valid(n: &Dim, k: &Dim, s: &Dim, d: &Dim) -> Dim {
    let (reach, unit) = (reach(k, d), s.is(1));
    if unit && reach.is(1) {
        return n.clone();
    }
    let r = reach.op();
    formula(
        "valid",
        [n, k, s, d],
        |[n, k, s, d]| rules::valid(n, k, s, d),
        |[n, _, s, _]| match (unit, reach.lit()) {
            (true, Some(r)) => format!("{n} - {}", r - 1),
            (true, None) => format!("{n} - {r} + 1"),
            (false, _) => format!("({n} - {r}) / {s} + 1"),
        },
    )
}

/// Keras's `same` output length: `ceil(n/s)`.
pub fn same(n: &Dim, s: &Dim) -> Dim {
    if s.is(1) {
        return n.clone();
    }
    formula("same", [n, s], |[n, s]| rules::same(n, s), |[n, s]| format!("ceil({n} / {s})"))
}

/// The zeros `same` padding puts before the input: half the total
/// `(ceil(n/s) − 1)·s + reach − n`, the odd one after (TensorFlow's split).
pub fn same_pad(n: &Dim, k: &Dim, s: &Dim, d: &Dim) -> Dim {
    formula("same_pad", [n, k, s, d], |[n, k, s, d]| rules::same_pad(n, k, s, d), |a| call("same_pad", a))
}

/// Conv1D's `causal` output length: `floor((n − 1)/s) + 1`.
pub fn causal(n: &Dim, s: &Dim) -> Dim {
    if s.is(1) {
        return n.clone();
    }
    formula("causal", [n, s], |[n, s]| rules::causal(n, s), |[n, s]| format!("({n} - 1) / {s} + 1"))
}

/// Conv1D's `causal` padding, all before the sequence: `reach − 1`.
pub fn causal_pad(k: &Dim, d: &Dim) -> Dim {
    formula("causal_pad", [k, d], |[k, d]| rules::causal_pad(k, d), |a| call("causal_pad", a))
}

/// Keras's `deconv_output_length` on `n` rows, with `output_padding` `p`
/// if given: `valid` `(n − 1)·s + max(reach, s)` or `(n − 1)·s + reach + p`,
/// `same` `n·s` or `(n − 1)·s + reach mod 2 + p`.
pub fn transposed(n: &Dim, k: &Dim, s: &Dim, d: &Dim, same: bool, p: Option<&Dim>) -> Dim {
    let r = reach(k, d);
    match (same, p) {
        (false, None) => {
            let most = match (r.lit(), s.lit()) {
                (Some(r), Some(s)) => r.max(s).to_string(),
                _ => format!("max({}, {})", r.show(), s.show()),
            };
            formula(
                "transposed_valid",
                [n, k, s, d],
                |[n, k, s, d]| rules::transposed_valid(n, k, s, d),
                |[n, _, s, _]| format!("({n} - 1) * {s} + {most}"),
            )
        }
        (true, None) if s.is(1) => n.clone(),
        (true, None) => {
            formula("transposed_same", [n, s], |[n, s]| rules::transposed_same(n, s), |[n, s]| format!("{n} * {s}"))
        }
        (false, Some(p)) => {
            let added = terms(&[r.op(), p.op()]);
            formula(
                "transposed_valid_padded",
                [n, k, s, d, p],
                |[n, k, s, d, p]| rules::transposed_valid_padded(n, k, s, d, p),
                |[n, _, s, _, _]| format!("({n} - 1) * {s}{added}"),
            )
        }
        (true, Some(p)) => {
            let odd = match r.lit() {
                Some(r) => (r % 2).to_string(),
                None => format!("{} % 2", r.op()),
            };
            let added = terms(&[odd, p.op()]);
            formula(
                "transposed_same_padded",
                [n, k, s, d, p],
                |[n, k, s, d, p]| rules::transposed_same_padded(n, k, s, d, p),
                |[n, _, s, _, _]| format!("({n} - 1) * {s}{added}"),
            )
        }
    }
}

/// ` + a + b` of the terms that are not `0`.
fn terms(terms: &[String]) -> String {
    terms.iter().filter(|t| *t != "0").map(|t| format!(" + {t}")).collect()
}

/// The zeros before the input of the convolution a `same` Conv2DTranspose
/// of `n` rows to `out` rows transposes: `((n − 1)·s + reach − out) / 2`.
pub fn transposed_pad(n: &Dim, k: &Dim, s: &Dim, d: &Dim, out: &Dim) -> Dim {
    formula(
        "transposed_pad",
        [n, k, s, d, out],
        |[n, k, s, d, out]| rules::transposed_pad(n, k, s, d, out),
        |a| call("transposed_pad", a),
    )
}

/// How `before` and `after` read joined by `op` (` + `, ` - `) after a
/// size, as one number when both are literals.
fn both(before: &Dim, after: &Dim, op: &str) -> String {
    match (before.lit(), after.lit()) {
        (Some(a), Some(b)) => a.saturating_add(b).to_string(),
        _ => format!("{}{op}{}", before.op(), after.op()),
    }
}

/// ZeroPadding's output length: `n + before + after`.
pub fn zero_padded(n: &Dim, before: &Dim, after: &Dim) -> Dim {
    if before.is(0) && after.is(0) {
        return n.clone();
    }
    let added = both(before, after, " + ");
    formula(
        "zero_padded",
        [n, before, after],
        |[n, a, b]| rules::zero_padded(n, a, b),
        |[n, _, _]| format!("{n} + {added}"),
    )
}

/// Cropping's output length: `n − before − after` (1 when nothing is left).
pub fn cropped(n: &Dim, before: &Dim, after: &Dim) -> Dim {
    if before.is(0) && after.is(0) {
        return n.clone();
    }
    let removed = both(before, after, " - ");
    formula("cropped", [n, before, after], |[n, a, b]| rules::cropped(n, a, b), |[n, _, _]| format!("{n} - {removed}"))
}

/// UpSampling's output length: `n · size`.
pub fn up_sampled(n: &Dim, size: &Dim) -> Dim {
    if size.is(1) {
        return n.clone();
    }
    formula("up_sampled", [n, size], |[n, m]| rules::up_sampled(n, m), |[n, m]| format!("{n} * {m}"))
}

/// Channels per group: `n / groups`.
pub fn per_group(n: &Dim, groups: &Dim) -> Dim {
    if groups.is(1) {
        return n.clone();
    }
    formula("per_group", [n, groups], |[n, g]| rules::per_group(n, g), |[n, g]| format!("{n} / {g}"))
}

/// A depthwise stage's scratch per sample: `input` floats times the depth
/// multiplier `m`, none when `m` is 1.
pub fn expanded(input: &Dim, m: &Dim) -> Dim {
    formula("expanded", [input, m], |[n, m]| rules::expanded(n, m), |a| call("expanded", a))
}

/// A condition on sizes: known to the macro, or a `bool` const expression.
#[derive(Clone, Debug)]
pub enum Check {
    /// Every size in it is a literal.
    Known(bool),
    /// Only the compiler can evaluate it.
    Sym(TokenStream),
}

impl Check {
    /// Both.
    pub fn and(self, other: Check) -> Check {
        match (self, other) {
            (Check::Known(false), _) | (_, Check::Known(false)) => Check::Known(false),
            (Check::Known(true), c) | (c, Check::Known(true)) => c,
            (Check::Sym(a), Check::Sym(b)) => Check::Sym(quote!(#a && #b)),
        }
    }
    /// Either.
    pub fn or(self, other: Check) -> Check {
        match (self, other) {
            (Check::Known(true), _) | (_, Check::Known(true)) => Check::Known(true),
            (Check::Known(false), c) | (c, Check::Known(false)) => c,
            (Check::Sym(a), Check::Sym(b)) => Check::Sym(quote!((#a || #b))),
        }
    }
    /// Its negation.
    pub fn not(self) -> Check {
        match self {
            Check::Known(b) => Check::Known(!b),
            Check::Sym(a) => Check::Sym(quote!(!(#a))),
        }
    }
    /// Whether the macro knows it is false.
    pub fn fails(&self) -> bool {
        matches!(self, Check::Known(false))
    }
}

/// `a op b` for a comparison `op`, decided by `fold` on literals.
fn compare(a: &Dim, b: &Dim, op: TokenStream, fold: impl FnOnce(u64, u64) -> bool) -> Check {
    match (a.lit(), b.lit()) {
        (Some(x), Some(y)) => Check::Known(fold(x, y)),
        _ => {
            let (a, b) = (a.tokens(), b.tokens());
            Check::Sym(quote!(#a #op #b))
        }
    }
}

/// `a <= b`.
pub fn le(a: &Dim, b: &Dim) -> Check {
    compare(a, b, quote!(<=), |x, y| x <= y)
}

/// `a < b`.
pub fn lt(a: &Dim, b: &Dim) -> Check {
    compare(a, b, quote!(<), |x, y| x < y)
}

/// `a == b`.
pub fn eq(a: &Dim, b: &Dim) -> Check {
    compare(a, b, quote!(==), |x, y| x == y)
}

/// The condition `sizes::name`, decided by `fold` (the call of `rules::name`) on literals.
fn condition<const N: usize>(name: &str, args: [&Dim; N], fold: impl FnOnce([usize; N]) -> bool) -> Check {
    match literals(args) {
        Some(lits) => Check::Known(fold(lits)),
        None => {
            let f = format_ident!("{name}");
            let tokens = args.map(Dim::tokens);
            Check::Sym(quote!(::nn::model::sizes::#f(#(#tokens),*)))
        }
    }
}

/// Whether cropping `before` and `after` of `n` leaves something.
pub fn crop_leaves(n: &Dim, before: &Dim, after: &Dim) -> Check {
    condition("crop_leaves", [n, before, after], |[n, a, b]| rules::crop_leaves(n, a, b))
}

/// Whether `groups` divides `n`.
pub fn divides(n: &Dim, groups: &Dim) -> Check {
    condition("divides", [n, groups], |[n, g]| rules::divides(n, g))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(name: &str) -> Dim {
        let id = format_ident!("{name}");
        Dim::sym(quote!(#id), name)
    }

    #[test]
    fn literals_fold_as_keras() {
        let l = Dim::Lit;
        assert_eq!(valid(&l(28), &l(3), &l(1), &l(1)).lit(), Some(26));
        assert_eq!(valid(&l(10), &l(3), &l(1), &l(2)).lit(), Some(6));
        assert_eq!(valid(&l(4), &l(5), &l(1), &l(1)).lit(), Some(1));
        assert_eq!((same(&l(7), &l(2)).lit(), same_pad(&l(7), &l(3), &l(2), &l(1)).lit()), (Some(4), Some(1)));
        assert_eq!((causal(&l(9), &l(2)).lit(), causal_pad(&l(3), &l(2)).lit()), (Some(5), Some(4)));
        assert_eq!(transposed(&l(7), &l(3), &l(2), &l(1), false, None).lit(), Some(15));
        assert_eq!(transposed(&l(7), &l(3), &l(2), &l(1), true, Some(&l(1))).lit(), Some(14));
        assert_eq!(cropped(&l(5), &l(3), &l(2)).lit(), Some(1));
        assert!(!crop_leaves(&l(5), &l(2), &l(2)).and(divides(&l(12), &l(4))).and(le(&l(3), &l(3))).fails());
        assert!(divides(&l(12), &l(0)).fails());
    }

    #[test]
    fn const_operands_call_the_runtime() {
        let (h, k) = (sym("H"), sym("K"));
        let v = valid(&h, &k, &Dim::Lit(1), &Dim::Lit(1));
        assert_eq!(v.tokens().to_string(), "(:: nn :: model :: sizes :: valid ((H) , (K) , 1 , 1))");
        assert_eq!(v.show(), "H - K + 1");
        assert_eq!(valid(&v, &Dim::Lit(2), &Dim::Lit(2), &Dim::Lit(1)).show(), "((H - K + 1) - 2) / 2 + 1");
        assert_eq!(valid(&h, &Dim::Lit(3), &Dim::Lit(1), &Dim::Lit(1)).show(), "H - 2");
        assert_eq!(same(&h, &Dim::Lit(1)).show(), "H", "a stride of 1 keeps the size itself");
        assert_eq!(zero_padded(&h, &Dim::Lit(1), &Dim::Lit(1)).show(), "H + 2");
        assert_eq!(cropped(&h, &k, &Dim::Lit(1)).show(), "H - K - 1");
        match le(&k, &h).and(Check::Known(true)) {
            Check::Sym(t) => assert_eq!(t.to_string(), "(K) <= (H)"),
            Check::Known(_) => panic!("a const operand is for the compiler"),
        }
    }
}
