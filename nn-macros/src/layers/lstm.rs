//! Keras's `LSTM`: gates i, f, c, o in Keras's order, `recurrent_activation`
//! on i, f and o, `activation` on the candidate and the cell state.

use super::recurrent::{recurrent_args, Cell, Recurrent};
use super::{Kind, Spec};
use crate::args::{arg, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `LSTM`.
pub struct Lstm;

impl Kind for Lstm {
    fn names(&self) -> &'static [&'static str] {
        &["LSTM"]
    }
    fn class(&self) -> &'static str {
        "LSTM"
    }
    fn auto_name(&self) -> &'static str {
        "lstm"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] =
            recurrent_args!(arg("recurrent_activation", Ty::Activation), arg("unit_forget_bias", Ty::Bool));
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        let cell = Cell::Lstm { unit_forget_bias: args.flag("unit_forget_bias", true) };
        Box::new(Recurrent::new(self.class(), cell, args))
    }
}
