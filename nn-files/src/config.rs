//! `config.json`, the architecture in a `.keras` archive: written from a
//! [`Model`] ([`to_json`]), and read back into the layer declarations of
//! `sequential!` ([`declaration`]), each Keras argument mapped to the `nn`
//! argument of the same name. What `nn` cannot represent (a class, an
//! argument, a value such as `data_format = "channels_first"`, a dtype) is
//! an error that names the layer and the argument.

use serde_json::{json, Map, Value};

use crate::layout::{snake_case, Layer, Model, RECURRENT};
use crate::Result;

/// The Keras version whose `config.json` format is written.
pub const KERAS_VERSION: &str = "3.15.1";

/// How a Keras class maps onto an `nn` layer kind.
struct Class {
    /// Keras's class name, which `sequential!` also takes as the kind's name.
    keras: &'static str,
    /// Keras config keys that are `nn` arguments: (Keras key, `nn` name).
    args: &'static [(&'static str, &'static str)],
    /// Keras config keys `nn` has no argument for, accepted only at the value
    /// (as JSON) that means what `nn` does; `"*"` accepts any value (a seed).
    fixed: &'static [(&'static str, &'static str)],
    /// The arguments it shares with a family of classes, after `args`
    /// ([`KERNEL_BIAS`], [`RECURRENT_ARGS`]; or none).
    shared: &'static [(&'static str, &'static str)],
}

const KERNEL_BIAS: &[(&str, &str)] = &[
    ("activation", "activation"),
    ("use_bias", "use_bias"),
    ("kernel_initializer", "kernel_initializer"),
    ("bias_initializer", "bias_initializer"),
    ("kernel_regularizer", "kernel_regularizer"),
    ("bias_regularizer", "bias_regularizer"),
    ("kernel_constraint", "kernel_constraint"),
    ("bias_constraint", "bias_constraint"),
];
/// What Keras's `SimpleRNN`, `LSTM` and `GRU` take, after `units` and their own.
const RECURRENT_ARGS: &[(&str, &str)] = &[
    ("activation", "activation"),
    ("use_bias", "use_bias"),
    ("kernel_initializer", "kernel_initializer"),
    ("recurrent_initializer", "recurrent_initializer"),
    ("bias_initializer", "bias_initializer"),
    ("kernel_regularizer", "kernel_regularizer"),
    ("recurrent_regularizer", "recurrent_regularizer"),
    ("bias_regularizer", "bias_regularizer"),
    ("kernel_constraint", "kernel_constraint"),
    ("recurrent_constraint", "recurrent_constraint"),
    ("bias_constraint", "bias_constraint"),
    ("dropout", "dropout"),
    ("recurrent_dropout", "recurrent_dropout"),
    ("return_sequences", "return_sequences"),
    ("go_backwards", "go_backwards"),
];
/// Keras's recurrent options `nn` has at one value only (`unroll` and
/// `zero_output_for_mask` change nothing without masks; `seed` is dropout's).
const RECURRENT_FIXED: &[(&str, &str)] =
    &[("return_state", "false"), ("stateful", "false"), ("unroll", "*"), ("zero_output_for_mask", "*"), ("seed", "*")];
const CHANNELS_LAST: (&str, &str) = ("data_format", "\"channels_last\"");
const CONV_ARGS: &[(&str, &str)] = &[
    ("filters", "filters"),
    ("kernel_size", "kernel_size"),
    ("strides", "strides"),
    ("padding", "padding"),
    ("dilation_rate", "dilation_rate"),
    ("groups", "groups"),
];
const POOL_ARGS: &[(&str, &str)] = &[("pool_size", "pool_size"), ("strides", "strides"), ("padding", "padding")];

/// Every Keras class `nn` has, with its arguments.
const CLASSES: &[Class] = &[
    Class { keras: "Dense", args: &[("units", "units")], fixed: &[], shared: KERNEL_BIAS },
    Class { keras: "Conv1D", args: CONV_ARGS, fixed: &[CHANNELS_LAST], shared: KERNEL_BIAS },
    Class { keras: "Conv2D", args: CONV_ARGS, fixed: &[CHANNELS_LAST], shared: KERNEL_BIAS },
    Class {
        keras: "DepthwiseConv2D",
        args: &[
            ("kernel_size", "kernel_size"),
            ("strides", "strides"),
            ("padding", "padding"),
            ("depth_multiplier", "depth_multiplier"),
            ("dilation_rate", "dilation_rate"),
            ("activation", "activation"),
            ("use_bias", "use_bias"),
            ("depthwise_initializer", "depthwise_initializer"),
            ("bias_initializer", "bias_initializer"),
            ("depthwise_regularizer", "depthwise_regularizer"),
            ("bias_regularizer", "bias_regularizer"),
            ("depthwise_constraint", "depthwise_constraint"),
            ("bias_constraint", "bias_constraint"),
        ],
        fixed: &[CHANNELS_LAST],
        shared: &[],
    },
    Class {
        keras: "SeparableConv2D",
        args: &[
            ("filters", "filters"),
            ("kernel_size", "kernel_size"),
            ("strides", "strides"),
            ("padding", "padding"),
            ("depth_multiplier", "depth_multiplier"),
            ("dilation_rate", "dilation_rate"),
            ("activation", "activation"),
            ("use_bias", "use_bias"),
            ("depthwise_initializer", "depthwise_initializer"),
            ("pointwise_initializer", "pointwise_initializer"),
            ("bias_initializer", "bias_initializer"),
            ("depthwise_regularizer", "depthwise_regularizer"),
            ("pointwise_regularizer", "pointwise_regularizer"),
            ("bias_regularizer", "bias_regularizer"),
            ("depthwise_constraint", "depthwise_constraint"),
            ("pointwise_constraint", "pointwise_constraint"),
            ("bias_constraint", "bias_constraint"),
        ],
        fixed: &[CHANNELS_LAST],
        shared: &[],
    },
    Class {
        keras: "Conv2DTranspose",
        args: &[
            ("filters", "filters"),
            ("kernel_size", "kernel_size"),
            ("strides", "strides"),
            ("padding", "padding"),
            ("output_padding", "output_padding"),
            ("dilation_rate", "dilation_rate"),
        ],
        fixed: &[CHANNELS_LAST],
        shared: KERNEL_BIAS,
    },
    Class { keras: "SimpleRNN", args: &[("units", "units")], fixed: RECURRENT_FIXED, shared: RECURRENT_ARGS },
    Class {
        keras: "LSTM",
        args: &[
            ("units", "units"),
            ("recurrent_activation", "recurrent_activation"),
            ("unit_forget_bias", "unit_forget_bias"),
        ],
        fixed: RECURRENT_FIXED,
        shared: RECURRENT_ARGS,
    },
    Class {
        keras: "GRU",
        args: &[("units", "units"), ("recurrent_activation", "recurrent_activation"), ("reset_after", "reset_after")],
        fixed: RECURRENT_FIXED,
        shared: RECURRENT_ARGS,
    },
    // `backward_layer` is checked by `declaration` itself: a copy of `layer` reading backwards.
    Class {
        keras: "Bidirectional",
        args: &[("layer", "layer"), ("merge_mode", "merge_mode")],
        fixed: &[],
        shared: &[],
    },
    Class {
        keras: "Embedding",
        args: &[
            ("input_dim", "input_dim"),
            ("output_dim", "output_dim"),
            ("embeddings_initializer", "embeddings_initializer"),
            ("embeddings_regularizer", "embeddings_regularizer"),
            ("embeddings_constraint", "embeddings_constraint"),
        ],
        fixed: &[("mask_zero", "false")],
        shared: &[],
    },
    Class {
        keras: "BatchNormalization",
        args: &[("momentum", "momentum"), ("epsilon", "epsilon")],
        fixed: &[
            ("axis", "-1"),
            ("center", "true"),
            ("scale", "true"),
            ("beta_initializer", "\"zeros\""),
            ("gamma_initializer", "\"ones\""),
            ("moving_mean_initializer", "\"zeros\""),
            ("moving_variance_initializer", "\"ones\""),
            ("synchronized", "false"),
            ("renorm", "false"),
            ("renorm_momentum", "*"),
        ],
        shared: &[],
    },
    Class { keras: "Activation", args: &[("activation", "activation")], fixed: &[], shared: &[] },
    Class { keras: "LeakyReLU", args: &[("negative_slope", "alpha")], fixed: &[], shared: &[] },
    Class {
        keras: "PReLU",
        args: &[],
        fixed: &[("alpha_initializer", "\"zeros\""), ("shared_axes", "null")],
        shared: &[],
    },
    Class { keras: "ELU", args: &[("alpha", "alpha")], fixed: &[], shared: &[] },
    Class {
        keras: "ReLU",
        args: &[("max_value", "max_value"), ("negative_slope", "negative_slope"), ("threshold", "threshold")],
        fixed: &[],
        shared: &[],
    },
    Class { keras: "Softmax", args: &[], fixed: &[("axis", "-1")], shared: &[] },
    Class { keras: "Dropout", args: &[("rate", "rate")], fixed: &[("seed", "*")], shared: &[] },
    Class { keras: "AlphaDropout", args: &[("rate", "rate")], fixed: &[("seed", "*")], shared: &[] },
    Class { keras: "GaussianNoise", args: &[("stddev", "stddev")], fixed: &[("seed", "*")], shared: &[] },
    Class { keras: "GaussianDropout", args: &[("rate", "rate")], fixed: &[("seed", "*")], shared: &[] },
    Class { keras: "Flatten", args: &[], fixed: &[CHANNELS_LAST], shared: &[] },
    Class { keras: "Reshape", args: &[], fixed: &[], shared: &[] },
    Class { keras: "MaxPooling1D", args: POOL_ARGS, fixed: &[CHANNELS_LAST], shared: &[] },
    Class { keras: "AveragePooling1D", args: POOL_ARGS, fixed: &[CHANNELS_LAST], shared: &[] },
    Class { keras: "GlobalMaxPooling1D", args: &[("keepdims", "keepdims")], fixed: &[CHANNELS_LAST], shared: &[] },
    Class { keras: "GlobalAveragePooling1D", args: &[("keepdims", "keepdims")], fixed: &[CHANNELS_LAST], shared: &[] },
    Class { keras: "ZeroPadding1D", args: &[("padding", "padding")], fixed: &[CHANNELS_LAST], shared: &[] },
    Class { keras: "Cropping1D", args: &[("cropping", "cropping")], fixed: &[], shared: &[] },
    Class { keras: "UpSampling1D", args: &[("size", "size")], fixed: &[], shared: &[] },
    Class { keras: "SpatialDropout1D", args: &[("rate", "rate")], fixed: &[("seed", "*")], shared: &[] },
    Class { keras: "SpatialDropout2D", args: &[("rate", "rate")], fixed: &[CHANNELS_LAST, ("seed", "*")], shared: &[] },
    Class {
        keras: "MaxPooling2D",
        args: &[("pool_size", "pool_size"), ("strides", "strides"), ("padding", "padding")],
        fixed: &[CHANNELS_LAST],
        shared: &[],
    },
    Class {
        keras: "AveragePooling2D",
        args: &[("pool_size", "pool_size"), ("strides", "strides"), ("padding", "padding")],
        fixed: &[CHANNELS_LAST],
        shared: &[],
    },
    Class { keras: "GlobalMaxPooling2D", args: &[("keepdims", "keepdims")], fixed: &[CHANNELS_LAST], shared: &[] },
    Class { keras: "GlobalAveragePooling2D", args: &[("keepdims", "keepdims")], fixed: &[CHANNELS_LAST], shared: &[] },
    Class { keras: "ZeroPadding2D", args: &[("padding", "padding")], fixed: &[CHANNELS_LAST], shared: &[] },
    Class { keras: "Cropping2D", args: &[("cropping", "cropping")], fixed: &[CHANNELS_LAST], shared: &[] },
    Class {
        keras: "UpSampling2D",
        args: &[("size", "size")],
        fixed: &[CHANNELS_LAST, ("interpolation", "\"nearest\"")],
        shared: &[],
    },
];

/// Classes whose constructor takes no `trainable` (Keras's spatial dropouts:
/// `rate`, `seed`, `name`, `dtype` only, which their `get_config` writes), so
/// their config must not have it; they have no weights to freeze.
const WITHOUT_TRAINABLE: &[&str] = &["SpatialDropout1D", "SpatialDropout2D"];

/// Arguments that Keras 3's constructor requires but `nn` defaults (to
/// tf.keras 2's value): written even when the declaration leaves them out,
/// as (class, key, JSON value).
const KERAS_REQUIRED: &[(&str, &str, &str)] =
    &[("AveragePooling1D", "pool_size", "[2]"), ("AveragePooling2D", "pool_size", "[2, 2]")];

/// Input dtypes an `Embedding` first layer takes (its ids, cast to f32).
const INT_DTYPES: &[&str] = &["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"];

/// Config keys every layer has, handled by [`declaration`] itself.
const COMMON: &[&str] = &["name", "trainable", "dtype"];

fn class(name: &str) -> Option<&'static Class> {
    CLASSES.iter().find(|c| c.keras == name)
}

impl Class {
    /// Its arguments, (Keras key, `nn` name), in Keras's order.
    fn arguments(&self) -> impl Iterator<Item = &'static (&'static str, &'static str)> {
        self.args.iter().chain(self.shared)
    }
}

/// Every Keras class `nn` reads and writes in `config.json`, with its
/// arguments as (Keras key, `nn` argument name): what `sequential!`'s layer
/// kinds must accept, and write under the same keys.
pub fn classes() -> impl Iterator<Item = (&'static str, Vec<(&'static str, &'static str)>)> {
    CLASSES.iter().map(|c| (c.keras, c.arguments().copied().collect()))
}

/// Keras's float32 dtype policy, as every layer's config names it.
fn float32() -> Value {
    json!({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})
}

/// `[null, d0, d1, ...]`: a shape with the batch dimension.
fn batch_shape(shape: &[usize]) -> Value {
    Value::Array(std::iter::once(Value::Null).chain(shape.iter().map(|&d| json!(d))).collect())
}

/// The `config.json` of `model`, as Keras 3 writes it for a `Sequential`.
/// A layer whose class Keras lacks (`MCDropout`) is an error naming it.
pub fn to_json(model: &Model) -> Result<Value> {
    let mut layers = vec![json!({
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {"batch_shape": batch_shape(&model.input_shape), "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer"},
        "registered_name": null,
    })];
    for l in &model.layers {
        let layer = match &l.inner {
            Some(inner) => {
                let mut nested = to_json(inner)?;
                nested["config"]["name"] = json!(l.name);
                nested["config"]["trainable"] = json!(l.trainable);
                nested
            }
            None => {
                let mut args = l.args.clone();
                if l.class == "Bidirectional" {
                    wrapped_json(l, &mut args)?;
                }
                entry(&l.class, &l.name, l.trainable, args, &l.input_shape)?
            }
        };
        layers.push(layer);
    }
    Ok(json!({
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": model.name, "trainable": true, "dtype": float32(), "layers": layers},
        "registered_name": null,
        "build_config": {"input_shape": batch_shape(&model.input_shape)},
        "compile_config": null,
    }))
}

/// One layer's entry in `config.json`: Keras class `class`, its config
/// (`name`, `trainable`, `dtype`, then `args` and what Keras requires).
fn entry(class_name: &str, name: &str, trainable: bool, args: Map<String, Value>, input: &[usize]) -> Result<Value> {
    if class(class_name).is_none() {
        return Err(format!(
            "layer `{name}` is a `{class_name}`, which is not a Keras layer: a `.keras` archive cannot hold it \
             (save the weights as `.weights.h5` or `.safetensors`)"
        ));
    }
    let mut config = Map::new();
    config.insert("name".into(), json!(name));
    if !WITHOUT_TRAINABLE.contains(&class_name) {
        config.insert("trainable".into(), json!(trainable));
    }
    config.insert("dtype".into(), float32());
    config.extend(args);
    for (class, key, value) in KERAS_REQUIRED {
        if *class == class_name && !config.contains_key(*key) {
            config.insert((*key).into(), serde_json::from_str(value).unwrap_or(Value::Null));
        }
    }
    Ok(json!({
        "module": "keras.layers",
        "class_name": class_name,
        "config": config,
        "registered_name": null,
        "build_config": {"input_shape": batch_shape(input)},
    }))
}

/// A `Bidirectional`'s `layer` argument (`{"class_name": "LSTM", "config":
/// {"name": "lstm", ..}}`, the wrapped layer's own arguments) as Keras
/// writes it, `forward_lstm`, with the `backward_layer` Keras also writes:
/// the same layer named `backward_lstm`, reading the other way.
fn wrapped_json(l: &Layer, args: &mut Map<String, Value>) -> Result<()> {
    let (class, name) =
        l.wrapped().ok_or_else(|| format!("layer `{}`: `Bidirectional` without its `layer`", l.name))?;
    let (class, name) = (class.to_string(), name.to_string());
    let mut own = args["layer"]["config"].as_object().cloned().unwrap_or_default();
    own.remove("name");
    let backwards = own.get("go_backwards").and_then(Value::as_bool).unwrap_or(false);
    let forward = entry(&class, &format!("forward_{name}"), l.trainable, own.clone(), &l.input_shape)?;
    own.insert("go_backwards".into(), json!(!backwards));
    let backward = entry(&class, &format!("backward_{name}"), l.trainable, own, &l.input_shape)?;
    args.insert("layer".into(), forward);
    args.insert("backward_layer".into(), backward);
    Ok(())
}

/// A model that `config.json` declares, as `sequential!` layer declarations.
#[derive(Clone, Debug, PartialEq)]
pub struct Declaration {
    /// The model's name in Keras.
    pub name: String,
    /// One sample's input shape (from the `InputLayer`).
    pub input_shape: Vec<usize>,
    /// Each layer after the input: its declaration (`Dense(units = 10, activation = softmax, name = "dense")`).
    pub layers: Vec<String>,
}

impl Declaration {
    /// The whole `sequential!` invocation declaring `pub struct <name>`.
    pub fn source(&self, name: &str) -> String {
        let dims: Vec<String> = self.input_shape.iter().map(usize::to_string).collect();
        let mut s = format!("nn::sequential! {{\n    pub struct {name} {{\n        Input[{}],\n", dims.join(", "));
        for l in &self.layers {
            s.push_str(&format!("        {l},\n"));
        }
        s.push_str("    }\n}\n");
        s
    }

    /// The layers as the body of a struct declaration (`Input[..], Dense(..), ...`).
    pub fn body(&self) -> String {
        let dims: Vec<String> = self.input_shape.iter().map(usize::to_string).collect();
        std::iter::once(format!("Input[{}]", dims.join(", ")))
            .chain(self.layers.iter().cloned())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The layer declarations of a Keras 3 `config.json` of a `Sequential`.
pub fn declaration(config: &Value) -> Result<Declaration> {
    let class_name = config.get("class_name").and_then(Value::as_str).unwrap_or("(none)");
    if class_name != "Sequential" {
        return Err(format!("the model is a `{class_name}`; only `Sequential` models can be declared"));
    }
    let cfg = config.get("config").ok_or("`config.json` has no `config`")?;
    let name = cfg.get("name").and_then(Value::as_str).unwrap_or("sequential").to_string();
    let layers = cfg.get("layers").and_then(Value::as_array).ok_or("`config.json` lists no `layers`")?;
    let mut input_shape = None;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let class_name = l.get("class_name").and_then(Value::as_str).unwrap_or("(none)");
        let lc = l.get("config").and_then(Value::as_object).cloned().unwrap_or_default();
        let lname = lc.get("name").and_then(Value::as_str).unwrap_or("(unnamed)").to_string();
        let at = format!("layer {i} `{lname}` ({class_name})");
        if class_name == "InputLayer" {
            match lc.get("batch_shape").or(lc.get("batch_input_shape")).and_then(shape_of) {
                Some(s) => input_shape = Some(s),
                None => problems.push(format!("{at}: `batch_shape` is not a list of sizes after `null`")),
            }
            // Ids for an Embedding may be integers: nn takes them as f32 values, as Keras casts them.
            let ids = layers.get(i + 1).and_then(|n| n.get("class_name")).and_then(Value::as_str) == Some("Embedding");
            if let Some(d) = lc.get("dtype").and_then(dtype_name) {
                if d != "float32" && !(ids && INT_DTYPES.contains(&d.as_str())) {
                    problems.push(format!("{at}: dtype `{d}`; nn computes in float32 only"));
                }
            }
            continue;
        }
        if i == 0 && input_shape.is_none() {
            if let Some(s) = l.get("build_config").and_then(|b| b.get("input_shape")).and_then(shape_of) {
                input_shape = Some(s);
            }
        }
        match layer(class_name, &lc) {
            Ok(decl) => out.push(decl),
            Err(e) => problems.push(format!("{at}: {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let input_shape = input_shape
        .ok_or("the model has no `InputLayer` (Keras saves one when the model starts with `keras.Input`)")?;
    Ok(Declaration { name, input_shape, layers: out })
}

/// `[null, 28, 28]` → `[28, 28]`.
fn shape_of(v: &Value) -> Option<Vec<usize>> {
    let a = v.as_array()?;
    let (first, rest) = a.split_first()?;
    if !first.is_null() {
        return None;
    }
    rest.iter().map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok())).collect()
}

/// The dtype a config names (`"float32"`, or a policy `{"config": {"name": "mixed_float16"}}`).
fn dtype_name(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("config")?.get("name")?.as_str().map(str::to_string),
        _ => None,
    }
}

/// One layer's declaration.
fn layer(class_name: &str, lc: &Map<String, Value>) -> Result<String> {
    if class_name == "Sequential" {
        return Err("a nested model: `#[keras]` declares one flat model; declare the inner model with \
                    `sequential!` and nest it by its type name"
            .into());
    }
    let c = class(class_name).ok_or_else(|| {
        let known: Vec<&str> = CLASSES.iter().map(|c| c.keras).collect();
        format!("nn has no layer `{class_name}` (the Keras classes it has: {})", known.join(", "))
    })?;
    let mut args = Vec::new();
    let mut problems = Vec::new();
    let mut brackets = None;
    // The arguments in the order Keras's constructor takes them.
    for (key, nn) in c.arguments() {
        let value = match lc.get(*key) {
            None | Some(Value::Null) => continue,
            Some(value) if *key == "layer" => wrapped(value),
            Some(value) => source(key, value),
        };
        match value {
            Ok(s) => args.push(format!("{nn} = {s}")),
            Err(e) => problems.push(format!("argument `{key}`: {e}")),
        }
    }
    for (key, value) in lc {
        let key = key.as_str();
        if COMMON.contains(&key) || c.arguments().any(|(k, _)| *k == key) {
            continue;
        }
        if key == "target_shape" && c.keras == "Reshape" {
            match value.as_array().map(|a| a.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>()) {
                Some(Some(dims)) => brackets = Some(dims.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
                _ => problems.push(format!("argument `target_shape` = {value} is not a list of sizes")),
            }
        } else if key == "backward_layer" && c.keras == "Bidirectional" {
            if let Err(e) = backward_copy(lc.get("layer"), value) {
                problems.push(format!("argument `backward_layer`: {e}"));
            }
        } else if let Some((_, want)) = c.fixed.iter().find(|(k, _)| *k == key) {
            if *want != "*" && !value.is_null() && !same(value, want) {
                problems.push(format!("argument `{key}` = {value}: nn supports only {want}"));
            }
        } else if !value.is_null() && !is_default_extra(key, value) {
            problems.push(format!("argument `{key}` = {value}: nn's `{}` has no such argument", c.keras));
        }
    }
    match lc.get("trainable") {
        Some(Value::Bool(false)) => args.push("trainable = false".into()),
        Some(Value::Bool(true)) | None => {}
        Some(v) => problems.push(format!("argument `trainable` = {v} is not a boolean")),
    }
    if let Some(d) = lc.get("dtype").and_then(dtype_name) {
        if d != "float32" {
            problems.push(format!("dtype `{d}`: nn computes in float32 only"));
        }
    }
    if let Some(n) = lc.get("name").and_then(Value::as_str) {
        args.push(format!("name = {}", Value::from(n)));
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let brackets = brackets.map_or(String::new(), |b| format!("[{b}]"));
    Ok(format!("{}{brackets}({})", c.keras, args.join(", ")))
}

/// The declaration of the recurrent layer a `Bidirectional` wraps, named
/// as the user named it (Keras's config calls it `forward_<name>`).
fn wrapped(v: &Value) -> Result<String> {
    let class_name = v.get("class_name").and_then(Value::as_str).unwrap_or("(none)");
    if !RECURRENT.contains(&class_name) {
        return Err(format!("a `{class_name}`; nn's `Bidirectional` wraps a `SimpleRNN`, `LSTM` or `GRU`"));
    }
    let mut lc = v.get("config").and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some(Value::String(name)) = lc.get_mut("name") {
        if let Some(own) = name.strip_prefix("forward_") {
            *name = own.to_string();
        }
    }
    layer(class_name, &lc).map_err(|e| format!("`{class_name}`: {e}"))
}

/// Checks that a `Bidirectional`'s `backward_layer` is its `layer` reading
/// the other way, the only backward layer `nn` builds; the error lists the
/// arguments that differ.
fn backward_copy(forward: Option<&Value>, backward: &Value) -> Result<()> {
    let Some(forward) = forward else { return Ok(()) };
    let class_of = |v: &Value| v.get("class_name").and_then(Value::as_str).unwrap_or("(none)").to_string();
    let (fc, bc) = (class_of(forward), class_of(backward));
    let reason = "nn's `Bidirectional` reads backwards with a copy of `layer`";
    if fc != bc {
        return Err(format!("a `{bc}`, where `layer` is a `{fc}`: {reason}"));
    }
    let config = |v: &Value| v.get("config").and_then(Value::as_object).cloned().unwrap_or_default();
    let (f, b) = (config(forward), config(backward));
    let backwards = |c: &Map<String, Value>| c.get("go_backwards").and_then(Value::as_bool).unwrap_or(false);
    let mut differ = Vec::new();
    if backwards(&f) == backwards(&b) {
        differ.push(format!("`go_backwards` = {}, as in `layer`", backwards(&b)));
    }
    // Arguments that change nothing in nn (any value is accepted) are not compared.
    let free = |key: &str| class(&fc).is_some_and(|c| c.fixed.iter().any(|(k, w)| *k == key && *w == "*"));
    let show = |key: &str, v: Option<&Value>| match v {
        None | Some(Value::Null) => "none".to_string(),
        Some(v) => source(key, v).unwrap_or_else(|_| v.to_string()),
    };
    let mut keys: Vec<&String> = f.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if COMMON.contains(&key.as_str()) || key == "go_backwards" || free(key) {
            continue;
        }
        let (fv, bv) = (show(key, f.get(key)), show(key, b.get(key)));
        if fv != bv {
            differ.push(format!("`{key}` = {bv}, where `layer` has {fv}"));
        }
    }
    if differ.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {reason}", differ.join(", ")))
    }
}

/// Arguments of newer Keras versions that mean nothing at their default.
fn is_default_extra(key: &str, value: &Value) -> bool {
    matches!((key, value), ("lora_rank" | "lora_alpha" | "quantization_config", Value::Null))
}

/// Whether `value` is what `want` (JSON) says, an initializer by its name.
fn same(value: &Value, want: &str) -> bool {
    let want: Value = serde_json::from_str(want).unwrap_or(Value::Null);
    match (value, &want) {
        (Value::Object(o), Value::String(w)) => {
            o.get("class_name").and_then(Value::as_str).is_some_and(|c| snake_case(c) == *w)
        }
        (Value::Array(a), Value::Number(_)) => a.len() == 1 && a[0] == want,
        _ => *value == want,
    }
}

/// A Keras config value as `nn` source text: names as words, lists as
/// tuples, initializers, regularizers and constraints by their `nn` names.
fn source(key: &str, v: &Value) -> Result<String> {
    Ok(match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            let s = format!("{f:?}");
            if s.contains(['.', 'e']) {
                s
            } else {
                format!("{s}.0")
            }
        }
        Value::Number(n) => n.to_string(),
        Value::String(s)
            if key.ends_with("activation")
                || key == "padding"
                || key == "merge_mode"
                || key.ends_with("_initializer") =>
        {
            if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !s.is_empty() {
                s.clone()
            } else {
                return Err(format!("`{s}` is not a name nn knows"));
            }
        }
        Value::String(s) => Value::from(s.as_str()).to_string(),
        Value::Array(a) => {
            let parts = a.iter().map(|x| source(key, x)).collect::<Result<Vec<_>>>()?;
            format!("({})", parts.join(", "))
        }
        Value::Object(o) => object(key, o)?,
        Value::Null => return Err("null".into()),
    })
}

/// An initializer, regularizer or constraint object.
fn object(key: &str, o: &Map<String, Value>) -> Result<String> {
    let class = o
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{} has no `class_name`", Value::Object(o.clone())))?;
    let cfg = o.get("config").and_then(Value::as_object).cloned().unwrap_or_default();
    let num = |k: &str| cfg.get(k).and_then(Value::as_f64);
    let call = |name: &str, keys: &[&str]| -> Result<String> {
        let parts: Vec<String> = keys
            .iter()
            .filter_map(|k| cfg.get(*k).filter(|v| !v.is_null()).map(|v| source(k, v).map(|s| format!("{k} = {s}"))))
            .collect::<Result<_>>()?;
        Ok(format!("{name}({})", parts.join(", ")))
    };
    let f = |k: &str| num(k).map(|x| source(k, &json!(x))).transpose();
    if key.ends_with("_initializer") {
        let snake = snake_case(class);
        return match snake.as_str() {
            "variance_scaling" => {
                let parts: Vec<String> = [
                    ("scale", f("scale")?),
                    ("mode", cfg.get("mode").map(|m| m.to_string())),
                    ("distribution", cfg.get("distribution").map(|m| m.to_string())),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| format!("{k} = {v}")))
                .collect();
                Ok(format!("VarianceScaling({})", parts.join(", ")))
            }
            // nn's fixed forms: Keras's defaults.
            "random_uniform" | "uniform"
                if !matches!((num("minval"), num("maxval")), (None | Some(-0.05), None | Some(0.05))) =>
            {
                Err(format!("`{class}` over other than [-0.05, 0.05]: nn's `random_uniform` is Keras's default"))
            }
            "orthogonal" if !matches!(num("gain"), None | Some(1.0)) => {
                Err(format!("`{class}` with a gain other than 1: nn's `orthogonal` is Keras's default"))
            }
            _ => Ok(snake),
        };
    }
    match (key.ends_with("_regularizer"), class) {
        (true, "L1") => call("l1", &["l1"]),
        (true, "L2") => call("l2", &["l2"]),
        (true, "L1L2") => call("l1_l2", &["l1", "l2"]),
        (false, "MaxNorm") => call("max_norm", &["max_value", "axis"]),
        (false, "NonNeg") => Ok("non_neg".into()),
        (false, "UnitNorm") => call("unit_norm", &["axis"]),
        (false, "MinMaxNorm") => call("min_max_norm", &["min_value", "max_value", "rate", "axis"]),
        _ => Err(format!(
            "`{class}` is not a {} nn has",
            if key.ends_with("_regularizer") { "regularizer" } else { "constraint" }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layer;

    #[test]
    fn grouped_depthwise_separable_and_transposed_convolutions_round_trip() {
        let m = Model {
            name: "net".into(),
            input_shape: vec![8, 8, 4],
            layers: vec![
                Layer::new("Conv2D", "c", &[8, 8, 4])
                    .arg("filters", 6)
                    .arg("kernel_size", json!([3, 3]))
                    .arg("groups", 2),
                Layer::new("DepthwiseConv2D", "d", &[6, 6, 6])
                    .arg("kernel_size", json!([3, 3]))
                    .arg("depth_multiplier", 2)
                    .arg("padding", "same"),
                Layer::new("SeparableConv2D", "s", &[6, 6, 12])
                    .arg("filters", 4)
                    .arg("kernel_size", json!([2, 2]))
                    .arg("depth_multiplier", 3),
                Layer::new("Conv2DTranspose", "t", &[5, 5, 4])
                    .arg("filters", 3)
                    .arg("kernel_size", json!([3, 3]))
                    .arg("strides", json!([2, 2]))
                    .arg("output_padding", json!([1, 1])),
            ],
        };
        let d = declaration(&to_json(&m).unwrap()).unwrap();
        assert_eq!(
            d.layers,
            [
                "Conv2D(filters = 6, kernel_size = (3, 3), groups = 2, name = \"c\")",
                "DepthwiseConv2D(kernel_size = (3, 3), padding = same, depth_multiplier = 2, name = \"d\")",
                "SeparableConv2D(filters = 4, kernel_size = (2, 2), depth_multiplier = 3, name = \"s\")",
                "Conv2DTranspose(filters = 3, kernel_size = (3, 3), strides = (2, 2), output_padding = (1, 1), name = \"t\")",
            ]
        );
        // Keras's own config of a transposed convolution without output_padding says `null`.
        let mut cfg = to_json(&m).unwrap();
        cfg["config"]["layers"][4]["config"]["output_padding"] = Value::Null;
        assert!(declaration(&cfg).unwrap().layers[3]
            .starts_with("Conv2DTranspose(filters = 3, kernel_size = (3, 3), strides = (2, 2), name"));
    }

    #[test]
    fn written_config_declares_the_same_model() {
        let m = Model {
            name: "net".into(),
            input_shape: vec![28, 28, 1],
            layers: vec![
                Layer::new("Conv2D", "conv2d", &[28, 28, 1])
                    .arg("filters", 32)
                    .arg("kernel_size", json!([3, 3]))
                    .arg("activation", "relu")
                    .var(&[3, 3, 1, 32])
                    .var(&[32]),
                Layer::new("Flatten", "flatten", &[26, 26, 32]),
                Layer::new("Dense", "head", &[21632]).arg("units", 10).arg("activation", "softmax").trainable(false),
            ],
        };
        let cfg = to_json(&m).unwrap();
        let d = declaration(&cfg).unwrap();
        assert_eq!(d.input_shape, [28, 28, 1]);
        assert_eq!(
            d.layers,
            [
                "Conv2D(filters = 32, kernel_size = (3, 3), activation = relu, name = \"conv2d\")",
                "Flatten(name = \"flatten\")",
                "Dense(units = 10, activation = softmax, trainable = false, name = \"head\")",
            ]
        );
    }

    #[test]
    fn keras_constructors_get_what_they_require_and_nothing_they_refuse() {
        let m = Model {
            name: "seq".into(),
            input_shape: vec![16, 4],
            layers: vec![
                Layer::new("Conv1D", "conv1d", &[16, 4])
                    .arg("filters", 6)
                    .arg("kernel_size", json!([3]))
                    .arg("padding", "causal")
                    .arg("groups", 2)
                    .var(&[3, 2, 6])
                    .var(&[6]),
                Layer::new("SpatialDropout1D", "spatial_dropout1d", &[16, 6]).arg("rate", 0.25),
                Layer::new("AveragePooling1D", "average_pooling1d", &[16, 6]),
                Layer::new("Cropping1D", "cropping1d", &[8, 6]).arg("cropping", json!([1, 2])),
            ],
        };
        let cfg = to_json(&m).unwrap();
        let layers = &cfg["config"]["layers"];
        // Keras's SpatialDropout1D takes no `trainable`; AveragePooling1D requires `pool_size`.
        assert!(layers[2]["config"].get("trainable").is_none());
        assert_eq!(layers[3]["config"]["pool_size"], json!([2]));
        assert_eq!(
            declaration(&cfg).unwrap().layers,
            [
                "Conv1D(filters = 6, kernel_size = (3), padding = causal, groups = 2, name = \"conv1d\")",
                "SpatialDropout1D(rate = 0.25, name = \"spatial_dropout1d\")",
                "AveragePooling1D(pool_size = (2), name = \"average_pooling1d\")",
                "Cropping1D(cropping = (1, 2), name = \"cropping1d\")",
            ]
        );
    }

    #[test]
    fn recurrent_layers_round_trip_with_keras_s_wrapped_layers() {
        let lstm = json!({"class_name": "LSTM", "config": {"name": "lstm", "units": 3, "return_sequences": true}});
        let m = Model {
            name: "rnn".into(),
            input_shape: vec![7],
            layers: vec![
                Layer::new("Embedding", "embedding", &[7]).arg("input_dim", 20).arg("output_dim", 4),
                Layer::new("SimpleRNN", "simple_rnn", &[7, 4]).arg("units", 5).arg("return_sequences", true),
                Layer::new("Bidirectional", "bidirectional", &[7, 5]).arg("layer", lstm).arg("merge_mode", "ave"),
                Layer::new("GRU", "gru", &[7, 3]).arg("units", 2).arg("reset_after", false).arg("go_backwards", true),
            ],
        };
        let cfg = to_json(&m).unwrap();
        // As Keras writes it: the forward layer renamed, the backward layer reading the other way.
        let bi = &cfg["config"]["layers"][3]["config"];
        assert_eq!(bi["layer"]["config"]["name"], "forward_lstm");
        assert_eq!(bi["layer"]["module"], "keras.layers");
        assert_eq!(bi["backward_layer"]["config"]["name"], "backward_lstm");
        assert_eq!(bi["backward_layer"]["config"]["go_backwards"], true);
        assert_eq!(
            declaration(&cfg).unwrap().layers,
            [
                "Embedding(input_dim = 20, output_dim = 4, name = \"embedding\")",
                "SimpleRNN(units = 5, return_sequences = true, name = \"simple_rnn\")",
                "Bidirectional(layer = LSTM(units = 3, return_sequences = true, name = \"lstm\"), merge_mode = ave, \
                 name = \"bidirectional\")",
                "GRU(units = 2, reset_after = false, go_backwards = true, name = \"gru\")",
            ]
        );

        // A backward layer that is not the forward one reversed, a wrapped
        // Dense, a stateful layer and a wide initializer are named.
        let mut bad = cfg.clone();
        bad["config"]["layers"][3]["config"]["backward_layer"]["config"]["units"] = json!(4);
        let err = declaration(&bad).unwrap_err();
        assert!(
            err.contains(
                "layer 3 `bidirectional` (Bidirectional): argument `backward_layer`: `units` = 4, where `layer` has 3: \
                 nn's `Bidirectional` reads backwards with a copy of `layer`"
            ),
            "{err}"
        );
        bad["config"]["layers"][3]["config"]["backward_layer"]["config"]["go_backwards"] = json!(false);
        let err = declaration(&bad).unwrap_err();
        assert!(err.contains("`backward_layer`: `go_backwards` = false, as in `layer`, `units` = 4"), "{err}");
        let mut bad = cfg.clone();
        bad["config"]["layers"][3]["config"]["layer"]["class_name"] = json!("Dense");
        assert!(declaration(&bad).unwrap_err().contains("argument `layer`: a `Dense`; nn's `Bidirectional` wraps"));
        let mut bad = cfg.clone();
        bad["config"]["layers"][2]["config"]["stateful"] = json!(true);
        assert!(declaration(&bad).unwrap_err().contains("argument `stateful` = true: nn supports only false"));
        bad["config"]["layers"][1]["config"]["embeddings_initializer"] =
            json!({"class_name": "RandomUniform", "config": {"minval": -1.0, "maxval": 1.0}});
        assert!(declaration(&bad).unwrap_err().contains("`RandomUniform` over other than [-0.05, 0.05]"));
        // Integer ids into an Embedding are fine; into anything else they are not.
        let mut ids = cfg.clone();
        ids["config"]["layers"][0]["config"]["dtype"] = json!("int32");
        assert!(declaration(&ids).is_ok());
        ids["config"]["layers"][1]["class_name"] = json!("Dense");
        assert!(declaration(&ids).unwrap_err().contains("dtype `int32`"));
    }

    #[test]
    fn what_nn_cannot_declare_is_named() {
        let mut cfg = to_json(&Model {
            name: "m".into(),
            input_shape: vec![8, 8, 3],
            layers: vec![Layer::new("Conv2D", "c", &[8, 8, 3]).arg("filters", 4).arg("kernel_size", json!([3, 3]))],
        })
        .unwrap();
        cfg["config"]["layers"][1]["config"]["data_format"] = json!("channels_first");
        let err = declaration(&cfg).unwrap_err();
        assert!(err.contains("layer 1 `c` (Conv2D): argument `data_format` = \"channels_first\""), "{err}");
        cfg["config"]["layers"][1]["class_name"] = json!("UnitNormalization");
        assert!(declaration(&cfg).unwrap_err().contains("nn has no layer `UnitNormalization`"));
        let mc = Model { name: "m".into(), input_shape: vec![3], layers: vec![Layer::new("MCDropout", "mc", &[3])] };
        assert!(to_json(&mc).unwrap_err().contains("not a Keras layer"));
    }
}
