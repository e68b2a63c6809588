//! Keras's `AlphaDropout`: SELU-preserving dropout in training, identity at inference.

use super::elementwise::Elementwise;
use super::{Kind, Pass, Spec};
use crate::args::{required, ArgSpec, Args, UNIT};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `AlphaDropout` layer.
pub struct AlphaDropout;

impl Kind for AlphaDropout {
    fn names(&self) -> &'static [&'static str] {
        &["AlphaDropout"]
    }
    fn class(&self) -> &'static str {
        "AlphaDropout"
    }
    fn auto_name(&self) -> &'static str {
        "alpha_dropout"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[required("rate", UNIT)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Elementwise { ty: "AlphaDropout", args: vec![args.float("rate", 0.0)], pass: Pass::Dropout })
    }
}
