//! A model as Keras's files see it, and where Keras 3 keeps its variables:
//! `layers/<snake_case class>[_k]/vars/<i>`, in layer order, `_k` counting
//! earlier layers of the same class in the same model whatever their names;
//! a nested model's layers under its own key (`layers/sequential/layers/dense/vars/0`);
//! a recurrent layer's in its cell (`layers/lstm/cell/vars/0`), a
//! `Bidirectional`'s in its two layers' cells
//! (`layers/bidirectional/forward_layer/cell/vars/0`, then `backward_layer/`).

use std::ops::Range;

use serde_json::{Map, Value};

/// Keras's recurrent layer classes, whose variables live in their `cell`.
pub const RECURRENT: &[&str] = &["SimpleRNN", "LSTM", "GRU"];

/// A sequential model: its name, one sample's input shape and its layers.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Keras's model name (`seed_mlp`).
    pub name: String,
    /// One sample's input shape.
    pub input_shape: Vec<usize>,
    /// The layers after the input, in order.
    pub layers: Vec<Layer>,
}

/// One layer: Keras's class, its name, its config arguments, its variables.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Keras's class name (`Dense`, `Sequential` for a nested model).
    pub class: String,
    /// The layer's name (`dense_1`).
    pub name: String,
    /// Whether its weights are trained.
    pub trainable: bool,
    /// Keras's config arguments other than `name`, `trainable` and `dtype`.
    pub args: Map<String, Value>,
    /// One sample's input shape.
    pub input_shape: Vec<usize>,
    /// Its own variables' shapes, in Keras's order (`kernel`, `bias`).
    pub vars: Vec<Vec<usize>>,
    /// The model it is, when it is a nested model.
    pub inner: Option<Box<Model>>,
}

impl Layer {
    /// A layer of Keras class `class` named `name`, trainable, without
    /// arguments or variables.
    pub fn new(class: &str, name: &str, input_shape: &[usize]) -> Layer {
        Layer {
            class: class.to_string(),
            name: name.to_string(),
            trainable: true,
            args: Map::new(),
            input_shape: input_shape.to_vec(),
            vars: Vec::new(),
            inner: None,
        }
    }

    /// A nested model as a layer (class `Sequential`), named `name`.
    pub fn nested(name: &str, model: Model) -> Layer {
        let mut l = Layer::new("Sequential", name, &model.input_shape);
        l.inner = Some(Box::new(Model { name: name.to_string(), ..model }));
        l
    }

    /// Adds Keras config argument `key`.
    pub fn arg(mut self, key: &str, value: impl Into<Value>) -> Layer {
        self.args.insert(key.to_string(), value.into());
        self
    }

    /// Adds a variable of shape `shape` (the next `vars/<i>`).
    pub fn var(mut self, shape: &[usize]) -> Layer {
        self.vars.push(shape.to_vec());
        self
    }

    /// Sets whether its weights are trained.
    pub fn trainable(mut self, trainable: bool) -> Layer {
        self.trainable = trainable;
        self
    }

    /// The class and name of the layer a `Bidirectional` wraps, from its
    /// `layer` argument (`("LSTM", "lstm")`, without Keras's `forward_`).
    pub fn wrapped(&self) -> Option<(&str, &str)> {
        let layer = self.args.get("layer")?;
        let class = layer.get("class_name")?.as_str()?;
        let name = layer.get("config")?.get("name")?.as_str()?;
        Some((class, name.strip_prefix("forward_").unwrap_or(name)))
    }

    /// The groups of its entry in Keras's weights file, each with a `vars`
    /// group: the layer's own, and those that hold its variables when they
    /// are not its own (a recurrent layer's `cell/`, a `Bidirectional`'s
    /// `forward_layer/`, `forward_layer/cell/`, `backward_layer/`, ...).
    pub fn parts(&self) -> Vec<Part> {
        let part = |at: &str, name: String, vars: Range<usize>| Part { at: at.to_string(), name, vars };
        let n = self.vars.len();
        let cell = |class: &str| format!("{}_cell", snake_case(class));
        if RECURRENT.contains(&self.class.as_str()) {
            return vec![part("", self.name.clone(), 0..0), part("cell/", cell(&self.class), 0..n)];
        }
        if self.class == "Bidirectional" {
            let (class, inner) = self.wrapped().unwrap_or(("", ""));
            return vec![
                part("", self.name.clone(), 0..0),
                part("forward_layer/", format!("forward_{inner}"), 0..0),
                part("forward_layer/cell/", cell(class), 0..n / 2),
                part("backward_layer/", format!("backward_{inner}"), n / 2..n / 2),
                part("backward_layer/cell/", cell(class), n / 2..n),
            ];
        }
        vec![part("", self.name.clone(), 0..n)]
    }
}

/// One group of a layer's entry in a weights file ([`Layer::parts`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// Its path under the layer's group: `""`, `cell/`, `forward_layer/cell/`.
    pub at: String,
    /// The `name` attribute of its `vars` group (Keras's object name; Keras never reads it).
    pub name: String,
    /// Which of the layer's variables its `vars/<i>` hold, `i` counted from 0.
    pub vars: Range<usize>,
}

/// Keras's `to_snake_case` of a class name: `BatchNormalization` →
/// `batch_normalization`, `Conv2D` → `conv2d`, `PReLU` → `p_re_lu`.
pub fn snake_case(name: &str) -> String {
    let c: Vec<char> = name.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
    // (.)([A-Z][a-z]+) → \1_\2, left to right without overlaps.
    let mut a = String::new();
    let mut i = 0;
    while i < c.len() {
        a.push(c[i]);
        if i + 1 < c.len() && c[i + 1].is_ascii_uppercase() {
            let mut j = i + 2;
            while j < c.len() && c[j].is_ascii_lowercase() {
                j += 1;
            }
            if j > i + 2 {
                a.push('_');
                a.extend(&c[i + 1..j]);
                i = j;
                continue;
            }
        }
        i += 1;
    }
    // ([a-z])([A-Z]) → \1_\2, then lower case.
    let a: Vec<char> = a.chars().collect();
    let mut out = String::new();
    for (k, &ch) in a.iter().enumerate() {
        out.push(ch);
        if ch.is_ascii_lowercase() && a.get(k + 1).is_some_and(char::is_ascii_uppercase) {
            out.push('_');
        }
    }
    out.to_lowercase()
}

/// The group of each layer of `layers` (`dense`, `dense_1`, ...), in order.
pub fn keys(layers: &[Layer]) -> Vec<String> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    layers
        .iter()
        .map(|l| {
            let base = snake_case(&l.class);
            match seen.iter_mut().find(|(b, _)| *b == base) {
                Some((_, n)) => {
                    *n += 1;
                    format!("{base}_{n}")
                }
                None => {
                    seen.push((base.clone(), 0));
                    base
                }
            }
        })
        .collect()
}

/// Every variable of `model` as (HDF5 path, shape), in Keras's order (which
/// is also the order of `nn`'s `visit_weights`).
pub fn var_paths(model: &Model) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    push_paths(model, "", &mut out);
    out
}

fn push_paths(model: &Model, prefix: &str, out: &mut Vec<(String, Vec<usize>)>) {
    for (l, key) in model.layers.iter().zip(keys(&model.layers)) {
        let at = format!("{prefix}layers/{key}/");
        for part in l.parts() {
            for (i, shape) in l.vars[part.vars.clone()].iter().enumerate() {
                out.push((format!("{at}{}vars/{i}", part.at), shape.clone()));
            }
        }
        if let Some(inner) = &l.inner {
            push_paths(inner, &at, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keras_snake_case() {
        for (class, snake) in [
            ("Dense", "dense"),
            ("BatchNormalization", "batch_normalization"),
            ("Conv2D", "conv2d"),
            ("MaxPooling2D", "max_pooling2d"),
            ("GlobalAveragePooling2D", "global_average_pooling2d"),
            ("PReLU", "p_re_lu"),
            ("LeakyReLU", "leaky_re_lu"),
            ("ReLU", "re_lu"),
            ("ELU", "elu"),
            ("ZeroPadding2D", "zero_padding2d"),
            ("UpSampling2D", "up_sampling2d"),
            ("GaussianNoise", "gaussian_noise"),
            ("AlphaDropout", "alpha_dropout"),
            ("Sequential", "sequential"),
            ("LSTM", "lstm"),
            ("SimpleRNN", "simple_rnn"),
            ("GRU", "gru"),
            ("Bidirectional", "bidirectional"),
            ("Embedding", "embedding"),
        ] {
            assert_eq!(snake_case(class), snake, "{class}");
        }
    }

    #[test]
    fn paths_count_classes_per_model() {
        let inner = Model {
            name: "encoder".into(),
            input_shape: vec![4],
            layers: vec![Layer::new("Dense", "a", &[4]).var(&[4, 3]).var(&[3])],
        };
        let m = Model {
            name: "m".into(),
            input_shape: vec![4],
            layers: vec![
                Layer::new("Dense", "x", &[4]).var(&[4, 4]),
                Layer::nested("encoder", inner),
                Layer::new("Flatten", "f", &[3]),
                Layer::new("Dense", "head", &[3]).var(&[3, 2]).var(&[2]),
            ],
        };
        let paths: Vec<String> = var_paths(&m).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "layers/dense/vars/0",
                "layers/sequential/layers/dense/vars/0",
                "layers/sequential/layers/dense/vars/1",
                "layers/dense_1/vars/0",
                "layers/dense_1/vars/1"
            ]
        );
    }

    #[test]
    fn recurrent_variables_live_in_cells() {
        let lstm = json!({"class_name": "LSTM", "config": {"name": "forward_lstm"}});
        let m = Model {
            name: "m".into(),
            input_shape: vec![6, 4],
            layers: vec![
                Layer::new("Embedding", "embedding", &[6]).var(&[20, 4]),
                Layer::new("GRU", "gru", &[6, 4]).var(&[4, 6]).var(&[2, 6]).var(&[2, 6]),
                Layer::new("Bidirectional", "bidirectional", &[6, 2])
                    .arg("layer", lstm)
                    .var(&[2, 4])
                    .var(&[1, 4])
                    .var(&[4])
                    .var(&[2, 4])
                    .var(&[1, 4])
                    .var(&[4]),
            ],
        };
        let paths: Vec<String> = var_paths(&m).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "layers/embedding/vars/0",
                "layers/gru/cell/vars/0",
                "layers/gru/cell/vars/1",
                "layers/gru/cell/vars/2",
                "layers/bidirectional/forward_layer/cell/vars/0",
                "layers/bidirectional/forward_layer/cell/vars/1",
                "layers/bidirectional/forward_layer/cell/vars/2",
                "layers/bidirectional/backward_layer/cell/vars/0",
                "layers/bidirectional/backward_layer/cell/vars/1",
                "layers/bidirectional/backward_layer/cell/vars/2",
            ]
        );
        let names: Vec<String> = m.layers[2].parts().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["bidirectional", "forward_lstm", "lstm_cell", "backward_lstm", "lstm_cell"]);
    }
}
