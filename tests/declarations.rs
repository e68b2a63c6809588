//! Declarations that must compile and behave: every layer kind, activation
//! and initializer name of API.md, positional shorthands and Keras keywords,
//! input shapes, const sizes, names, attributes and visibility.

use nn::prelude::*;

// Every activation, positionally and by keyword.
nn::sequential! {
    /// One Dense per activation name.
    struct Activations {
        Input[8],
        Dense(8, linear),
        Dense(8, relu),
        Dense(8, elu),
        Dense(8, selu),
        Dense(8, leaky_relu),
        Dense(8, tanh),
        Dense(8, sigmoid),
        Dense(8, logistic),
        Dense(8, softplus),
        Dense(8, swish),
        Dense(8, gelu),
        Dense(8, activation = relu),
        Dense(8, activation = "elu"),
        Activation(tanh),
        Activation(activation = logistic),
        Dense(4, softmax),
    }
}

// Every initializer, positionally and by keyword.
nn::sequential! {
    struct Initializers {
        Input[6],
        Dense(6, glorot_uniform),
        Dense(6, glorot_normal),
        Dense(6, he_normal),
        Dense(6, he_uniform),
        Dense(6, lecun_normal),
        Dense(6, lecun_uniform),
        Dense(6, kernel_initializer = zeros),
        Dense(6, kernel_initializer = ones, bias_initializer = ones),
        Dense(6, relu, VarianceScaling(scale = 2.0, mode = fan_avg, distribution = uniform)),
        Dense(6, kernel_initializer = VarianceScaling(mode = fan_in, distribution = truncated_normal)),
        Dense(6, kernel_initializer = VarianceScaling(scale = 1.0, mode = fan_out, distribution = normal)),
        Dense(6, kernel_initializer = VarianceScaling(distribution = untruncated_normal)),
        Dense(3, activation = softmax, kernel_initializer = he_normal, use_bias = false),
    }
}

// Every layer kind, with Keras's keywords.
nn::sequential! {
    pub(crate) struct AllLayers {
        Input[4, 6],
        Flatten,
        Dense(32, he_normal, no_bias, name = "hidden1"),
        BatchNorm(momentum = 0.9, epsilon = 1e-5),
        LeakyReLU(alpha = 0.2),
        Dense(32),
        BatchNormalization,
        PReLU,
        Dense(32),
        ELU(alpha = 1.0),
        Dropout(rate = 0.5),
        Dense(16),
        RReLU(lower = 0.125, upper = 0.333),
        AlphaDropout(0.1),
        Dense(16),
        LeakyReLU,
        ELU,
        RReLU,
        Dropout(0.2),
        AlphaDropout(rate = 0.2),
        Reshape[4, 4],
        Flatten,
        Dense(5, softmax),
    }
}

#[test]
fn every_layer_kind_builds_and_runs() {
    let m = AllLayers::seeded(1);
    assert_eq!(AllLayers::INPUT_SHAPE, [4, 6]);
    assert_eq!(AllLayers::OUTPUT_SHAPE, [5]);
    let y = m.predict_one(&[[0.5; 6]; 4]);
    assert!((y.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{y:?}");
    let s = m.summary();
    for row in [
        "flatten (Flatten)",
        "hidden1 (Dense)",
        "batch_normalization (BatchNo",
        "leaky_re_lu (LeakyReLU)",
        "dense (Dense)",
        "batch_normalization_1 (Batch",
        "p_re_lu (PReLU)",
        "dense_1 (Dense)",
        "elu (ELU)",
        "dropout (Dropout)",
        "dense_2 (Dense)",
        "r_re_lu (RReLU)",
        "alpha_dropout (AlphaDropout)",
        "dense_3 (Dense)",
        "leaky_re_lu_1 (LeakyReLU)",
        "elu_1 (ELU)",
        "r_re_lu_1 (RReLU)",
        "dropout_1 (Dropout)",
        "alpha_dropout_1 (AlphaDropo",
        "reshape (Reshape)",
        "flatten_1 (Flatten)",
        "dense_4 (Dense)",
    ] {
        assert!(s.contains(row), "no row {row:?} in\n{s}");
    }
    // The fields carry the same names.
    let _ = (&m.hidden1, &m.batch_normalization, &m.p_re_lu, &m.r_re_lu_1, &m.alpha_dropout_1, &m.dense_4);
    // Input has no row and no field.
    assert!(!s.contains("input"), "{s}");
    assert!(s.contains("reshape (Reshape)            (None, 4, 4)"), "{s}");
}

#[test]
fn all_activations_and_initializers_run() {
    let a = Activations::seeded(2).predict_one(&[0.25; 8]);
    assert!(a.iter().all(|v| v.is_finite()) && (a.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{a:?}");
    let b = Initializers::seeded(3).predict_one(&[0.25; 6]);
    assert!(b.iter().all(|v| v.is_finite()), "{b:?}");
    // `use_bias = false` drops the bias (6 * 3 weights).
    assert!(Initializers::seeded(3).summary().contains("dense_12 (Dense)             (None, 3)                 18 "));
}

// `Input[28, 28]` first; Dense acts on the last axis, as in Keras.
nn::sequential! {
    struct LastAxis {
        Input[28, 28],
        Dense(10),
    }
}

#[test]
fn dense_on_the_last_axis() {
    assert_eq!(LastAxis::INPUT_SHAPE, [28, 28]);
    assert_eq!(LastAxis::OUTPUT_SHAPE, [28, 10]);
    assert_eq!(LastAxis::PARAMS, 28 * 10 + 10);
    let s = LastAxis::seeded(0).summary();
    assert!(s.contains("dense (Dense)                (None, 28, 10)            290"), "{s}");
    assert!(!s.contains("input"), "{s}");
    let y = LastAxis::seeded(0).predict_one(&[[1.0; 28]; 28]);
    assert_eq!(y.len(), 28);
    assert_eq!(y[0], y[27], "every row goes through the same kernel");
}

// Reshape with an explicit and an inferred size.
nn::sequential! {
    struct Reshapes {
        Input[28, 28],
        Reshape[7, 112],
        Reshape[-1, 4],
        Flatten,
        Dense(10, softmax),
    }
}

#[test]
fn reshape_sizes() {
    let s = Reshapes::seeded(0).summary();
    assert!(s.contains("reshape (Reshape)            (None, 7, 112)"), "{s}");
    assert!(s.contains("reshape_1 (Reshape)          (None, 196, 4)"), "{s}");
    assert!(s.contains("flatten (Flatten)            (None, 784)"), "{s}");
    assert_eq!(Reshapes::OUTPUT_SHAPE, [10]);
}

// Sizes as const items and const expressions.
const HIDDEN: usize = 64;
const ROWS: usize = 4;

nn::sequential! {
    struct ConstSizes {
        Flatten[ROWS, 2 * ROWS],
        Dense(HIDDEN, relu),
        Dense(HIDDEN * 2, relu),
        Dense(HIDDEN / 8),
        Reshape[-1, ROWS],
        Flatten,
        Dense(3),
    }
}

#[test]
fn const_sizes() {
    assert_eq!(ConstSizes::INPUT_SHAPE, [4, 8]);
    assert_eq!(ConstSizes::OUTPUT_SHAPE, [3]);
    assert_eq!(ConstSizes::PARAMS, (32 * 64 + 64) + (64 * 128 + 128) + (128 * 8 + 8) + (8 * 3 + 3));
    let s = ConstSizes::seeded(0).summary();
    assert!(s.contains("dense_1 (Dense)              (None, 128)               8320"), "{s}");
    assert!(s.contains("reshape (Reshape)            (None, 2, 4)"), "{s}");
    let y = ConstSizes::seeded(0).predict_one(&[[0.1; 8]; 4]);
    assert!(y.iter().all(|v| v.is_finite()));
}

// Attributes and doc comments are kept; the model is `Clone`, its layers `Debug`.
nn::sequential! {
    /// A small model that derives `Clone`.
    #[derive(Clone)]
    #[allow(dead_code)]
    pub struct Derived {
        Flatten[2, 3],
        BatchNorm,
        Dense(4, relu),
        Dense(2, softmax),
    }
}

#[test]
fn derives_are_kept() {
    let a = Derived::seeded(5);
    let b = a.clone();
    assert_eq!(a.predict_one(&[[1.0; 3]; 2]), b.predict_one(&[[1.0; 3]; 2]));
    let dbg = format!("{:?}", a.dense);
    assert!(dbg.starts_with("Dense"), "{dbg}");
}

// Two models in one module, one private and one `pub`; a model declared in a function.
mod two {
    nn::sequential! {
        pub struct First {
            Input[3],
            Dense(2),
        }
    }
    nn::sequential! {
        struct Second {
            Input[3],
            Dense(4),
        }
    }
    pub fn second_params() -> usize {
        Second::PARAMS
    }
}

#[test]
fn two_models_in_a_module_and_one_in_a_function() {
    assert_eq!(two::First::PARAMS, 8);
    assert_eq!(two::second_params(), 16);

    nn::sequential! {
        struct Local {
            Input[5],
            Dense(1, sigmoid),
        }
    }
    assert_eq!(Local::PARAMS, 6);
    assert_eq!(Local::NAME, "local");
    let y = Local::seeded(0).predict_one(&[1.0; 5]);
    assert!(y[0] > 0.0 && y[0] < 1.0);
}

// Keras's automatic names: counted per type; explicit names take no number.
nn::sequential! {
    struct Names {
        Input[4],
        Dense(4),
        Dense(4, name = "middle"),
        Dense(4),
        LeakyReLU,
        PReLU,
        RReLU,
        AlphaDropout(0.1),
        Dense(4, name = "out"),
    }
}

#[test]
fn keras_auto_names() {
    let s = Names::seeded(0).summary();
    let names: Vec<&str> = s
        .lines()
        .skip(4)
        .filter(|l| !l.starts_with('_') && !l.starts_with('='))
        .take_while(|l| !l.starts_with("Total"))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(names, ["dense", "middle", "dense_1", "leaky_re_lu", "p_re_lu", "r_re_lu", "alpha_dropout", "out"]);
    let m = Names::seeded(0);
    let _ = (&m.dense, &m.middle, &m.dense_1, &m.out);
}

// `trainable = false` counts as non-trainable.
nn::sequential! {
    struct Frozen {
        Input[10],
        Dense(20, relu, trainable = false),
        BatchNorm,
        Dense(5, trainable = true),
    }
}

#[test]
fn frozen_layers_are_non_trainable() {
    assert_eq!(Frozen::PARAMS, 220 + 80 + 105);
    assert_eq!(Frozen::TRAINABLE_PARAMS, 40 + 105);
    assert_eq!(Frozen::NON_TRAINABLE_PARAMS, 220 + 40);
    let s = Frozen::seeded(0).summary();
    assert!(s.contains("Trainable params: 145\n") || s.contains("Trainable params: 145 "), "{s}");
    assert!(s.contains("Non-trainable params: 260"), "{s}");
}

// The seed model of API.md, with `BatchNormalization` and keyword spellings.
nn::sequential! {
    struct SeedKeywords {
        Flatten[28, 28],
        BatchNormalization,
        Dense(300, kernel_initializer = he_normal, use_bias = false),
        Activation(activation = elu),
        BatchNormalization(momentum = 0.99, epsilon = 1e-3),
        Dense(100, kernel_initializer = "he_normal", use_bias = false),
        Activation("elu"),
        BatchNorm,
        Dense(units = 10, activation = softmax),
    }
}

#[test]
fn seed_with_keywords() {
    assert_eq!(SeedKeywords::PARAMS, 270_946);
    assert_eq!(SeedKeywords::TRAINABLE_PARAMS, 268_578);
    assert_eq!(SeedKeywords::NON_TRAINABLE_PARAMS, 2_368);
}

#[test]
fn the_prelude_model_trait_is_usable() {
    fn name<M: Model>() -> &'static str {
        M::NAME
    }
    assert_eq!(name::<SeedKeywords>(), "seed_keywords");
    assert_eq!(<SeedKeywords as Model>::INPUT_SHAPE, &[28, 28]);
}

// Models with no computing layer, and with two (one inference buffer).
nn::sequential! {
    struct NoWeights {
        Input[2, 3],
        Dropout(0.5),
        Flatten,
    }
}

nn::sequential! {
    struct TwoSteps {
        Input[3],
        Dense(4, relu),
        Dense(2),
    }
}

#[test]
fn few_layers() {
    let y = NoWeights::seeded(0).predict_one(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(y, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(NoWeights::PARAMS, 0);
    let m = TwoSteps::seeded(0);
    let one = m.predict_one(&[1.0, -1.0, 0.5]);
    let batch = m.predict(nn::ndarray::arr2(&[[1.0f32, -1.0, 0.5]]).view()).unwrap();
    assert_eq!(batch.shape(), &[1, 2]);
    assert!((batch[[0, 0]] - one[0]).abs() < 1e-6 && (batch[[0, 1]] - one[1]).abs() < 1e-6);
}

// The initializer shorthand on the convolutions, and the same layers by keyword.
nn::sequential! {
    struct ConvShorthand {
        Input[12, 12, 2],
        Conv2D(4, 3, relu, he_normal),
        DepthwiseConv2D(3, he_uniform, no_bias),
        SeparableConv2D(4, 3, lecun_normal),
        Conv2DTranspose(3, 3, he_normal, no_bias),
        Reshape[8, 24],
        Conv1D(4, 3, elu, he_uniform),
    }
}

nn::sequential! {
    struct ConvKeywords {
        Input[12, 12, 2],
        Conv2D(4, 3, activation = relu, kernel_initializer = he_normal),
        DepthwiseConv2D(3, depthwise_initializer = he_uniform, use_bias = false),
        SeparableConv2D(4, 3, depthwise_initializer = lecun_normal),
        Conv2DTranspose(3, 3, kernel_initializer = he_normal, use_bias = false),
        Reshape[8, 24],
        Conv1D(4, 3, activation = elu, kernel_initializer = he_uniform),
    }
}

nn::sequential! {
    struct ConvDefaults {
        Input[12, 12, 2],
        Conv2D(4, 3, relu),
        DepthwiseConv2D(3, no_bias),
        SeparableConv2D(4, 3),
        Conv2DTranspose(3, 3, no_bias),
        Reshape[8, 24],
        Conv1D(4, 3, elu),
    }
}

#[test]
fn convolutions_take_an_initializer_positionally() {
    fn weights<M: nn::Model>(m: &M) -> Vec<Vec<f32>> {
        let mut out = Vec::new();
        m.visit_weights(&mut |_, _, p| out.push(p.to_vec()));
        out
    }
    let short = weights(&ConvShorthand::seeded(7));
    let keywords = weights(&ConvKeywords::seeded(7));
    let defaults = weights(&ConvDefaults::seeded(7));
    assert_eq!(short, keywords);
    assert_eq!(short.len(), defaults.len());
    // Every kernel whose initializer was named differs from the default one
    // (glorot_uniform); the biases are zeros in both.
    let differs: Vec<bool> = short.iter().zip(&defaults).map(|(a, b)| a != b).collect();
    let kernels = [0, 2, 3, 6, 7];
    assert!(kernels.iter().all(|&i| differs[i]), "{differs:?}");
    assert!([1, 5, 8].iter().all(|&i| !differs[i] && short[i].iter().all(|&b| b == 0.0)), "{differs:?}");
}

// Keras's pooling aliases, string forms and a keyword tuple.
nn::sequential! {
    struct PoolAliases2D {
        Input[12, 12, 3],
        Conv2D(filters = 4, kernel_size = (3, 1), padding = "same", activation = "relu"),
        MaxPool2D(2),
        AvgPool2D(pool_size = (2, 1), padding = "same"),
        GlobalAvgPool2D(keepdims = true),
        GlobalMaxPool2D,
    }
}

nn::sequential! {
    struct PoolAliases1D {
        Input[12, 3],
        Conv1D(4, kernel_size = 3, padding = "causal"),
        MaxPool1D(pool_size = 2, strides = 1),
        AvgPool1D(2, padding = "same"),
        GlobalAvgPool1D(keepdims = true),
        GlobalMaxPool1D,
    }
}

#[test]
fn pooling_aliases_and_string_arguments() {
    assert_eq!(PoolAliases2D::OUTPUT_SHAPE, [4]);
    assert_eq!(PoolAliases1D::OUTPUT_SHAPE, [4]);
    // `kernel_size = (3, 1)`: a [3, 1, 3, 4] kernel; `same` keeps 12 × 12.
    assert_eq!(PoolAliases2D::PARAMS, 3 * 3 * 4 + 4);
    let s = PoolAliases2D::seeded(0).summary();
    for row in
        ["(None, 12, 12, 4)", "max_pooling2d (MaxPooling2D)", "(None, 6, 6, 4)", "(None, 3, 6, 4)", "(None, 1, 1, 4)"]
    {
        assert!(s.contains(row), "{row} in\n{s}");
    }
    let s = PoolAliases1D::seeded(0).summary();
    for row in ["(None, 12, 4)", "(None, 11, 4)", "(None, 6, 4)", "global_average_pooling1d (Gl"] {
        assert!(s.contains(row), "{row} in\n{s}");
    }
    let x = nn::ndarray::Array4::<f32>::from_elem((2, 12, 12, 3), 0.5);
    assert_eq!(PoolAliases2D::seeded(1).predict(&x).unwrap().shape(), [2, 4]);
}
