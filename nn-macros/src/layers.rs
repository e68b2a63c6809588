//! The one table of layer kinds, activations and initializers: names,
//! arguments, Keras's class and automatic name. Adding a layer kind is one
//! entry here (plus its shape rule in `check.rs` and a runtime module).

/// What a layer does to the shape, and which runtime type it expands to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    /// `Input[..]`: declares the input shape; no field.
    Input,
    /// Keras's `Flatten`.
    Flatten,
    /// Keras's `Reshape`.
    Reshape,
    /// Keras's `Dense`.
    Dense,
    /// Keras's `BatchNormalization`.
    BatchNorm,
    /// Keras's `Activation`.
    Activation,
    /// Keras's `LeakyReLU`.
    LeakyRelu,
    /// Keras's `PReLU`.
    PRelu,
    /// Keras's `ELU`.
    Elu,
    /// Keras's `Dropout`.
    Dropout,
    /// Keras's `AlphaDropout`.
    AlphaDropout,
    /// PyTorch's `RReLU`.
    RRelu,
}

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

const fn arg(name: &'static str, ty: Ty) -> ArgSpec {
    ArgSpec { name, ty, required: false, positional: false, aliases: &[] }
}
const fn required(name: &'static str, ty: Ty) -> ArgSpec {
    ArgSpec { name, ty, required: true, positional: true, aliases: &[] }
}
const fn positional(name: &'static str, ty: Ty) -> ArgSpec {
    ArgSpec { name, ty, required: false, positional: true, aliases: &[] }
}

const UNIT: Ty = Ty::Float { min: 0.0, max: 1.0, max_inclusive: false };
const UNIT_CLOSED: Ty = Ty::Float { min: 0.0, max: 1.0, max_inclusive: true };
const NON_NEG: Ty = Ty::Float { min: 0.0, max: f64::INFINITY, max_inclusive: false };
const POSITIVE: Ty = Ty::Float { min: f64::MIN_POSITIVE, max: f64::INFINITY, max_inclusive: false };

/// A layer kind.
#[derive(Debug)]
pub struct Kind {
    /// What it does to the shape, and its runtime type.
    pub op: Op,
    /// Accepted spellings; the first is the canonical one.
    pub names: &'static [&'static str],
    /// Keras's class name, shown in the summary.
    pub class: &'static str,
    /// Keras's automatic name prefix (`dense`, `dense_1`, ...).
    pub auto_name: &'static str,
    /// Arguments besides `name` and `trainable`, which every layer takes.
    pub args: &'static [ArgSpec],
}

/// Every layer kind.
pub const KINDS: &[Kind] = &[
    Kind { op: Op::Input, names: &["Input", "InputLayer"], class: "InputLayer", auto_name: "input", args: &[] },
    Kind { op: Op::Flatten, names: &["Flatten"], class: "Flatten", auto_name: "flatten", args: &[] },
    Kind { op: Op::Reshape, names: &["Reshape"], class: "Reshape", auto_name: "reshape", args: &[] },
    Kind {
        op: Op::Dense,
        names: &["Dense"],
        class: "Dense",
        auto_name: "dense",
        args: &[
            required("units", Ty::Size),
            positional("activation", Ty::Activation),
            positional("kernel_initializer", Ty::Initializer),
            arg("bias_initializer", Ty::Initializer),
            arg("use_bias", Ty::Bool),
        ],
    },
    Kind {
        op: Op::BatchNorm,
        names: &["BatchNorm", "BatchNormalization"],
        class: "BatchNormalization",
        auto_name: "batch_normalization",
        args: &[arg("momentum", UNIT_CLOSED), arg("epsilon", POSITIVE)],
    },
    Kind {
        op: Op::Activation,
        names: &["Activation"],
        class: "Activation",
        auto_name: "activation",
        args: &[required("activation", Ty::Activation)],
    },
    Kind {
        op: Op::LeakyRelu,
        names: &["LeakyReLU"],
        class: "LeakyReLU",
        auto_name: "leaky_re_lu",
        args: &[ArgSpec { aliases: &["negative_slope"], ..positional("alpha", NON_NEG) }],
    },
    Kind { op: Op::PRelu, names: &["PReLU"], class: "PReLU", auto_name: "p_re_lu", args: &[] },
    Kind { op: Op::Elu, names: &["ELU"], class: "ELU", auto_name: "elu", args: &[positional("alpha", NON_NEG)] },
    Kind {
        op: Op::Dropout,
        names: &["Dropout"],
        class: "Dropout",
        auto_name: "dropout",
        args: &[required("rate", UNIT)],
    },
    Kind {
        op: Op::AlphaDropout,
        names: &["AlphaDropout"],
        class: "AlphaDropout",
        auto_name: "alpha_dropout",
        args: &[required("rate", UNIT)],
    },
    Kind {
        op: Op::RRelu,
        names: &["RReLU"],
        class: "RReLU",
        auto_name: "r_re_lu",
        args: &[arg("lower", UNIT_CLOSED), arg("upper", UNIT_CLOSED)],
    },
];

/// Keywords every layer but `Input` accepts.
pub const COMMON_ARGS: &[ArgSpec] = &[arg("name", Ty::Str), arg("trainable", Ty::Bool)];

/// Finds a kind by any of its spellings.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.names.contains(&name))
}

/// Every spelling of every kind, for suggestions.
pub fn kind_names() -> impl Iterator<Item = &'static str> {
    KINDS.iter().flat_map(|k| k.names.iter().copied())
}

/// Activation names and the runtime type each maps to.
pub const ACTIVATIONS: &[(&str, &str)] = &[
    ("linear", "Linear"),
    ("relu", "Relu"),
    ("elu", "Elu"),
    ("selu", "Selu"),
    ("leaky_relu", "LeakyRelu"),
    ("tanh", "Tanh"),
    ("sigmoid", "Sigmoid"),
    ("logistic", "Sigmoid"),
    ("softmax", "Softmax"),
    ("softplus", "Softplus"),
    ("swish", "Swish"),
    ("silu", "Swish"),
    ("gelu", "Gelu"),
];

/// Named initializers and the runtime constructor of each.
pub const INITIALIZERS: &[(&str, &str)] = &[
    ("glorot_uniform", "glorot_uniform"),
    ("glorot_normal", "glorot_normal"),
    ("he_normal", "he_normal"),
    ("he_uniform", "he_uniform"),
    ("lecun_normal", "lecun_normal"),
    ("lecun_uniform", "lecun_uniform"),
    ("zeros", "Zeros"),
    ("ones", "Ones"),
];

/// `VarianceScaling`'s modes: (Keras name, runtime variant).
pub const FAN_MODES: &[(&str, &str)] = &[("fan_in", "FanIn"), ("fan_out", "FanOut"), ("fan_avg", "FanAvg")];

/// `VarianceScaling`'s distributions: (Keras name, runtime variant).
pub const DISTRIBUTIONS: &[(&str, &str)] = &[
    ("truncated_normal", "TruncatedNormal"),
    ("normal", "TruncatedNormal"),
    ("untruncated_normal", "UntruncatedNormal"),
    ("uniform", "Uniform"),
];

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance with adjacent transpositions.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("elux", ACTIVATIONS.iter().map(|a| a.0)), Some("elu"));
        assert_eq!(suggest("Dens", kind_names()), Some("Dense"));
        assert_eq!(suggest("he_normla", INITIALIZERS.iter().map(|a| a.0)), Some("he_normal"));
        assert_eq!(suggest("zzzzzz", kind_names()), None);
    }
}
