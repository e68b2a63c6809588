//! A seeded mutation fuzzer over the whole pipeline (`sequential2`, the
//! `proc_macro2` entry point): declarations taken from the valid models
//! below and from every compile-fail case under `tests/ui/`, mutated at the
//! token level (deletions, duplications, swaps, literals and names replaced
//! by awkward ones). Every run must return without panicking, and what it
//! returns (the model, or the fallback with its errors) must parse as a file.
//!
//! CI runs 20,000 mutated declarations; a longer run:
//! `NN_MACRO_FUZZ_ITERS=1000000 NN_MACRO_FUZZ_SEED=7 cargo test --release -p nn-macros fuzz -- --nocapture`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Valid declarations, besides the ui cases.
const VALID: &[&str] = &[
    "pub struct SeedMlp { Flatten[28, 28], BatchNorm, Dense(300, he_normal, no_bias), Activation(elu), \
     BatchNorm, Dense(100, he_normal, no_bias), Activation(elu), BatchNorm, Dense(10, softmax), }",
    "struct Zoo { Input[12], Dense(16, selu), LeakyReLU(alpha = 0.2), Dense(16, gelu), PReLU, \
     Dense(16, softplus), ELU(alpha = 0.7), Dense(8, swish), Activation(tanh), Dense(8, sigmoid), \
     BatchNorm(momentum = 0.9, epsilon = 1e-5), Dense(8, relu), Dropout(0.3), AlphaDropout(rate = 0.1), \
     RReLU(lower = 0.1, upper = 0.3), Dense(5, softmax) }",
    "struct R { Input[4, 6], Reshape[-1], Dense(HIDDEN * 2, kernel_initializer = VarianceScaling(scale = 2.0, \
     mode = fan_in, distribution = uniform)), ReLU(6.0, 0.1, 0.5), GaussianNoise(0.1), GaussianDropout(0.2), \
     Softmax, Dense(3, softmax, name = \"out\", trainable = false) }",
    "layer Reg = Dense(activation = elu, kernel_regularizer = l1_l2(l1 = 0.01, l2 = 0.02), \
     kernel_constraint = max_norm(1.0), bias_constraint = min_max_norm(min_value = 0.0, max_value = 1.0)); \
     layer Wide = Reg(300); struct A { Flatten[28, 28], Reg(100), Wide, MCDropout(0.2), MCAlphaDropout(0.1), \
     Dense(10, softmax, bias_regularizer = l2) } pub struct B { Input[28, 28], A, Dense(2) }",
    "seed = 3; Input[4], Dense(2, kernel_constraint = non_neg), Dense(1, kernel_constraint = unit_norm(axis = 0))",
    "struct C { Input[28, 28, 1], Conv2D(32, 3, relu), MaxPooling2D(2), Conv2D(64, (3, 2), padding = same, \
     strides = 2, use_bias = false), MaxPool2D(pool_size = (2, 1), strides = 1, padding = \"same\"), \
     Conv2D(8, 2, dilation_rate = (2, 1)), AvgPool2D(2, padding = same), GlobalMaxPooling2D(keepdims = true), \
     Flatten, Dropout(0.5), Dense(10, softmax) } struct G { Input[5, 5, 2], AveragePooling2D, GlobalAveragePooling2D } \
     struct P { Input[5, 4, 2], ZeroPadding2D(((1, 2), (0, 1))), Cropping2D((1, 1)), UpSampling2D(size = (2, 1)) }",
    "struct D { Input[9, 8, 4], Conv2D(6, 3, groups = 2, activation = tanh), DepthwiseConv2D((3, 2), strides = 2, \
     padding = same, depth_multiplier = 2, activation = relu), SeparableConv2D(5, 2, padding = \"same\", \
     depth_multiplier = 2, pointwise_initializer = he_normal), Conv2DTranspose(3, 3, strides = 2, \
     output_padding = (1, 0), use_bias = false), Convolution2DTranspose(2, 2, dilation_rate = 2, padding = same), \
     Flatten, Dense(5, softmax) }",
    "struct S { Input[32, 4], Conv1D(8, 3, padding = causal, dilation_rate = 2, groups = 2, activation = relu), \
     SpatialDropout1D(0.2), MaxPooling1D(2), ZeroPadding1D((1, 2)), Conv1D(8, (3,), strides = 2, groups = 4), \
     BatchNorm, UpSampling1D(2), Cropping1D(1), AvgPool1D(3, strides = 2, padding = same), GlobalMaxPool1D(keepdims = true), \
     Flatten, Dense(3, softmax) } struct T { Input[6, 5, 2], Conv2D(4, 3, groups = 2, padding = same), \
     SpatialDropout2D(0.1), GlobalAveragePooling2D } struct U { Input[9, 3], GlobalAveragePooling1D }",
    "struct Rnn { Input[28, 28], LSTM(128, return_sequences = true, dropout = 0.1), \
     GRU(32, reset_after = false, return_sequences = true), Bidirectional(SimpleRNN(16, activation = relu, \
     return_sequences = true), merge_mode = sum), Dense(8, relu), LSTM(4, go_backwards = true), Dense(10, softmax) } \
     struct Ids { Input[20], Embedding(1000, 64), Bidirectional(LSTM(8, name = \"enc\")), Dense(2) }",
];

/// Replacements for a literal or a name.
const AWKWARD: &[&str] = &[
    "0",
    "1",
    "-1",
    "4294967296",
    "18446744073709551615",
    "340282366920938463463374607431768211455",
    "1e309",
    "-0.0",
    "0.5",
    "1.0",
    "\"\"",
    "\"relu\"",
    "'c'",
    "true",
    "b\"x\"",
    "HIDDEN",
    "r#type",
    "_",
    "self",
    "Dense",
    "Input",
    "BatchNorm",
    "no_bias",
    "softmax",
    "he_normal",
    "VarianceScaling",
    "name",
    "units",
    "=",
    ",",
    ";",
    "-",
    "::",
    "#",
    "[]",
    "()",
    "{}",
    "[1, 2]",
    "(1, 2)",
];

/// A declaration as a flat list of token texts, groups opened and closed.
fn flatten(ts: TokenStream, out: &mut Vec<String>) {
    for tt in ts {
        match tt {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                out.push(open.into());
                flatten(g.stream(), out);
                out.push(close.into());
            }
            other => out.push(other.to_string()),
        }
    }
}

/// The bodies of `nn::sequential! { .. }` in the ui cases.
fn corpus() -> Vec<Vec<String>> {
    let mut texts: Vec<String> = VALID.iter().map(|s| s.to_string()).collect();
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui");
    for dir in std::fs::read_dir(&ui).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            let Ok(src) = std::fs::read_to_string(file.path()) else { continue };
            let Some(start) = src.find("nn::sequential!") else { continue };
            let Ok(ts) = TokenStream::from_str(&src[start + "nn::sequential!".len()..]) else { continue };
            if let Some(TokenTree::Group(g)) = ts.into_iter().next() {
                texts.push(g.stream().to_string());
            }
        }
    }
    texts
        .iter()
        .filter_map(|t| TokenStream::from_str(t).ok())
        .map(|ts| {
            let mut v = Vec::new();
            flatten(ts, &mut v);
            v
        })
        .collect()
}

/// One to four mutations of `tokens`.
fn mutate(tokens: &[String], rng: &mut StdRng) -> Vec<String> {
    let mut t = tokens.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        if t.is_empty() {
            break;
        }
        // Mostly tokens that are not delimiters, so that most mutants stay token streams.
        let mut i = rng.random_range(0..t.len());
        for _ in 0..8 {
            if !matches!(t[i].as_str(), "(" | ")" | "[" | "]" | "{" | "}") {
                break;
            }
            i = rng.random_range(0..t.len());
        }
        match rng.random_range(0..5) {
            0 => {
                t.remove(i);
            }
            1 => {
                let tok = t[i].clone();
                t.insert(i, tok);
            }
            2 => {
                let j = rng.random_range(0..t.len());
                t.swap(i, j);
            }
            3 => t[i] = AWKWARD[rng.random_range(0..AWKWARD.len())].to_string(),
            _ => {
                let j = rng.random_range(0..t.len());
                let end = (j + rng.random_range(1..8)).min(t.len());
                let span: Vec<String> = t[j..end].to_vec();
                t.splice(i..i, span);
            }
        }
    }
    t
}

#[test]
fn fuzz_the_pipeline() {
    let iters: usize = std::env::var("NN_MACRO_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let seed: u64 = std::env::var("NN_MACRO_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let corpus = corpus();
    assert!(corpus.len() > 60, "the corpus has the valid models and the ui cases ({} found)", corpus.len());
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut ran, mut unbalanced) = (0usize, 0usize);
    let start = std::time::Instant::now();
    // Panics inside are what this test looks for: keep their messages quiet.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    while ran < iters && unbalanced < 4 * iters {
        let decl = mutate(&corpus[rng.random_range(0..corpus.len())], &mut rng).join(" ");
        let Ok(input) = TokenStream::from_str(&decl) else {
            unbalanced += 1;
            continue;
        };
        ran += 1;
        match catch_unwind(AssertUnwindSafe(|| crate::sequential2(input))) {
            Ok(out) => {
                // Items for the struct form, a block for the expression form.
                if syn::parse2::<syn::File>(out.clone()).is_err() && syn::parse2::<syn::ExprBlock>(out).is_err() {
                    failures.push(format!("output parses neither as items nor as a block: {decl}"));
                }
            }
            Err(_) => failures.push(format!("panicked: {decl}")),
        }
        if failures.len() >= 5 {
            break;
        }
    }
    std::panic::set_hook(hook);
    println!(
        "macro fuzz: {ran} mutated declarations through the pipeline ({unbalanced} more were not token streams) \
         in {:.1} s, seed {seed}, {} failures",
        start.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
