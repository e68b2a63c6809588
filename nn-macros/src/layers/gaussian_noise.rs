//! Keras's `GaussianNoise`: adds N(0, stddev²) noise in training, identity at inference.

use super::elementwise::Elementwise;
use super::{Kind, Pass, Spec};
use crate::args::{required, ArgSpec, Args, NON_NEG};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// Keras's `GaussianNoise` layer.
pub struct GaussianNoise;

impl Kind for GaussianNoise {
    fn names(&self) -> &'static [&'static str] {
        &["GaussianNoise"]
    }
    fn class(&self) -> &'static str {
        "GaussianNoise"
    }
    fn auto_name(&self) -> &'static str {
        "gaussian_noise"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[required("stddev", NON_NEG)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Elementwise { ty: "GaussianNoise", args: vec![args.float("stddev", 0.0)], pass: Pass::TrainOnly })
    }
}
