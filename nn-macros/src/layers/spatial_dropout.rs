//! Keras's `SpatialDropout1D` and `SpatialDropout2D` (channels last): in
//! training, whole channels dropped (one draw per sample and channel, for
//! every step or pixel), the rest scaled by `1 / (1 - rate)`; identity at
//! inference.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Io, Kind, Pass, Spec};
use crate::args::{required, ArgSpec, Args, UNIT};
use crate::ctxt::Ctxt;
use crate::dims::{show_shape, Dim};
use crate::parse::LayerDecl;

/// One of Keras's spatial dropouts.
pub struct SpatialDropout {
    names: &'static [&'static str],
    auto_name: &'static str,
    /// Whether it takes sequences `(steps, channels)` (else images).
    one_d: bool,
}

/// Keras's `SpatialDropout1D`.
pub const SPATIAL_DROPOUT_1D: SpatialDropout =
    SpatialDropout { names: &["SpatialDropout1D"], auto_name: "spatial_dropout1d", one_d: true };
/// Keras's `SpatialDropout2D`.
pub const SPATIAL_DROPOUT_2D: SpatialDropout =
    SpatialDropout { names: &["SpatialDropout2D"], auto_name: "spatial_dropout2d", one_d: false };

impl Kind for SpatialDropout {
    fn names(&self) -> &'static [&'static str] {
        self.names
    }
    fn class(&self) -> &'static str {
        self.names[0]
    }
    fn auto_name(&self) -> &'static str {
        self.auto_name
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[required("rate", UNIT)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        Box::new(Channels { rate: args.float("rate", 0.0), one_d: self.one_d })
    }
}

/// A spatial dropout with its rate.
struct Channels {
    rate: TokenStream,
    one_d: bool,
}

impl Spec for Channels {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let kind = decl.kind.to_string();
        let (rank, what) = match self.one_d {
            true => (2, "sequences (None, steps, channels)"),
            false => (3, "images (None, height, width, channels)"),
        };
        if input.len() != rank {
            let fix = match (self.one_d, input) {
                (true, [n]) => format!("write `Input[{}, 1]` or `Reshape[{}, 1]` before it", n.show(), n.show()),
                (true, [_, _, _]) => "use `SpatialDropout2D` on an image".to_string(),
                (false, [_, _]) => "use `SpatialDropout1D` on a sequence".to_string(),
                (true, _) => "write a `Reshape[steps, channels]` before it".to_string(),
                (false, _) => "write a `Reshape[h, w, c]` before it".to_string(),
            };
            cx.error(
                decl.kind.span(),
                format!(
                    "layer `{name}` (`{kind}`) takes {what}, but the layer before it outputs {}; {fix}",
                    show_shape(input)
                ),
            );
        }
        input.to_vec()
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let (n, c) = (io.width_in(), io.features_in().tokens());
        quote!(::nn::layers::SpatialDropout<{ #n }, { #c }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let rate = &self.rate;
        quote!(::nn::layers::SpatialDropout::new(#rate))
    }
    fn pass(&self) -> Pass {
        Pass::Dropout
    }
}
