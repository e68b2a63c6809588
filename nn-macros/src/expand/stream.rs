//! Streaming: for a model of time steps whose every layer runs one step at a
//! time, `<Model>Stream` (the recurrent state, one fixed-size array) and the
//! allocation-free `predict_step`; for a model with a recurrent layer that
//! cannot, a line of its docs saying which layer stops it and why.
//!
//! Axis 0 of the input is time (a rank-1 input is a sequence of ids for an
//! `Embedding`). A layer that is the identity at inference is skipped; a
//! [`Streams::Step`] layer steps through `nn::layers::Step`, after which time
//! is gone unless it outputs a sequence; a [`Streams::Frame`] layer is
//! `Layer::infer` on one row, which is one time step only while the rows
//! are steps (not on the time axis itself).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use syn::Visibility;

use super::Gen;
use crate::check::Model;
use crate::dims::{product, Dim};
use crate::layers::{Pass, Streams};

/// What streaming adds to a model.
#[derive(Default)]
pub struct Stream {
    /// `<Model>Stream` and its `Default`, beside the struct.
    pub items: TokenStream,
    /// `predict_step`, for the inherent `impl`.
    pub method: TokenStream,
    /// A line for the struct's docs when a recurrent layer cannot stream.
    pub doc: Option<String>,
}

/// One layer of `predict_step`.
struct Stage<'a> {
    gen: &'a Gen<'a>,
    /// Whether it steps through `nn::layers::Step` (else `Layer::infer` on one row).
    step: bool,
}

impl Stage<'_> {
    /// `<T as nn::layers::Step>::NAME`.
    fn step_const(&self, name: &str) -> TokenStream {
        let (ty, name) = (&self.gen.ty, format_ident!("{}", name));
        quote!(<#ty as ::nn::layers::Step>::#name)
    }
    /// Floats of one output step: the last axis of its output (a stepping
    /// layer's `Step::STEP_OUT`).
    fn width_out(&self) -> TokenStream {
        self.gen.layer.output.last().cloned().unwrap_or(Dim::Lit(1)).tokens()
    }
    /// Floats of scratch one step needs.
    fn scratch(&self) -> TokenStream {
        let ty = &self.gen.ty;
        match self.step {
            true => self.step_const("STEP_SCRATCH"),
            false => quote!(<#ty as ::nn::layers::Layer>::SCRATCH),
        }
    }
}

/// Streaming for the model `ident` declared `vis`.
pub fn stream(ident: &Ident, vis: &Visibility, model: &Model, gens: &[Gen]) -> Stream {
    let live: Vec<&Gen> =
        gens.iter().filter(|g| !matches!(g.layer.spec.pass(), Pass::TrainOnly | Pass::Dropout)).collect();
    let recurrent = live.iter().any(|g| matches!(g.layer.spec.streams(), Streams::Step | Streams::Blocked(_)));
    if !recurrent || model.input.len() > 2 {
        return Stream::default();
    }
    let mut stages = Vec::new();
    let mut time = true;
    for g in live {
        let stop = match g.layer.spec.streams() {
            Streams::Step => {
                stages.push(Stage { gen: g, step: true });
                time = g.layer.output.len() >= 2;
                continue;
            }
            Streams::Frame if !time || g.layer.input.len() == 2 => {
                stages.push(Stage { gen: g, step: false });
                continue;
            }
            Streams::Frame => "it acts on the time axis itself".to_string(),
            Streams::Blocked(why) | Streams::No(why) => why,
        };
        let (name, class) = (&g.layer.name, g.layer.kind.class());
        let doc =
            format!(" No `predict_step` (one time step at a time): layer `{name}` ({class}) stops it, as {stop}.");
        return Stream { doc: Some(doc), ..Stream::default() };
    }
    emit(ident, vis, model, &stages, time)
}

/// `<Model>Stream` and `predict_step` over the stages; `sequences` when the
/// output is a sequence too (one output step per input step).
fn emit(ident: &Ident, vis: &Visibility, model: &Model, stages: &[Stage], sequences: bool) -> Stream {
    let state_ident = format_ident!("{}Stream", ident);
    let len_ident = format_ident!("__NN_STREAM_{}", ident);
    let states: Vec<TokenStream> = stages.iter().filter(|s| s.step).map(|s| s.step_const("STATE")).collect();
    let n_states = proc_macro2::Literal::usize_unsuffixed(states.len());
    let features = product(model.input.get(1..).unwrap_or_default()).tokens();
    let out = model.output().last().cloned().unwrap_or(Dim::Lit(1)).tokens();

    let widths = stages[..stages.len() - 1].iter().map(Stage::width_out);
    let scratches = stages.iter().map(Stage::scratch);
    let last = stages.len() - 1;
    let mut parts = 0usize;
    let calls = stages.iter().enumerate().map(|(i, s)| {
        let f = &s.gen.field;
        let src = match i {
            0 => quote!(frame),
            _ => {
                let (b, w) = (if (i - 1) % 2 == 0 { quote!(a) } else { quote!(b) }, stages[i - 1].width_out());
                quote!(&#b[..#w])
            }
        };
        let dst = match i == last {
            true => quote!(&mut y),
            false => {
                let (b, w) = (if i % 2 == 0 { quote!(a) } else { quote!(b) }, s.width_out());
                quote!(&mut #b[..#w])
            }
        };
        if !s.step {
            return quote!(::nn::layers::Layer::infer(&self.#f, #src, #dst, &mut *s););
        }
        let index = |k: usize| {
            let k = proc_macro2::Literal::usize_unsuffixed(k);
            quote!(STATE[#k])
        };
        let state = match parts {
            0 => quote!(&mut state.state[..STATE[0]]),
            _ => {
                let start: Vec<TokenStream> = (0..parts).map(index).collect();
                let len = index(parts);
                quote!(&mut state.state[#(#start)+*..#(#start +)* #len])
            }
        };
        parts += 1;
        quote!(::nn::layers::Step::step(&self.#f, #state, #src, #dst, &mut *s);)
    });
    let calls: Vec<TokenStream> = calls.collect();

    let doc_state = format!(
        " The state of a [`{ident}`] between calls of [`{ident}::predict_step`]: every recurrent layer's \
         state in one fixed-size array, no heap. `Default` (all zeros) starts a new sequence."
    );
    let outcome = match sequences {
        true => "the output of step t equals time step t of `predict` on the whole sequence",
        false => "the output after the last step equals `predict` on the whole sequence",
    };
    let doc_step = format!(
        " One time step: `frame` (one step of the input) through every layer, updating `state` for the \
         next step; returns this step's output. Starting from `{state_ident}::default()`, {outcome}. \
         No heap allocation (stack buffers of the widest step), also without `std`."
    );
    let items = quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        const #len_ident: usize = #(#states)+*;

        #[doc = #doc_state]
        #[derive(Clone, Debug)]
        #vis struct #state_ident {
            state: [f32; #len_ident],
        }

        #[automatically_derived]
        impl ::core::default::Default for #state_ident {
            fn default() -> Self {
                #state_ident { state: [0.0; #len_ident] }
            }
        }
    };
    let method = quote! {
        #[doc = #doc_step]
        pub fn predict_step(&self, state: &mut #state_ident, frame: &[f32; #features]) -> [f32; #out] {
            // Each recurrent layer's part of `state`, in order.
            const STATE: [usize; #n_states] = [#(#states),*];
            const WIDTH: usize = ::nn::model::max_of(&[#(#widths),*]);
            const SCRATCH: usize = ::nn::model::max_of(&[#(#scratches),*]);
            let mut y = [0.0f32; #out];
            static ONE: ::nn::model::OneSample<{ 2 * WIDTH + SCRATCH }> = ::nn::model::OneSample::new();
            ::nn::model::with_buffers::<WIDTH, SCRATCH, _, _>(1, &ONE, |a, b, s| {
                let _ = (&a, &b);
                #(#calls)*
            });
            y
        }
    };
    Stream { items, method, doc: None }
}

#[cfg(test)]
mod tests {
    /// The expansion of `decl`, formatted, on one line per item as prettyplease writes it.
    pub(crate) fn expand(decl: &str) -> String {
        let tokens: proc_macro2::TokenStream = decl.parse().unwrap();
        let file = syn::parse2::<syn::File>(crate::sequential2(tokens)).expect("the expansion parses as a file");
        prettyplease::unparse(&file)
    }

    /// Keras's parameter counts, output shapes and weight names of the recurrent layers.
    #[test]
    fn recurrent_counts_shapes_and_names() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("Input[28, 28], LSTM(128)", "80384", &["\"lstm.recurrent_kernel\"[128, 512]"]),
            ("Input[28, 28], GRU(32)", "5952", &["\"gru.bias\"[2, 96]"]),
            ("Input[28, 28], GRU(32, reset_after = false)", "5856", &["\"gru.bias\"[96]"]),
            ("Input[28, 28], SimpleRNN(16, activation = relu, no_bias)", "704", &["SimpleRnnCell<::nn::activations::Relu>"]),
            (
                "Input[28, 28], Bidirectional(LSTM(32, return_sequences = true))",
                "15616",
                &["output[28, 64]", "\"bidirectional.forward_lstm.kernel\"[28, 128]", "\"backward_lstm.bias\""],
            ),
            (
                "Input[28, 28], LSTM(4, return_sequences = true), Bidirectional(LSTM(4, name = \"enc\"), merge_mode = sum)",
                "816",
                &["output[4]", "\"bidirectional.backward_enc.recurrent_kernel\"[4, 16]", "merge::Sum"],
            ),
            // The inner layer counts with the model's automatic names, as in Keras.
            (
                "Input[28, 28], LSTM(4, return_sequences = true), Bidirectional(LSTM(4))",
                "816",
                &["\"bidirectional.forward_lstm_1.kernel\"", "output[8]"],
            ),
            (
                "Input[20], Embedding(1000, 64), GRU(8)",
                "65776",
                &["\"embedding.embeddings\"[1000, 64]", "random_uniform(-0.05, 0.05)", "output[8]"],
            ),
        ];
        for (layers, params, fragments) in cases {
            let out = expand(&format!("struct Net {{ {layers} }}"));
            assert!(out.contains(&format!("PARAMS: usize = {params};")), "{layers}: not {params} params");
            for f in *fragments {
                assert!(out.replace(['\n', ' '], "").contains(&f.replace(' ', "")), "{layers}: no `{f}`");
            }
        }
    }

    #[test]
    fn streaming() {
        let out = expand("struct Kw { Input[49, 40], Dense(16), LSTM(12, return_sequences = true), Dropout(0.2), GRU(8), Dense(3, softmax) }");
        assert!(out.contains("struct KwStream"), "{out}");
        assert!(out.contains("pub fn predict_step(&self, state: &mut KwStream, frame: &[f32; 40]) -> [f32; 3]"));
        assert!(out.contains("&mut state.state[STATE[0]..STATE[0] + STATE[1]]"));
        let step = &out[out.find("pub fn predict_step").unwrap()..];
        let step = &step[..step.find("\n    }\n").unwrap()];
        assert!(!step.contains("self.dropout") && step.contains("self.dense_1"), "dropouts are skipped: {step}");
        let ids = expand("struct Ids { Input[20], Embedding(100, 8), LSTM(4) }");
        assert!(ids.contains("frame: &[f32; 1]) -> [f32; 4]"), "{ids}");
        for (decl, stopper) in [
            ("struct B { Input[20, 3], Bidirectional(LSTM(4)) }", "layer `bidirectional` (Bidirectional) stops it"),
            ("struct G { Input[20, 3], LSTM(4, go_backwards = true) }", "(`go_backwards = true`)"),
            ("struct F { Input[20, 3], LSTM(4, return_sequences = true), Flatten, Dense(2) }", "layer `flatten`"),
            (
                "struct E { Input[20], Dense(20), Reshape[20, 1], LSTM(2) }",
                "layer `dense` (Dense) stops it, as it acts on the time axis",
            ),
        ] {
            let out = expand(decl);
            assert!(!out.contains("predict_step(&self"), "{decl}");
            assert!(out.contains("No `predict_step`") && out.contains(stopper), "{decl}: {out}");
        }
        // No recurrent layer: no streaming, no docs about it.
        let dense = expand("struct D { Input[20, 3], Dense(4) }");
        assert!(!dense.contains("predict_step") && !dense.contains("Stream"));
    }
}
