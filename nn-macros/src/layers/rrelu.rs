//! PyTorch's `RReLU` (Keras lacks it; the seed book recommends it): a slope
//! drawn uniformly from `[lower, upper]` per value in training, their mean
//! at inference.

use super::elementwise::Elementwise;
use super::{Kind, Pass, Spec};
use crate::args::{arg, ArgSpec, Args, UNIT_CLOSED};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// PyTorch's `RReLU`.
pub struct RRelu;

impl Kind for RRelu {
    fn names(&self) -> &'static [&'static str] {
        &["RReLU"]
    }
    fn class(&self) -> &'static str {
        "RReLU"
    }
    fn auto_name(&self) -> &'static str {
        "r_re_lu"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[arg("lower", UNIT_CLOSED), arg("upper", UNIT_CLOSED)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, cx: &mut Ctxt) -> Box<dyn Spec> {
        if let (Some(lo), Some(hi), Some(at)) =
            (args.float_value("lower"), args.float_value("upper"), args.span("upper"))
        {
            if lo > hi {
                cx.error(at, format!("`upper` ({hi:?}) of `RReLU` must not be below `lower` ({lo:?}); swap them"));
            }
        }
        let (lower, upper) = (args.float("lower", 0.125), args.float("upper", 1.0 / 3.0));
        Box::new(Elementwise { ty: "RRelu", args: vec![lower, upper], pass: Pass::Compute })
    }
}
