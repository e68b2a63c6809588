//! The names a declaration may use besides layer kinds: activations,
//! initializers and `VarianceScaling`'s modes, with the near-name
//! suggestion for a typo of any name.

/// An activation: its Keras name and its runtime type in `nn::activations`.
#[derive(Debug, PartialEq, Eq)]
pub struct Act {
    /// Keras's name (`relu`).
    pub name: &'static str,
    /// The runtime type (`Relu`).
    pub ty: &'static str,
}

impl Act {
    /// Whether it is softmax (a model ending in it gets the fused
    /// softmax + cross-entropy gradient).
    pub fn is_softmax(&self) -> bool {
        self.ty == SOFTMAX.ty
    }
}

const fn act(name: &'static str, ty: &'static str) -> Act {
    Act { name, ty }
}

/// The softmax activation.
pub const SOFTMAX: &Act = &act("softmax", "Softmax");

/// Every activation name.
pub const ACTIVATIONS: &[Act] = &[
    act("linear", "Linear"),
    act("relu", "Relu"),
    act("elu", "Elu"),
    act("selu", "Selu"),
    act("leaky_relu", "LeakyRelu"),
    act("tanh", "Tanh"),
    act("sigmoid", "Sigmoid"),
    act("logistic", "Sigmoid"),
    act("softmax", "Softmax"),
    act("softplus", "Softplus"),
    act("swish", "Swish"),
    act("silu", "Swish"),
    act("gelu", "Gelu"),
];

/// Named initializers and the runtime constructor of each, after
/// `nn::init::Initializer::` (Keras's `uniform` is `RandomUniform(-0.05, 0.05)`).
pub const INITIALIZERS: &[(&str, &str)] = &[
    ("glorot_uniform", "glorot_uniform()"),
    ("glorot_normal", "glorot_normal()"),
    ("he_normal", "he_normal()"),
    ("he_uniform", "he_uniform()"),
    ("lecun_normal", "lecun_normal()"),
    ("lecun_uniform", "lecun_uniform()"),
    ("orthogonal", "orthogonal()"),
    ("uniform", "random_uniform(-0.05, 0.05)"),
    ("random_uniform", "random_uniform(-0.05, 0.05)"),
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

/// Whether `s` is one of the names a layer may take positionally (an
/// activation, an initializer, `no_bias`).
pub fn is_known_name(s: &str) -> bool {
    ACTIVATIONS.iter().any(|a| a.name == s) || INITIALIZERS.iter().any(|a| a.0 == s) || s == "no_bias"
}

/// `a`, `b`, `c` in backquotes, for "expected one of" messages.
pub fn list<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

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

/// `SeedMlp` -> `seed_mlp`, Keras's model name.
pub fn snake_case(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || next_lower && chars[i - 1].is_uppercase()) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("elux", ACTIVATIONS.iter().map(|a| a.name)), Some("elu"));
        assert_eq!(suggest("he_normla", INITIALIZERS.iter().map(|a| a.0)), Some("he_normal"));
    }
}
