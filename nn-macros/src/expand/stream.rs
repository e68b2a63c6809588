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
    let live: Vec<&Gen> = gens.iter().filter(|g| g.layer.spec.pass() != Pass::TrainOnly).collect();
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
            ::nn::model::with_buffers::<WIDTH, SCRATCH, _>(1, |a, b, s| {
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
    /// The expansion of `decl`, formatted.
    pub(crate) fn expand(decl: &str) -> String {
        let tokens: proc_macro2::TokenStream = decl.parse().unwrap();
        let file = syn::parse2::<syn::File>(crate::sequential2(tokens)).expect("the expansion parses as a file");
        prettyplease::unparse(&file)
    }

    #[test]
    fn dump() {
        println!(
            "{}",
            expand(
                std::env::var("NN_DECL")
                    .as_deref()
                    .unwrap_or("struct Kw { Input[28, 28], LSTM(128), Dense(10, softmax) }")
            )
        );
    }
}
