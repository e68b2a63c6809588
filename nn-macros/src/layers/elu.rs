//! Keras's `ELU` layer: `x` above 0, `alpha · (exp(x) - 1)` below.

use super::elementwise::Elementwise;
use super::{Kind, Pass, Spec};
use crate::args::{positional, ArgSpec, Args, NON_NEG};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `ELU` layer.
pub struct Elu;

impl Kind for Elu {
    fn names(&self) -> &'static [&'static str] {
        &["ELU"]
    }
    fn class(&self) -> &'static str {
        "ELU"
    }
    fn auto_name(&self) -> &'static str {
        "elu"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[positional("alpha", NON_NEG)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Elementwise { ty: "Elu", args: vec![args.float("alpha", 1.0)], pass: Pass::Compute })
    }
}
