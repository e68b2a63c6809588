//! What Keras's recurrent layers (`SimpleRNN`, `LSTM`, `GRU`) share: their
//! arguments and Keras 3's defaults, the sequence shape rule and its errors,
//! the weights (`kernel` [in, g·u], `recurrent_kernel` [u, g·u], `bias`) and
//! the runtime type `nn::layers::Recurrent<Cell, STEPS, IN, UNITS,
//! SEQUENCES, BACKWARDS>` with its constructors. Each kind's module names
//! its cell and the arguments only it takes.

use proc_macro2::{Span, TokenStream};
use quote::quote;

use super::kernel_bias::KernelBias;
use super::{Io, Spec, Streams, Weight};
use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::dims::{product, show_shape, Dim};
use crate::parse::LayerDecl;
use crate::vocab::Act;

/// The arguments of a recurrent layer, Keras's names in Keras's order,
/// followed by the kind's own (`$extra`).
macro_rules! recurrent_args {
    ($($extra:expr),* $(,)?) => {
        &[
            $crate::args::required("units", $crate::args::Ty::Size),
            $crate::args::positional("activation", $crate::args::Ty::Activation),
            $crate::args::positional("kernel_initializer", $crate::args::Ty::Initializer),
            $crate::args::arg("use_bias", $crate::args::Ty::Bool),
            $crate::args::arg("recurrent_initializer", $crate::args::Ty::Initializer),
            $crate::args::arg("bias_initializer", $crate::args::Ty::Initializer),
            $crate::args::arg("kernel_regularizer", $crate::args::Ty::Regularizer),
            $crate::args::arg("recurrent_regularizer", $crate::args::Ty::Regularizer),
            $crate::args::arg("bias_regularizer", $crate::args::Ty::Regularizer),
            $crate::args::arg("kernel_constraint", $crate::args::Ty::Constraint),
            $crate::args::arg("recurrent_constraint", $crate::args::Ty::Constraint),
            $crate::args::arg("bias_constraint", $crate::args::Ty::Constraint),
            $crate::args::arg("dropout", $crate::args::UNIT),
            $crate::args::arg("recurrent_dropout", $crate::args::UNIT),
            $crate::args::arg("return_sequences", $crate::args::Ty::Bool),
            $crate::args::arg("go_backwards", $crate::args::Ty::Bool),
            $($extra,)*
        ]
    };
}
pub(super) use recurrent_args;

/// The cell of a recurrent layer, and what only it takes.
pub(super) enum Cell {
    /// `SimpleRNN`: one gate.
    Simple,
    /// `LSTM`: gates i, f, c, o; `unit_forget_bias` (default true) starts the forget gate's bias at 1.
    Lstm {
        /// Keras's `unit_forget_bias`.
        unit_forget_bias: bool,
    },
    /// `GRU`: gates z, r, h; `reset_after` (default true) gives it two biases, `[2, 3u]`.
    Gru {
        /// Keras's `reset_after`.
        reset_after: bool,
    },
}

impl Cell {
    /// Gates: the kernels' width is `gates · units`.
    fn gates(&self) -> u64 {
        match self {
            Cell::Simple => 1,
            Cell::Lstm { .. } => 4,
            Cell::Gru { .. } => 3,
        }
    }
}

/// A recurrent layer's arguments, Keras's defaults filled in.
pub(super) struct Recurrent {
    /// Keras's class (`LSTM`), for messages.
    class: &'static str,
    cell: Cell,
    units: Dim,
    activation: &'static Act,
    recurrent_activation: &'static Act,
    tensors: KernelBias,
    sequences: bool,
    backwards: bool,
    /// `dropout` and `recurrent_dropout`, when either is given.
    dropout: Option<(TokenStream, TokenStream)>,
}

impl Recurrent {
    /// The layer of class `class` with cell `cell` from its arguments.
    pub fn new(class: &'static str, cell: Cell, args: &Args) -> Self {
        let dropout = (args.has("dropout") || args.has("recurrent_dropout"))
            .then(|| (args.float("dropout", 0.0), args.float("recurrent_dropout", 0.0)));
        Recurrent {
            class,
            cell,
            units: args.size("units"),
            activation: args.activation_or("activation", "tanh"),
            recurrent_activation: args.activation_or("recurrent_activation", "sigmoid"),
            tensors: KernelBias::named(
                args,
                &[("kernel", "kernel", "glorot_uniform"), ("recurrent", "recurrent_kernel", "orthogonal")],
            ),
            sequences: args.flag("return_sequences", false),
            backwards: args.flag("go_backwards", false),
            dropout,
        }
    }

    /// The runtime cell type.
    fn cell_ty(&self) -> TokenStream {
        let act = |a: &Act| {
            let id = syn::Ident::new(a.ty, Span::call_site());
            quote!(::nn::activations::#id)
        };
        let (a, r) = (act(self.activation), act(self.recurrent_activation));
        match self.cell {
            Cell::Simple => quote!(::nn::layers::SimpleRnnCell<#a>),
            Cell::Lstm { .. } => quote!(::nn::layers::LstmCell<#a, #r>),
            Cell::Gru { reset_after } => quote!(::nn::layers::GruCell<#a, #r, #reset_after>),
        }
    }

    /// The runtime type, reading the sequence from its end when `backwards`.
    fn ty_reading(&self, io: &Io, backwards: bool) -> TokenStream {
        let axis = |i: usize| io.input.get(i).cloned().unwrap_or(Dim::Lit(1)).tokens();
        let (cell, steps, features, units, sequences) =
            (self.cell_ty(), axis(0), axis(1), self.units.tokens(), self.sequences);
        quote!(::nn::layers::Recurrent<#cell, { #steps }, { #features }, { #units }, #sequences, #backwards>)
    }

    /// `.with_dropout(dropout, recurrent_dropout)` when either is given.
    fn with_dropout(&self) -> Option<TokenStream> {
        self.dropout.as_ref().map(|(d, r)| quote!(.with_dropout(#d, #r)))
    }
}

impl Spec for Recurrent {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let class = self.class;
        let takes = format!("layer `{name}` (`{class}`) takes sequences (None, steps, features)");
        match input {
            [_, _] => {}
            [n] => {
                let msg = match cx.before().and_then(|b| Some((&b.name, b.keep_sequence.as_ref()?))) {
                    Some((before, fix)) => format!(
                        "{takes}, but layer `{before}` before it outputs {}, its last step only; {fix}",
                        show_shape(input)
                    ),
                    None => format!(
                        "{takes}, but the layer before it outputs {}; write `Input[steps, features]`, or \
                         `Reshape[steps, features]` before it{}",
                        show_shape(input),
                        match n {
                            Dim::Lit(n) => {
                                let steps =
                                    (1..=*n).take(1 << 20).take_while(|d| d * d <= *n).filter(|d| n % d == 0).last();
                                let steps = steps.unwrap_or(1);
                                format!(" (steps · features = {n}: `Reshape[{steps}, {}]`)", n / steps)
                            }
                            Dim::Sym(..) => String::new(),
                        }
                    ),
                };
                cx.error(decl.kind.span(), msg);
            }
            [first, rest @ ..] => {
                let features = product(rest);
                let fix = match (first, &features) {
                    (Dim::Lit(s), Dim::Lit(f)) => format!("`Reshape[{s}, {f}]` before it"),
                    _ => "a `Reshape[steps, features]` before it".to_string(),
                };
                cx.error(
                    decl.kind.span(),
                    format!("{takes}, but the layer before it outputs {}; write {fix}", show_shape(input)),
                );
            }
            [] => {}
        }
        match (self.sequences, input.first()) {
            (true, Some(steps)) => vec![steps.clone(), self.units.clone()],
            _ => vec![self.units.clone()],
        }
    }
    fn weights(&self, io: &Io) -> Vec<Weight> {
        let u = self.units.clone();
        let width = product(&[Dim::Lit(self.cell.gates()), u.clone()]);
        let bias = match self.cell {
            Cell::Gru { reset_after: true } => vec![Dim::Lit(2), width.clone()],
            _ => vec![width.clone()],
        };
        self.tensors.shaped(vec![vec![io.features_in(), width.clone()], vec![u, width]], bias)
    }
    fn ty(&self, io: &Io) -> TokenStream {
        self.ty_reading(io, self.backwards)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let inits = self.tensors.initializers();
        let unit_forget_bias = matches!(self.cell, Cell::Lstm { unit_forget_bias: true });
        let dropout = self.with_dropout();
        quote!(::nn::layers::Recurrent::new(#inits, #unit_forget_bias, &mut rng) #dropout)
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (params, dropout) = (KernelBias::params_of(2, weights), self.with_dropout());
        quote!(::nn::layers::Recurrent::from_params(#params) #dropout)
    }
    fn streams(&self) -> Streams {
        match self.backwards {
            true => Streams::Blocked("it reads the sequence from its end (`go_backwards = true`)".into()),
            false => Streams::Step,
        }
    }
    fn keep_sequence(&self) -> Option<String> {
        (!self.sequences).then(|| "give it `return_sequences = true`".to_string())
    }
    fn reversed_ty(&self, io: &Io) -> Option<TokenStream> {
        Some(self.ty_reading(io, !self.backwards))
    }
}
