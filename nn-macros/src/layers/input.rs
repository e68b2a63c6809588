//! `Input[..]`: declares the model's input shape; no field, no summary row.

use super::{Kind, Spec};
use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `Input` (`InputLayer`).
pub struct Input;

impl Kind for Input {
    fn names(&self) -> &'static [&'static str] {
        &["Input", "InputLayer"]
    }
    fn class(&self) -> &'static str {
        "InputLayer"
    }
    fn auto_name(&self) -> &'static str {
        "input"
    }
    fn declares_input(&self) -> bool {
        true
    }
    fn build(&self, decl: &LayerDecl, args: &Args, cx: &mut Ctxt) -> Box<dyn Spec> {
        // The pipeline never builds `Input`: it has no layer.
        super::flatten::Flatten.build(decl, args, cx)
    }
}
