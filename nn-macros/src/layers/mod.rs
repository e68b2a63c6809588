//! One module per layer kind: everything the macro knows of a kind lives in
//! its module, behind the [`Kind`] and [`Spec`] traits; the shared pipeline
//! (parse → check → expand → fallback) never names a kind.
//!
//! # Adding a layer kind
//!
//! Write two files, one here and one in the runtime, and register both:
//!
//! 1. `nn-runtime/src/layers/<kind>.rs`: the layer type, generic over its
//!    compile-time sizes, implementing `nn_runtime::layers::Layer`
//!    (inference, also without `std`: `IN`, `OUT`, the `SCRATCH` it needs,
//!    `infer`, and its weights in Keras's order through `visit`/`visit_mut`,
//!    statistics made with `Param::into_statistic`) and, under the `std`
//!    feature, `nn_runtime::layers::Train` (`State`, `forward`, `backward`,
//!    `visit_grads`); a constructor for `seeded` and a `const fn
//!    from_params` when it has weights; export it from
//!    `nn-runtime/src/layers/mod.rs`.
//! 2. `nn-macros/src/layers/<kind>.rs`: a unit struct implementing [`Kind`]
//!    (Keras's names, arguments with their defaults, auto-name, class) whose
//!    `build` returns a [`Spec`] (shape rule and its errors, weights, the
//!    runtime type and constructors); add it to [`KINDS`].
//!
//! A kind with a Keras class also has an entry in nn-files' class table
//! (`nn_files::config::classes`), which reads and writes its `config.json`;
//! the test `keras_classes_agree_with_nn_files` checks that the two agree.
//!
//! Then add tests: a gradient check in `tests/gradients.rs`, a Keras parity
//! reference (a `tools/` script and `tests/keras_parity.rs`), and a trybuild
//! case per argument mistake under `tests/ui/`.

mod activation;
mod alpha_dropout;
mod batch_norm;
mod bidirectional;
mod conv1d;
mod conv2d;
mod conv2d_transpose;
mod dense;
mod depthwise_conv2d;
mod dropout;
mod elementwise;
mod elu;
mod embedding;
mod flatten;
mod gaussian_dropout;
mod gaussian_noise;
mod gru;
mod input;
mod kernel_bias;
mod leaky_relu;
mod lstm;
mod mc_dropout;
pub mod nested;
mod pooling;
mod prelu;
mod recurrent;
mod relu;
mod remap;
mod reshape;
mod rrelu;
mod separable_conv2d;
mod simple_rnn;
mod softmax;
mod spatial_dropout;
mod window;

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{ArgSpec, Args};
use crate::ctxt::Ctxt;
use crate::dims::{product, Dim};
use crate::parse::LayerDecl;

/// Every layer kind, in the order their names are listed in messages.
pub const KINDS: &[&dyn Kind] = &[
    &input::Input,
    &flatten::Flatten,
    &reshape::Reshape,
    &dense::Dense,
    &conv1d::Conv1D,
    &conv2d::Conv2D,
    &depthwise_conv2d::DepthwiseConv2D,
    &separable_conv2d::SeparableConv2D,
    &conv2d_transpose::Conv2DTranspose,
    &pooling::MAX_POOLING_1D,
    &pooling::AVERAGE_POOLING_1D,
    &pooling::GLOBAL_MAX_POOLING_1D,
    &pooling::GLOBAL_AVERAGE_POOLING_1D,
    &pooling::MAX_POOLING_2D,
    &pooling::AVERAGE_POOLING_2D,
    &pooling::GLOBAL_MAX_POOLING_2D,
    &pooling::GLOBAL_AVERAGE_POOLING_2D,
    &remap::ZERO_PADDING_1D,
    &remap::CROPPING_1D,
    &remap::UP_SAMPLING_1D,
    &remap::ZERO_PADDING_2D,
    &remap::CROPPING_2D,
    &remap::UP_SAMPLING_2D,
    &embedding::Embedding,
    &simple_rnn::SimpleRnn,
    &lstm::Lstm,
    &gru::Gru,
    &bidirectional::Bidirectional,
    &batch_norm::BatchNorm,
    &activation::Activation,
    &leaky_relu::LeakyRelu,
    &prelu::PRelu,
    &elu::Elu,
    &relu::Relu,
    &softmax::Softmax,
    &dropout::Dropout,
    &spatial_dropout::SPATIAL_DROPOUT_1D,
    &spatial_dropout::SPATIAL_DROPOUT_2D,
    &alpha_dropout::AlphaDropout,
    &mc_dropout::McDropout,
    &mc_dropout::McAlphaDropout,
    &gaussian_noise::GaussianNoise,
    &gaussian_dropout::GaussianDropout,
    &rrelu::RRelu,
];

/// Finds a kind by any of its spellings.
pub fn find(name: &str) -> Option<&'static dyn Kind> {
    KINDS.iter().copied().find(|k| k.names().contains(&name))
}

/// Every spelling of every kind, for suggestions.
pub fn names() -> impl Iterator<Item = &'static str> + Clone {
    KINDS.iter().flat_map(|k| k.names().iter().copied())
}

/// The fix for an unknown layer kind `name`: "did you mean `Dense`?", or the list of kinds.
pub fn unknown_hint(name: &str) -> String {
    match crate::vocab::suggest(name, names()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("the layers are {}", crate::vocab::list(names())),
    }
}

/// What `kind` accepts, for the argument resolver.
pub fn accepts(kind: &dyn Kind) -> crate::args::Accepts<'static> {
    crate::args::Accepts { args: kind.args(), kind: kind.names()[0] }
}

/// A layer kind as Keras names it, and how its arguments become a [`Spec`].
pub trait Kind {
    /// Accepted spellings; the first is the canonical one.
    fn names(&self) -> &'static [&'static str];
    /// Keras's class name, shown in the summary.
    fn class(&self) -> &'static str;
    /// Keras's automatic name prefix (`dense`, then `dense_1`, ...).
    fn auto_name(&self) -> &'static str;
    /// The arguments it takes besides `name` and `trainable`.
    fn args(&self) -> &'static [ArgSpec] {
        &[]
    }
    /// What its brackets mean.
    fn brackets(&self) -> Brackets {
        Brackets::InputShape
    }
    /// Whether it is `Input`, which declares the input shape and has no field.
    fn declares_input(&self) -> bool {
        false
    }
    /// The layer with these arguments; mistakes that involve several
    /// arguments (`upper` below `lower`) are reported here.
    fn build(&self, decl: &LayerDecl, args: &Args, cx: &mut Ctxt) -> Box<dyn Spec>;
}

/// What `Kind[..]` declares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Brackets {
    /// The model's input shape (Keras's `input_shape`): `Flatten[28, 28]`.
    InputShape,
    /// The layer's own shape argument: `Reshape[7, 112]`.
    Own,
}

/// How a layer treats its data in the two modes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pass {
    /// The same values in another shape, in both modes (Flatten, Reshape): no step at all.
    View,
    /// Identity at inference, a step in training (noise).
    TrainOnly,
    /// A dropout: a step in training and in `predict_mc`'s passes, else
    /// the identity at inference (its runtime `infer` copies then).
    Dropout,
    /// A step in both modes.
    Compute,
}

/// How a layer runs one time step at a time, for `predict_step`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Streams {
    /// Its runtime type implements `nn::layers::Step` (a recurrent layer, Embedding).
    Step,
    /// It acts on the last axis alone, so that `Layer::infer` on one row is
    /// its step (Dense, BatchNorm, activations).
    Frame,
    /// A sequence layer that cannot step as declared: why (`go_backwards`).
    Blocked(String),
    /// Not a layer of time steps: why.
    No(String),
}

/// A layer's shapes, as its [`Spec`] sees them when expanding.
pub struct Io<'a> {
    /// The shape it receives (no batch dimension).
    pub input: &'a [Dim],
}

impl Io<'_> {
    /// Floats per sample in.
    pub fn width_in(&self) -> TokenStream {
        product(self.input).tokens()
    }
    /// The last axis of the input (the features Dense and BatchNorm act on).
    pub fn features_in(&self) -> Dim {
        self.input.last().cloned().unwrap_or(Dim::Lit(1))
    }
    /// The input shape as a `&'static [usize]` expression.
    pub fn input_shape(&self) -> TokenStream {
        let dims = self.input.iter().map(Dim::tokens);
        quote!({
            const SHAPE: &[usize] = &[#(#dims),*];
            SHAPE
        })
    }
}

/// One weight tensor of a layer, in the order the runtime layer visits them.
pub struct Weight {
    /// Keras's name (`kernel`; `dense.kernel` for a weight of a nested model).
    pub name: String,
    /// Keras's shape.
    pub shape: Vec<Dim>,
    /// Whether optimizers may train it (false for statistics such as a moving mean).
    pub trainable: bool,
    /// Its `nn::regularizers::Regularizer` (`kernel_regularizer = l2(0.01)`), if any.
    pub regularizer: Option<TokenStream>,
    /// Its `nn::constraints::Constraint` (`kernel_constraint = max_norm(1.0)`), if any.
    pub constraint: Option<TokenStream>,
}

impl Weight {
    /// A weight with no regularizer or constraint.
    pub fn new(name: impl Into<String>, shape: Vec<Dim>, trainable: bool) -> Self {
        Weight { name: name.into(), shape, trainable, regularizer: None, constraint: None }
    }
    /// The same with the regularizer and constraint given (`None`: none).
    pub fn with(mut self, regularizer: Option<TokenStream>, constraint: Option<TokenStream>) -> Self {
        (self.regularizer, self.constraint) = (regularizer, constraint);
        self
    }
}

/// A layer of a kind with its arguments resolved.
pub trait Spec {
    /// The shape it outputs for `input`, reporting what it requires of it at `decl`'s tokens.
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim>;
    /// Its weights, in the runtime layer's order.
    fn weights(&self, io: &Io) -> Vec<Weight> {
        let _ = io;
        Vec::new()
    }
    /// The runtime type of its field.
    fn ty(&self, io: &Io) -> TokenStream;
    /// The expression that builds it in `seeded` (drawing from `rng`, a `&mut nn::Rng`, if it needs to).
    fn init(&self, io: &Io) -> TokenStream;
    /// The `const` expression that builds it over the given tensors (one
    /// `nn::Param` expression per [`Spec::weights`] entry, same order).
    fn over_weights(&self, io: &Io, weights: &[TokenStream]) -> TokenStream {
        let _ = weights;
        self.init(io)
    }
    /// How it treats data in inference and training.
    fn pass(&self) -> Pass {
        Pass::Compute
    }
    /// Whether it ends in softmax (for the fused softmax + cross-entropy gradient).
    fn ends_in_softmax(&self) -> bool {
        false
    }
    /// How it runs one time step at a time (layers that are the identity at
    /// inference, [`Pass::TrainOnly`] and [`Pass::Dropout`], are skipped and never asked).
    fn streams(&self) -> Streams {
        Streams::No("it needs the whole input at once".into())
    }
    /// When it outputs only the last step of a sequence, how to make it
    /// output every step, for the message of a later layer that needs them.
    fn keep_sequence(&self) -> Option<String> {
        None
    }
    /// The runtime type of the same layer reading the sequence from its
    /// end, if it reads sequences in order (what `Bidirectional` wraps; its
    /// constructors are [`Spec::init`]'s and [`Spec::over_weights`]'s).
    fn reversed_ty(&self, io: &Io) -> Option<TokenStream> {
        let _ = io;
        None
    }
    /// Keras config entries besides its arguments' (`Bidirectional`'s
    /// `layer`), as [`crate::args::keras_config`] writes them.
    fn keras_config(&self) -> Vec<(&'static str, TokenStream)> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions_of_kinds() {
        assert_eq!(crate::vocab::suggest("Dens", super::names()), Some("Dense"));
        assert_eq!(crate::vocab::suggest("zzzzzz", super::names()), None);
    }

    /// nn-files' table of Keras classes is the one `config.json` is read
    /// by: each argument it declares is one the kind takes, and each
    /// argument the kind writes it reads, under the same Keras key.
    #[test]
    fn keras_classes_agree_with_nn_files() {
        let classes: Vec<_> = nn_files::config::classes().collect();
        for (class, args) in &classes {
            let kind = super::KINDS
                .iter()
                .find(|k| k.class() == *class)
                .unwrap_or_else(|| panic!("nn-files reads Keras's `{class}`; no layer kind has that class"));
            for (key, nn) in args {
                let spec = kind.args().iter().find(|s| s.name == *nn || s.aliases.contains(nn));
                let spec = spec.unwrap_or_else(|| {
                    panic!("`{class}`: nn-files declares `{nn}` (Keras `{key}`), which the kind lacks")
                });
                if spec.ty.in_keras_config() {
                    assert_eq!(spec.aliases.first().copied().unwrap_or(spec.name), *key, "`{class}`'s `{nn}`");
                }
            }
            for spec in kind.args().iter().filter(|s| s.ty.in_keras_config()) {
                let key = spec.aliases.first().copied().unwrap_or(spec.name);
                assert!(args.iter().any(|(k, _)| *k == key), "`{class}` writes `{key}`, which nn-files does not read");
            }
        }
        let without: Vec<&str> =
            super::KINDS.iter().map(|k| k.class()).filter(|c| !classes.iter().any(|(k, _)| k == c)).collect();
        assert_eq!(without, ["InputLayer", "MCDropout", "MCAlphaDropout", "RReLU"]);
    }
}
