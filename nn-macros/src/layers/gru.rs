//! Keras's `GRU`: gates z, r, h in Keras's order; with `reset_after` (Keras
//! 3's default, cuDNN's form) the reset gate applies after the recurrent
//! product and the bias is `[2, 3u]` (input and recurrent biases).

use super::recurrent::{recurrent_args, Cell, Recurrent};
use super::{Kind, Spec};
use crate::args::{arg, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `GRU`.
pub struct Gru;

impl Kind for Gru {
    fn names(&self) -> &'static [&'static str] {
        &["GRU"]
    }
    fn class(&self) -> &'static str {
        "GRU"
    }
    fn auto_name(&self) -> &'static str {
        "gru"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] =
            recurrent_args!(arg("recurrent_activation", Ty::Activation), arg("reset_after", Ty::Bool));
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        let cell = Cell::Gru { reset_after: args.flag("reset_after", true) };
        Box::new(Recurrent::new(self.class(), cell, args))
    }
}
