//! What the layers with a kernel and an optional bias (Dense, Conv2D) share:
//! Keras's initializer defaults, `use_bias`, the regularizers and
//! constraints of both tensors, their `Weight` entries, and the
//! constructor arguments for `seeded` and `embedded`.

use proc_macro2::TokenStream;
use quote::quote;

use super::Weight;
use crate::args::Args;
use crate::dims::Dim;

/// A kernel and an optional bias, as the arguments declare them.
pub(super) struct KernelBias {
    kernel_initializer: TokenStream,
    /// `None` with `use_bias = false` (`no_bias`).
    bias_initializer: Option<TokenStream>,
    /// The kernel's regularizer and constraint.
    kernel: (Option<TokenStream>, Option<TokenStream>),
    /// The bias's regularizer and constraint.
    bias: (Option<TokenStream>, Option<TokenStream>),
}

impl KernelBias {
    /// From the layer's arguments, with Keras's defaults (`glorot_uniform`, zeros).
    pub fn new(args: &Args) -> Self {
        KernelBias {
            kernel_initializer: args.initializer("kernel_initializer", "glorot_uniform"),
            bias_initializer: args.flag("use_bias", true).then(|| args.initializer("bias_initializer", "zeros")),
            kernel: (args.regularizer("kernel_regularizer"), args.constraint("kernel_constraint")),
            bias: (args.regularizer("bias_regularizer"), args.constraint("bias_constraint")),
        }
    }

    /// `kernel` of `kernel_shape` and, with a bias, `bias` of `[units]`.
    pub fn weights(&self, kernel_shape: Vec<Dim>, units: Dim) -> Vec<Weight> {
        let (kr, kc) = self.kernel.clone();
        let mut w = vec![Weight::new("kernel", kernel_shape, true).with(kr, kc)];
        if self.bias_initializer.is_some() {
            let (br, bc) = self.bias.clone();
            w.push(Weight::new("bias", vec![units], true).with(br, bc));
        }
        w
    }

    /// The initializer arguments of a runtime `new`: `&kernel_init, Option<&bias_init>`.
    pub fn initializers(&self) -> TokenStream {
        let kernel = &self.kernel_initializer;
        let bias = match &self.bias_initializer {
            Some(b) => quote!(::core::option::Option::Some(&#b)),
            None => quote!(::core::option::Option::None),
        };
        quote!(&#kernel, #bias)
    }

    /// The tensor arguments of a runtime `from_params`: `kernel, Option<bias>`.
    pub fn params(weights: &[TokenStream]) -> TokenStream {
        let kernel = &weights[0];
        let bias = match weights.get(1) {
            Some(b) => quote!(::core::option::Option::Some(#b)),
            None => quote!(::core::option::Option::None),
        };
        quote!(#kernel, #bias)
    }
}
