//! Keras's `SimpleRNN`: `h_t = activation(x_t · kernel + h_{t-1} · recurrent_kernel + bias)`.

use super::recurrent::{recurrent_args, Cell, Recurrent};
use super::{Kind, Spec};
use crate::args::{ArgSpec, Args};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `SimpleRNN`.
pub struct SimpleRnn;

impl Kind for SimpleRnn {
    fn names(&self) -> &'static [&'static str] {
        &["SimpleRNN"]
    }
    fn class(&self) -> &'static str {
        "SimpleRNN"
    }
    fn auto_name(&self) -> &'static str {
        "simple_rnn"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = recurrent_args!();
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Recurrent::new(self.class(), Cell::Simple, args))
    }
}
