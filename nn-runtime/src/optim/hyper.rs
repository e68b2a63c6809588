//! Hyper-parameter rules: the ranges a value may take, and the one message
//! for a value outside its range (`Sgd: learning_rate must be a finite number
//! >= 0, got NaN`). Optimizers, schedules and callbacks check with it.

use crate::{Error, Result};

/// The values a hyper-parameter accepts. NaN is in no range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Range {
    /// A finite number `>= 0` (rates, ε, decays).
    NonNegative,
    /// A finite number `> 0` (clipping thresholds, step counts).
    Positive,
    /// In `[0, 1]` (momentum).
    Unit,
    /// In `[0, 1)` (the decay rates of moving averages: β1, β2, ρ).
    UnitOpen,
    /// Any finite number.
    Finite,
}

impl Range {
    /// Whether `v` is in the range.
    pub(crate) fn contains(self, v: f64) -> bool {
        match self {
            Range::NonNegative => v.is_finite() && v >= 0.0,
            Range::Positive => v.is_finite() && v > 0.0,
            Range::Unit => (0.0..=1.0).contains(&v),
            Range::UnitOpen => (0.0..1.0).contains(&v),
            Range::Finite => v.is_finite(),
        }
    }

    /// The rule in words, after "must be".
    fn text(self) -> &'static str {
        match self {
            Range::NonNegative => "a finite number >= 0",
            Range::Positive => "a finite number > 0",
            Range::Unit => "in [0, 1]",
            Range::UnitOpen => "in [0, 1)",
            Range::Finite => "a finite number",
        }
    }
}

/// `Ok` if `value` is in `range`, else an [`Error::Invalid`] naming `owner`
/// (`"Sgd"`, `"Adam: ExponentialDecay"`, `"EarlyStopping"`) and `name`.
pub(crate) fn check(owner: &str, name: &str, value: f64, range: Range) -> Result<()> {
    if range.contains(value) {
        Ok(())
    } else {
        Err(Error::Invalid(format!("{owner}: {name} must be {}, got {}", range.text(), shortest(value))))
    }
}

/// `v` as its shortest text, as the `f32` it was given as when it is one
/// (`-0.1`, not `-0.10000000149011612`).
fn shortest(v: f64) -> String {
    let single = v as f32;
    if f64::from(single) == v || v.is_nan() {
        single.to_string()
    } else {
        v.to_string()
    }
}
