//! What the layers with one or more kernels and an optional bias (Dense,
//! the convolutions, the recurrent layers) share: Keras's initializer defaults, `use_bias`, the
//! regularizers and constraints of each tensor, their `Weight` entries, and
//! the constructor arguments for `seeded` and `embedded`.

use proc_macro2::TokenStream;
use quote::quote;

use super::Weight;
use crate::args::Args;
use crate::dims::Dim;

/// Kernels and an optional bias, as the arguments declare them.
pub(super) struct KernelBias {
    /// Each kernel: its weight name, initializer, regularizer and constraint.
    kernels: Vec<Kernel>,
    /// `None` with `use_bias = false` (`no_bias`).
    bias_initializer: Option<TokenStream>,
    /// The bias's regularizer and constraint.
    bias: (Option<TokenStream>, Option<TokenStream>),
}

/// One kernel tensor's arguments.
struct Kernel {
    name: &'static str,
    initializer: TokenStream,
    regularizer: Option<TokenStream>,
    constraint: Option<TokenStream>,
}

impl KernelBias {
    /// From the layer's arguments, with Keras's defaults (`glorot_uniform`, zeros).
    pub fn new(args: &Args) -> Self {
        Self::named(args, &[("kernel", "kernel", "glorot_uniform")])
    }

    /// The same for kernels whose arguments are `<prefix>_initializer`,
    /// `<prefix>_regularizer` and `<prefix>_constraint`, as `(prefix, weight
    /// name, default initializer)` in Keras's weight order (DepthwiseConv2D's
    /// `("depthwise", "kernel", "glorot_uniform")`, LSTM's `("recurrent",
    /// "recurrent_kernel", "orthogonal")`).
    pub fn named(args: &Args, kernels: &[(&'static str, &'static str, &'static str)]) -> Self {
        let kernels = kernels
            .iter()
            .map(|&(prefix, name, default)| Kernel {
                name,
                initializer: args.initializer(&format!("{prefix}_initializer"), default),
                regularizer: args.regularizer(&format!("{prefix}_regularizer")),
                constraint: args.constraint(&format!("{prefix}_constraint")),
            })
            .collect();
        KernelBias {
            kernels,
            bias_initializer: args.flag("use_bias", true).then(|| args.initializer("bias_initializer", "zeros")),
            bias: (args.regularizer("bias_regularizer"), args.constraint("bias_constraint")),
        }
    }

    /// `kernel` of `kernel_shape` and, with a bias, `bias` of `[units]`.
    pub fn weights(&self, kernel_shape: Vec<Dim>, units: Dim) -> Vec<Weight> {
        self.weights_of(vec![kernel_shape], units)
    }

    /// Each kernel of its shape (in order) and, with a bias, `bias` of `[units]`.
    pub fn weights_of(&self, kernel_shapes: Vec<Vec<Dim>>, units: Dim) -> Vec<Weight> {
        self.shaped(kernel_shapes, vec![units])
    }

    /// Each kernel of its shape (in order) and, with a bias, `bias` of
    /// `bias_shape` (GRU's `[2, 3 · units]`).
    pub fn shaped(&self, kernel_shapes: Vec<Vec<Dim>>, bias_shape: Vec<Dim>) -> Vec<Weight> {
        let mut w: Vec<Weight> = self
            .kernels
            .iter()
            .zip(kernel_shapes)
            .map(|(k, shape)| Weight::new(k.name, shape, true).with(k.regularizer.clone(), k.constraint.clone()))
            .collect();
        if self.bias_initializer.is_some() {
            let (br, bc) = self.bias.clone();
            w.push(Weight::new("bias", bias_shape, true).with(br, bc));
        }
        w
    }

    /// Keras's shapes of the kernels and of the bias `[units]` as the
    /// runtime's `new` takes them: `(&'static [usize], ..)` expressions, one
    /// per kernel then the bias's (given even without a bias: `new` does
    /// not draw it then).
    pub fn shapes(kernels: &[Vec<Dim>], units: &Dim) -> TokenStream {
        let bias = std::slice::from_ref(units);
        let shapes = kernels.iter().map(|k| &k[..]).chain([bias]).map(|dims| {
            let dims = dims.iter().map(Dim::tokens);
            quote!({
                const SHAPE: &[usize] = &[#(#dims),*];
                SHAPE
            })
        });
        quote!((#(#shapes),*))
    }

    /// The initializer arguments of a runtime `new`: `&kernel_init, .., Option<&bias_init>`.
    pub fn initializers(&self) -> TokenStream {
        let kernels = self.kernels.iter().map(|k| &k.initializer);
        let bias = match &self.bias_initializer {
            Some(b) => quote!(::core::option::Option::Some(&#b)),
            None => quote!(::core::option::Option::None),
        };
        quote!(#(&#kernels,)* #bias)
    }

    /// The tensor arguments of a runtime `from_params`: `kernel, Option<bias>`.
    pub fn params(weights: &[TokenStream]) -> TokenStream {
        Self::params_of(1, weights)
    }

    /// The same with `kernels` kernels first: `k0, .., Option<bias>`.
    pub fn params_of(kernels: usize, weights: &[TokenStream]) -> TokenStream {
        let ks = &weights[..kernels];
        let bias = match weights.get(kernels) {
            Some(b) => quote!(::core::option::Option::Some(#b)),
            None => quote!(::core::option::Option::None),
        };
        quote!(#(#ks,)* #bias)
    }
}
