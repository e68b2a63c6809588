//! Keras's `Softmax` layer: softmax over the last axis.

use super::activation::Apply;
use super::{Kind, Spec};
use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;
use crate::vocab::SOFTMAX;

/// Keras's `Softmax` layer.
pub struct Softmax;

impl Kind for Softmax {
    fn names(&self) -> &'static [&'static str] {
        &["Softmax"]
    }
    fn class(&self) -> &'static str {
        "Softmax"
    }
    fn auto_name(&self) -> &'static str {
        "softmax"
    }
    fn build(&self, _: &LayerDecl, _: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Apply(SOFTMAX))
    }
}
