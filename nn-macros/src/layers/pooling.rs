//! Keras's 2-D poolings (channels last): `MaxPooling2D` and
//! `AveragePooling2D` (`pool_size` 2 by default, `strides` the pool size,
//! `valid` or `same` padding), and `GlobalMaxPooling2D` /
//! `GlobalAveragePooling2D` (one window the size of the image; `keepdims`
//! keeps the `(1, 1, channels)` shape).

use proc_macro2::TokenStream;
use quote::quote;

use super::window::{Placed, Window};
use super::{Io, Kind, Spec};
use crate::args::{arg, positional, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::LayerDecl;

/// A pooling kind: Keras's names, and whether it is global and a maximum.
pub struct Pooling {
    names: &'static [&'static str],
    auto_name: &'static str,
    /// The runtime type (`MaxPooling2D` or `AveragePooling2D`).
    ty: &'static str,
    global: bool,
}

/// Keras's `MaxPooling2D` (alias `MaxPool2D`).
pub const MAX_POOLING_2D: Pooling =
    Pooling { names: &["MaxPooling2D", "MaxPool2D"], auto_name: "max_pooling2d", ty: "MaxPooling2D", global: false };
/// Keras's `AveragePooling2D` (alias `AvgPool2D`).
pub const AVERAGE_POOLING_2D: Pooling = Pooling {
    names: &["AveragePooling2D", "AvgPool2D"],
    auto_name: "average_pooling2d",
    ty: "AveragePooling2D",
    global: false,
};
/// Keras's `GlobalMaxPooling2D` (alias `GlobalMaxPool2D`).
pub const GLOBAL_MAX_POOLING_2D: Pooling = Pooling {
    names: &["GlobalMaxPooling2D", "GlobalMaxPool2D"],
    auto_name: "global_max_pooling2d",
    ty: "MaxPooling2D",
    global: true,
};
/// Keras's `GlobalAveragePooling2D` (alias `GlobalAvgPool2D`).
pub const GLOBAL_AVERAGE_POOLING_2D: Pooling = Pooling {
    names: &["GlobalAveragePooling2D", "GlobalAvgPool2D"],
    auto_name: "global_average_pooling2d",
    ty: "AveragePooling2D",
    global: true,
};

impl Kind for Pooling {
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
        const WINDOWED: &[ArgSpec] =
            &[positional("pool_size", Ty::Pair), arg("strides", Ty::Pair), arg("padding", Ty::Padding)];
        const GLOBAL: &[ArgSpec] = &[arg("keepdims", Ty::Bool)];
        if self.global {
            GLOBAL
        } else {
            WINDOWED
        }
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        let size = args.pair("pool_size", [2, 2]);
        Box::new(Pool {
            ty: self.ty,
            global: self.global.then(|| args.flag("keepdims", false)),
            window: std::cell::Cell::new(Window {
                size,
                strides: args.pair("strides", size),
                dilation: [1, 1],
                padding: args.padding("padding"),
            }),
            placed: std::cell::OnceCell::new(),
        })
    }
}

/// A pooling with its window, placed once the shape is known.
struct Pool {
    ty: &'static str,
    /// For a global pooling, whether it keeps the `(1, 1, channels)` shape.
    global: Option<bool>,
    window: std::cell::Cell<Window>,
    placed: std::cell::OnceCell<Placed>,
}

impl Pool {
    fn placed(&self) -> &Placed {
        self.placed.get().expect("the shape is checked before the layer expands")
    }
}

impl Spec for Pool {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        if self.global.is_some() {
            // One window over the whole image.
            if let [Dim::Lit(h), Dim::Lit(w), _] = input {
                let whole = [*h, *w];
                self.window.set(Window { size: whole, strides: whole, dilation: [1, 1], padding: "valid" });
            }
        }
        let Some(p) = self.window.get().place(input, decl, name, "pool", cx) else { return input.to_vec() };
        let c = Dim::Lit(p.input[2]);
        let out = match self.global {
            Some(false) => vec![c],
            Some(true) => vec![Dim::Lit(1), Dim::Lit(1), c],
            None => vec![Dim::Lit(p.output[0]), Dim::Lit(p.output[1]), c],
        };
        let _ = self.placed.set(p);
        out
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let (i, o) = (io.width_in(), proc_macro2::Literal::u64_unsuffixed(p.output[0] * p.output[1] * p.input[2]));
        let t = syn::Ident::new(self.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::#t<{ #i }, { #o }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let p = self.placed();
        let g = p.geometry(&self.window.get(), p.input[2]);
        let t = syn::Ident::new(self.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::#t::new(#g))
    }
}
