//! The book's Monte Carlo dropout (`class MCDropout(keras.layers.Dropout)`,
//! called with `training=True`): dropout that stays on at inference, so that
//! `predict_mc` can average many passes.

use super::elementwise::Elementwise;
use super::{Kind, Pass, Spec};
use crate::args::{required, ArgSpec, Args, UNIT};
use crate::ctxt::Ctxt;
use crate::parse::LayerDecl;

/// `MCDropout(rate)`: inverted dropout in training and at inference.
pub struct McDropout;

/// `MCAlphaDropout(rate)`: AlphaDropout in training and at inference.
pub struct McAlphaDropout;

const ARGS: &[ArgSpec] = &[required("rate", UNIT)];

impl Kind for McDropout {
    fn names(&self) -> &'static [&'static str] {
        &["MCDropout"]
    }
    fn class(&self) -> &'static str {
        "MCDropout"
    }
    fn auto_name(&self) -> &'static str {
        "mc_dropout"
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Elementwise { ty: "McDropout", args: vec![args.float("rate", 0.0)], pass: Pass::Compute })
    }
}

impl Kind for McAlphaDropout {
    fn names(&self) -> &'static [&'static str] {
        &["MCAlphaDropout"]
    }
    fn class(&self) -> &'static str {
        "MCAlphaDropout"
    }
    fn auto_name(&self) -> &'static str {
        "mc_alpha_dropout"
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Elementwise { ty: "McAlphaDropout", args: vec![args.float("rate", 0.0)], pass: Pass::Compute })
    }
}
