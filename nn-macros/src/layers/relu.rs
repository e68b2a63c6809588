//! Keras's `ReLU` layer: `max(x, 0)` with Keras's `max_value` (a ceiling),
//! `negative_slope` (below `threshold`) and `threshold`.

use quote::quote;

use super::elementwise::Elementwise;
use super::{Kind, Pass, Spec};
use crate::args::{positional, ArgSpec, Args, NON_NEG};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `ReLU` layer.
pub struct Relu;

impl Kind for Relu {
    fn names(&self) -> &'static [&'static str] {
        &["ReLU"]
    }
    fn class(&self) -> &'static str {
        "ReLU"
    }
    fn auto_name(&self) -> &'static str {
        "re_lu"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[
            positional("max_value", NON_NEG),
            positional("negative_slope", NON_NEG),
            positional("threshold", NON_NEG),
        ];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        // Keras's `max_value = None`: no ceiling.
        let max_value = if args.has("max_value") { args.float("max_value", 0.0) } else { quote!(f32::INFINITY) };
        let (slope, threshold) = (args.float("negative_slope", 0.0), args.float("threshold", 0.0));
        Box::new(Elementwise { ty: "Relu", args: vec![max_value, slope, threshold], pass: Pass::Compute })
    }
}
