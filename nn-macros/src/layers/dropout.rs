//! Keras's `Dropout`: inverted dropout in training, identity at inference.

use super::elementwise::Elementwise;
use super::{Kind, Pass, Spec};
use crate::args::{required, ArgSpec, Args, UNIT};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `Dropout` layer.
pub struct Dropout;

impl Kind for Dropout {
    fn names(&self) -> &'static [&'static str] {
        &["Dropout"]
    }
    fn class(&self) -> &'static str {
        "Dropout"
    }
    fn auto_name(&self) -> &'static str {
        "dropout"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[required("rate", UNIT)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Elementwise { ty: "Dropout", args: vec![args.float("rate", 0.0)], pass: Pass::Dropout })
    }
}
