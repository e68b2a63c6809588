//! Keras's `GaussianDropout`: multiplies by N(1, rate / (1 - rate)) noise in training, identity at inference.

use super::elementwise::Elementwise;
use super::{Kind, Pass, Spec};
use crate::args::{required, ArgSpec, Args, UNIT};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `GaussianDropout` layer.
pub struct GaussianDropout;

impl Kind for GaussianDropout {
    fn names(&self) -> &'static [&'static str] {
        &["GaussianDropout"]
    }
    fn class(&self) -> &'static str {
        "GaussianDropout"
    }
    fn auto_name(&self) -> &'static str {
        "gaussian_dropout"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[required("rate", UNIT)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Elementwise { ty: "GaussianDropout", args: vec![args.float("rate", 0.0)], pass: Pass::Dropout })
    }
}
