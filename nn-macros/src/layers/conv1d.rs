//! Keras's `Conv1D` (channels last, input `(steps, channels)`): `filters`
//! kernels of `kernel_size` steps slid along the sequence with `strides`,
//! `dilation_rate`, `groups` and `valid`, `same` or `causal` padding
//! (`causal`: `dilation · (kernel_size − 1)` zeros on the left only, so that
//! output step t sees input steps up to t), then the bias and the
//! activation. The layer is Conv2D's ([`Conv`]) on a window of height 1.

use super::conv2d::Conv;
use super::window::Window;
use super::{Kind, Spec};
use crate::args::{arg, positional, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `Conv1D` (alias `Convolution1D`).
pub struct Conv1D;

impl Kind for Conv1D {
    fn names(&self) -> &'static [&'static str] {
        &["Conv1D", "Convolution1D"]
    }
    fn class(&self) -> &'static str {
        "Conv1D"
    }
    fn auto_name(&self) -> &'static str {
        "conv1d"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[
            required("filters", Ty::Size),
            required("kernel_size", Ty::Single),
            positional("activation", Ty::Activation),
            arg("strides", Ty::Single),
            arg("padding", Ty::CausalPadding),
            arg("dilation_rate", Ty::Single),
            arg("groups", Ty::Int),
            arg("use_bias", Ty::Bool),
            positional("kernel_initializer", Ty::Initializer),
            arg("bias_initializer", Ty::Initializer),
            arg("kernel_regularizer", Ty::Regularizer),
            arg("bias_regularizer", Ty::Regularizer),
            arg("kernel_constraint", Ty::Constraint),
            arg("bias_constraint", Ty::Constraint),
        ];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        let window = Window::one(
            args.single("kernel_size", 1),
            args.single("strides", 1),
            args.single("dilation_rate", 1),
            args.padding("padding"),
        );
        Box::new(Conv::new(args, window))
    }
}
