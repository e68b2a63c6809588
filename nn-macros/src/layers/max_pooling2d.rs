//! Keras's `MaxPooling2D` (channels last): the largest value of each
//! `pool_size` window, moved by `strides` (the pool size by default), with
//! `valid` or `same` padding.

use proc_macro2::TokenStream;
use quote::quote;

use super::window::{Placed, Window};
use super::{Io, Kind, Spec};
use crate::args::{arg, positional, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;

/// Keras's `MaxPooling2D` (alias `MaxPool2D`).
pub struct MaxPooling2D;

impl Kind for MaxPooling2D {
    fn names(&self) -> &'static [&'static str] {
        &["MaxPooling2D", "MaxPool2D"]
    }
    fn class(&self) -> &'static str {
        "MaxPooling2D"
    }
    fn auto_name(&self) -> &'static str {
        "max_pooling2d"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] =
            &[positional("pool_size", Ty::Pair), arg("strides", Ty::Pair), arg("padding", Ty::Padding)];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        let size = args.pair("pool_size", [2, 2]);
        Box::new(Pool {
            window: Window {
                size,
                strides: args.pair("strides", size),
                dilation: [1, 1],
                padding: args.padding("padding"),
            },
            placed: std::cell::OnceCell::new(),
        })
    }
}

/// A max pooling with its window, placed once the shape is known.
struct Pool {
    window: Window,
    placed: std::cell::OnceCell<Placed>,
}

impl Spec for Pool {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        match self.window.place(input, decl, name, "pool", cx) {
            Some(p) => {
                let out = vec![Dim::Lit(p.output[0]), Dim::Lit(p.output[1]), Dim::Lit(p.input[2])];
                let _ = self.placed.set(p);
                out
            }
            None => input.to_vec(),
        }
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed.get().expect("the shape is checked before the layer expands");
        let (i, o) = (io.width_in(), proc_macro2::Literal::u64_unsuffixed(p.output[0] * p.output[1] * p.input[2]));
        quote!(::nn::layers::MaxPooling2D<{ #i }, { #o }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let p = self.placed.get().expect("the shape is checked before the layer expands");
        let g = p.geometry(&self.window, p.input[2]);
        quote!(::nn::layers::MaxPooling2D::new(#g))
    }
}
