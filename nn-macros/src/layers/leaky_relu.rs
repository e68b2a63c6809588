//! Keras's `LeakyReLU` layer: `x` above 0, `alpha · x` below (alpha 0.3 by default).

use super::elementwise::Elementwise;
use super::{Kind, Pass, Spec};
use crate::args::{positional, ArgSpec, Args, NON_NEG};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `LeakyReLU` layer.
pub struct LeakyRelu;

impl Kind for LeakyRelu {
    fn names(&self) -> &'static [&'static str] {
        &["LeakyReLU"]
    }
    fn class(&self) -> &'static str {
        "LeakyReLU"
    }
    fn auto_name(&self) -> &'static str {
        "leaky_re_lu"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[ArgSpec { aliases: &["negative_slope"], ..positional("alpha", NON_NEG) }];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Elementwise { ty: "LeakyRelu", args: vec![args.float("alpha", 0.3)], pass: Pass::Compute })
    }
}
