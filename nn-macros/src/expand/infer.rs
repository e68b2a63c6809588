//! Inference: the batched `Model::infer` (two ping-pong buffers), `predict`
//! and the allocation-free `predict_one` (two stack buffers, whatever the depth).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Gen;
use crate::check::Model;
use crate::dims::Dim;

/// `Layer::infer` of the model: computing layers in order, views skipped,
/// over two buffers in turn (on the stack for one sample).
pub fn infer(gens: &[Gen]) -> TokenStream {
    let steps: Vec<&Gen> = gens.iter().filter(|g| !g.infer_identity).collect();
    if steps.is_empty() {
        return quote! {
            fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
                y.copy_from_slice(x);
            }
        };
    }
    let widths: Vec<&TokenStream> = steps[..steps.len() - 1].iter().map(|g| &g.width_out).collect();
    let scratches = steps.iter().map(|g| {
        let ty = &g.ty;
        quote!(<#ty as ::nn::layers::Layer>::SCRATCH)
    });
    let last = steps.len() - 1;
    let calls = steps.iter().enumerate().map(|(i, g)| {
        let f = &g.field;
        let (w_in, w_out) = (&g.width_in, &g.width_out);
        let src = if i == 0 {
            quote!(x)
        } else {
            let b = if (i - 1) % 2 == 0 { quote!(a) } else { quote!(b) };
            quote!(&#b[..n * #w_in])
        };
        let dst = if i == last {
            quote!(&mut *y)
        } else {
            let b = if i % 2 == 0 { quote!(a) } else { quote!(b) };
            quote!(&mut #b[..n * #w_out])
        };
        quote!(::nn::layers::Layer::infer(&self.#f, #src, #dst, &mut *s);)
    });
    // Two buffers, a and b, in turn, and the layers' scratch s: on the stack
    // for one sample, else kept per thread and reused; a batch in pieces.
    quote! {
        fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
            const WIDTH: usize = ::nn::model::max_of(&[#(#widths),*]);
            const SCRATCH: usize = ::nn::model::max_of(&[#(#scratches),*]);
            // Pieces of rows small enough for a core's cache (every layer
            // infers row by row, so the result is the same).
            const ROWS: usize = ::nn::model::piece_rows(WIDTH);
            static ONE: ::nn::model::OneSample<{ 2 * WIDTH + SCRATCH }> = ::nn::model::OneSample::new();
            let (i, o) = (<Self as ::nn::layers::Layer>::IN.max(1), <Self as ::nn::layers::Layer>::OUT.max(1));
            for (x, y) in x.chunks(ROWS * i).zip(y.chunks_mut(ROWS * o)) {
                let n = x.len() / i;
                ::nn::model::with_buffers::<WIDTH, SCRATCH, _, _>(n, &ONE, |a, b, s| {
                    let _ = (&a, &b);
                    #(#calls)*
                });
            }
        }
    }
}

/// A nested fixed-size array type: `[[f32; 28]; 28]`.
fn nested(dims: &[Dim]) -> TokenStream {
    dims.iter().rev().fold(quote!(f32), |t, d| {
        let d = d.tokens();
        quote!([#t; #d])
    })
}

/// `as_flattened` applied until the array is one flat slice (a rank-1
/// array coerces to a slice as it is).
fn flatten(expr: TokenStream, rank: usize, mutable: bool) -> TokenStream {
    let mut e = if mutable { quote!(&mut #expr) } else { expr.clone() };
    for i in 1..rank {
        e = match (mutable, i) {
            (true, 1) => quote!(#expr.as_flattened_mut()),
            (true, _) => quote!(#e.as_flattened_mut()),
            (false, _) => quote!(#e.as_flattened()),
        };
    }
    e
}

/// `ndarray`'s dimension type for a rank.
fn dim_type(rank: usize) -> TokenStream {
    match rank {
        1..=6 => {
            let t = format_ident!("Ix{}", rank);
            quote!(::nn::ndarray::#t)
        }
        _ => quote!(::nn::ndarray::IxDyn),
    }
}

/// `predict` and `predict_one`.
pub fn inherent(model: &Model) -> TokenStream {
    let (in_ty, out_ty) = (nested(&model.input), nested(model.output()));
    let (x_dim, y_dim) = (dim_type(model.input.len() + 1), dim_type(model.output().len() + 1));
    let x_flat = flatten(quote!(x), model.input.len(), false);
    let y_flat = flatten(quote!(y), model.output().len(), true);
    let zero_out = model.output().iter().rev().fold(quote!(0.0f32), |t, d| {
        let d = d.tokens();
        quote!([#t; #d])
    });

    quote! {
        /// Inference on a batch (the batch first, then `INPUT_SHAPE`); a wrong
        /// inner shape is an error naming the expected and found shapes.
        #[::nn::__std]
        pub fn predict<'a>(
            &self,
            x: impl ::nn::ndarray::AsArray<'a, f32, #x_dim>,
        ) -> ::core::result::Result<::nn::ndarray::Array<f32, #y_dim>, ::nn::Error> {
            ::nn::model::predict(self, x.into().into_dyn())
        }

        /// Keras's Monte Carlo dropout: the mean and standard deviation of
        /// `samples` inference passes with every dropout layer active, as
        /// `model(x, training=True)` (`MCDropout` and plain `Dropout` alike;
        /// BatchNorm in inference mode; new masks on every call, from
        /// generators seeded by the model's seed).
        #[::nn::__std]
        pub fn predict_mc<'a>(
            &self,
            x: impl ::nn::ndarray::AsArray<'a, f32, #x_dim>,
            samples: usize,
        ) -> ::core::result::Result<
            (::nn::ndarray::Array<f32, #y_dim>, ::nn::ndarray::Array<f32, #y_dim>),
            ::nn::Error,
        > {
            let (mean, std) = ::nn::model::predict_mc(self, x.into().into_dyn(), samples)?;
            ::core::result::Result::Ok((::nn::model::into_rank(mean)?, ::nn::model::into_rank(std)?))
        }

        /// Inference on one sample, with no heap allocation and two stack
        /// buffers of the widest activation.
        pub fn predict_one(&self, x: &#in_ty) -> #out_ty {
            let x: &[f32] = #x_flat;
            let mut y: #out_ty = #zero_out;
            ::nn::layers::Layer::infer(self, x, #y_flat, &mut []);
            y
        }
    }
}
