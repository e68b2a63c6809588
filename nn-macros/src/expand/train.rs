//! Training: the workspace (every layer's state, output and the two gradient
//! buffers), and the unrolled `Model::forward` / `Model::backward`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Gen;
use crate::check::Model;

fn state(g: &Gen) -> proc_macro2::Ident {
    format_ident!("state_{}", g.field)
}
fn output(g: &Gen) -> proc_macro2::Ident {
    format_ident!("out_{}", g.field)
}

/// The workspace struct, inside the expansion's anonymous `const` block.
pub fn workspace(gens: &[Gen], name: &proc_macro2::Ident) -> TokenStream {
    let steps = gens.iter().filter(|g| !g.train_identity);
    let fields = steps.map(|g| {
        let (s, o, ty) = (state(g), output(g), &g.ty);
        quote!(#s: <#ty as ::nn::layers::Train>::State, #o: ::std::vec::Vec<f32>,)
    });
    quote! {
        #[::nn::__std]
        #[doc(hidden)]
        #[derive(Default)]
        #[allow(non_camel_case_types)]
        pub struct #name {
            #(#fields)*
            out: ::std::vec::Vec<f32>,
            grad_a: ::std::vec::Vec<f32>,
            grad_b: ::std::vec::Vec<f32>,
        }
    }
}

/// `Model::PER_SAMPLE`, `Model::KEPT`, `Model::forward`, `Model::backward_to`
/// and `Model::visit_grads`.
pub fn model_impl(gens: &[Gen]) -> TokenStream {
    let steps: Vec<&Gen> = gens.iter().filter(|g| !g.train_identity).collect();
    let scratch = quote!(::nn::layers::scratch);

    // Forward: each layer reads the previous output buffer (x for the first).
    let mut fwd = Vec::new();
    let mut prev = quote!(x);
    for g in &steps {
        let (f, s, o, w) = (&g.field, state(g), output(g), &g.width_out);
        fwd.push(quote! {
            ::nn::layers::Train::forward(&mut self.#f, &mut ws.#s, #prev, #scratch(&mut ws.#o, n * #w), rng);
        });
        prev = quote!(&ws.#o[..n * #w]);
    }
    let ret = if steps.is_empty() {
        quote! {
            #scratch(&mut ws.out, x.len()).copy_from_slice(x);
            &ws.out[..x.len()]
        }
    } else {
        prev.clone()
    };

    // Backward: last to first, gradients alternating between two buffers.
    let mut bwd = Vec::new();
    for (i, g) in steps.iter().enumerate().rev() {
        let (f, s, o, w) = (&g.field, state(g), output(g), &g.width_out);
        let win = &g.width_in;
        let input = if i == 0 {
            quote!(x)
        } else {
            let p = output(steps[i - 1]);
            quote!(&ws.#p[..n * #win])
        };
        let (gin, gout) = if (steps.len() - 1 - i).is_multiple_of(2) {
            (quote!(grad_b), quote!(grad_a))
        } else {
            (quote!(grad_a), quote!(grad_b))
        };
        let dy = if i + 1 == steps.len() { quote!(dy) } else { quote!(&ws.#gin[..n * #w]) };
        let dx =
            if i == 0 { quote!(dx) } else { quote!(::core::option::Option::Some(#scratch(&mut ws.#gout, n * #win))) };
        let call = |method: TokenStream| quote!(::nn::layers::Train::#method(&mut self.#f, &mut ws.#s, #input, &ws.#o[..n * #w], #dy, #dx));
        if i + 1 == steps.len() {
            let (plain, logits) = (call(quote!(backward)), call(quote!(backward_logits)));
            bwd.push(quote! {
                if logits { #logits; } else { #plain; }
            });
        } else {
            let plain = call(quote!(backward));
            bwd.push(quote!(#plain;));
        }
    }
    // A model of views only: its input gradient is its output gradient.
    let empty = steps.is_empty().then(|| {
        quote! {
            if let ::core::option::Option::Some(dx) = dx {
                dx.copy_from_slice(dy);
            }
        }
    });
    let grads = steps.iter().map(|g| {
        let (f, s) = (&g.field, state(g));
        quote!(::nn::layers::Train::visit_grads(&mut self.#f, &mut ws.#s, f);)
    });

    let tys = steps.iter().map(|g| &g.ty);
    let (tys2, widths) = (tys.clone(), steps.iter().map(|g| &g.width_out));

    quote! {
        const PER_SAMPLE: bool = true #(&& <#tys as ::nn::layers::Train>::PER_SAMPLE)*;
        const KEPT: usize = 0 #(+ 2 * #widths + <#tys2 as ::nn::layers::Train>::KEPT)*;

        fn forward<'w>(&mut self, ws: &'w mut Self::Workspace, x: &[f32], rng: &mut ::nn::Rng) -> &'w [f32] {
            let n = x.len() / <Self as ::nn::Model>::IN;
            let _ = (n, &rng);
            #(#fwd)*
            #ret
        }

        fn backward_to(
            &mut self,
            ws: &mut Self::Workspace,
            x: &[f32],
            dy: &[f32],
            logits: bool,
            dx: ::core::option::Option<&mut [f32]>,
        ) {
            let n = x.len() / <Self as ::nn::Model>::IN;
            let _ = (n, logits, dy);
            #empty
            #(#bwd)*
        }

        fn visit_grads(&mut self, ws: &mut Self::Workspace, f: &mut dyn FnMut(&mut ::nn::Param, &mut [f32])) {
            let _ = (&ws, &f);
            #(#grads)*
        }
    }
}

/// The inherent training methods (`train_on_batch`, `evaluate`, `fit`),
/// thin wrappers over `::nn::train`.
pub fn inherent(model: &Model) -> TokenStream {
    // The batch of inputs has rank R + 1; ndarray names ranks up to 6.
    let x_dim = match model.input.len() + 1 {
        rank @ 1..=6 => {
            let t = format_ident!("Ix{}", rank);
            quote!(::nn::ndarray::#t)
        }
        _ => quote!(::nn::ndarray::IxDyn),
    };
    quote! {
        /// One training step on a batch (the batch first, then `INPUT_SHAPE`):
        /// a training-mode forward pass, the loss's gradient, the backward pass
        /// and one optimizer step. Returns the batch's mean loss before the
        /// step. `y` holds class indices for `SparseCategoricalCrossentropy`,
        /// else arrays shaped like the output. On any error (shapes, labels,
        /// non-finite values) the model and the optimizer are unchanged.
        #[::nn::__std]
        pub fn train_on_batch<'a, 'b, L, O, D>(
            &mut self,
            x: impl ::nn::ndarray::AsArray<'a, f32, #x_dim>,
            y: impl ::nn::ndarray::AsArray<'b, <L as ::nn::loss::Loss>::Elem, D>,
            loss: &L,
            opt: &mut O,
        ) -> ::core::result::Result<f32, ::nn::Error>
        where
            L: ::nn::loss::Loss,
            O: ::nn::optim::Optimizer,
            D: ::nn::ndarray::Dimension,
        {
            ::nn::train::train_on_batch(self, x.into().into_dyn(), y.into().into_dyn(), loss, opt)
        }

        /// Mean loss and accuracy on `x` and `y` in inference mode, as Keras's `evaluate`.
        #[::nn::__std]
        pub fn evaluate<'a, 'b, L, D>(
            &self,
            x: impl ::nn::ndarray::AsArray<'a, f32, #x_dim>,
            y: impl ::nn::ndarray::AsArray<'b, <L as ::nn::loss::Loss>::Elem, D>,
            loss: &L,
        ) -> ::core::result::Result<::nn::train::Evaluation, ::nn::Error>
        where
            L: ::nn::loss::Loss,
            D: ::nn::ndarray::Dimension,
        {
            ::nn::train::evaluate(self, x.into().into_dyn(), y.into().into_dyn(), loss)
        }

        /// Keras's `fit`: `options.epochs` epochs of shuffled mini-batches with
        /// validation, a progress bar and callbacks; returns the History.
        #[::nn::__std]
        pub fn fit<'a, 'b, L, O, D>(
            &mut self,
            x: impl ::nn::ndarray::AsArray<'a, f32, #x_dim>,
            y: impl ::nn::ndarray::AsArray<'b, <L as ::nn::loss::Loss>::Elem, D>,
            loss: &L,
            opt: &mut O,
            options: ::nn::train::FitOptions<'_, <L as ::nn::loss::Loss>::Elem>,
        ) -> ::core::result::Result<::nn::train::History, ::nn::Error>
        where
            L: ::nn::loss::Loss,
            O: ::nn::optim::Optimizer,
            D: ::nn::ndarray::Dimension,
        {
            ::nn::train::fit(self, x.into().into_dyn(), y.into().into_dyn(), loss, opt, options)
        }
    }
}
