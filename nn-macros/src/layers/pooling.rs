//! Keras's poolings (channels last), on sequences and images:
//! `MaxPooling1D/2D` and `AveragePooling1D/2D` (`pool_size` 2 by default,
//! `strides` the pool size, `valid` or `same` padding), and
//! `GlobalMaxPooling1D/2D` / `GlobalAveragePooling1D/2D` (one window the
//! size of the input; `keepdims` keeps the `(1, channels)` or `(1, 1,
//! channels)` shape). A 1-D pooling is the 2-D one with height 1.

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
    /// Whether it pools a sequence `(steps, channels)` (else an image).
    one_d: bool,
}

/// Keras's `MaxPooling2D` (alias `MaxPool2D`).
pub const MAX_POOLING_2D: Pooling = Pooling {
    names: &["MaxPooling2D", "MaxPool2D"],
    auto_name: "max_pooling2d",
    ty: "MaxPooling2D",
    global: false,
    one_d: false,
};
/// Keras's `AveragePooling2D` (alias `AvgPool2D`).
pub const AVERAGE_POOLING_2D: Pooling = Pooling {
    names: &["AveragePooling2D", "AvgPool2D"],
    auto_name: "average_pooling2d",
    ty: "AveragePooling2D",
    global: false,
    one_d: false,
};
/// Keras's `GlobalMaxPooling2D` (alias `GlobalMaxPool2D`).
pub const GLOBAL_MAX_POOLING_2D: Pooling = Pooling {
    names: &["GlobalMaxPooling2D", "GlobalMaxPool2D"],
    auto_name: "global_max_pooling2d",
    ty: "MaxPooling2D",
    global: true,
    one_d: false,
};
/// Keras's `GlobalAveragePooling2D` (alias `GlobalAvgPool2D`).
pub const GLOBAL_AVERAGE_POOLING_2D: Pooling = Pooling {
    names: &["GlobalAveragePooling2D", "GlobalAvgPool2D"],
    auto_name: "global_average_pooling2d",
    ty: "AveragePooling2D",
    global: true,
    one_d: false,
};
/// Keras's `MaxPooling1D` (alias `MaxPool1D`).
pub const MAX_POOLING_1D: Pooling = Pooling {
    names: &["MaxPooling1D", "MaxPool1D"],
    auto_name: "max_pooling1d",
    ty: "MaxPooling2D",
    global: false,
    one_d: true,
};
/// Keras's `AveragePooling1D` (alias `AvgPool1D`).
pub const AVERAGE_POOLING_1D: Pooling = Pooling {
    names: &["AveragePooling1D", "AvgPool1D"],
    auto_name: "average_pooling1d",
    ty: "AveragePooling2D",
    global: false,
    one_d: true,
};
/// Keras's `GlobalMaxPooling1D` (alias `GlobalMaxPool1D`).
pub const GLOBAL_MAX_POOLING_1D: Pooling = Pooling {
    names: &["GlobalMaxPooling1D", "GlobalMaxPool1D"],
    auto_name: "global_max_pooling1d",
    ty: "MaxPooling2D",
    global: true,
    one_d: true,
};
/// Keras's `GlobalAveragePooling1D` (alias `GlobalAvgPool1D`).
pub const GLOBAL_AVERAGE_POOLING_1D: Pooling = Pooling {
    names: &["GlobalAveragePooling1D", "GlobalAvgPool1D"],
    auto_name: "global_average_pooling1d",
    ty: "AveragePooling2D",
    global: true,
    one_d: true,
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
        const WINDOWED_1D: &[ArgSpec] =
            &[positional("pool_size", Ty::Single), arg("strides", Ty::Single), arg("padding", Ty::Padding)];
        const GLOBAL: &[ArgSpec] = &[arg("keepdims", Ty::Bool)];
        match (self.global, self.one_d) {
            (true, _) => GLOBAL,
            (false, true) => WINDOWED_1D,
            (false, false) => WINDOWED,
        }
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        let window = if self.one_d {
            let size = args.single("pool_size", 2);
            Window::one(size, args.single("strides", size), 1, args.padding("padding"))
        } else {
            let size = args.pair("pool_size", [2, 2]);
            Window::two(size, args.pair("strides", size), [1, 1], args.padding("padding"))
        };
        Box::new(Pool {
            ty: self.ty,
            global: self.global.then(|| args.flag("keepdims", false)),
            window: std::cell::Cell::new(window),
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
            // One window over the whole input.
            match (self.window.get().one_d, input) {
                (false, [Dim::Lit(h), Dim::Lit(w), _]) => {
                    self.window.set(Window::two([*h, *w], [*h, *w], [1, 1], "valid"))
                }
                (true, [Dim::Lit(n), _]) => self.window.set(Window::one(*n, *n, 1, "valid")),
                _ => {}
            }
        }
        let Some(p) = self.window.get().place(input, decl, name, "pool", cx) else { return input.to_vec() };
        let c = p.input[2];
        let out = match self.global {
            Some(false) => vec![Dim::Lit(c)],
            Some(true) | None => p.shape(c),
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
