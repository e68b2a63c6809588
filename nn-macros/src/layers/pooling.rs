//! Keras's poolings (channels last), on sequences and images:
//! `MaxPooling1D/2D` and `AveragePooling1D/2D` (`pool_size` 2 by default,
//! `strides` the pool size, `valid` or `same` padding), and
//! `GlobalMaxPooling1D/2D` / `GlobalAveragePooling1D/2D` (one window the
//! size of the input; `keepdims` keeps the `(1, channels)` or `(1, 1,
//! channels)` shape). A 1-D pooling is the 2-D one with height 1.

use proc_macro2::TokenStream;
use quote::quote;

use super::window::{spatial, Placed, Window};
use super::{Io, Kind, Spec};
use crate::args::{arg, positional, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::{product, Dim};
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
        // `strides` default to the pool size.
        let window = if self.one_d {
            let size = args.single("pool_size", 2);
            let strides = if args.has("strides") { args.single("strides", 1) } else { size.clone() };
            Window::one(size, strides, Dim::Lit(1), args.padding("padding"))
        } else {
            let size = args.pair("pool_size", [2, 2]);
            let strides = if args.has("strides") { args.pair("strides", [1, 1]) } else { size.clone() };
            Window::two(size, strides, [Dim::Lit(1), Dim::Lit(1)], args.padding("padding"))
        };
        Box::new(Pool {
            ty: self.ty,
            global: self.global.then(|| args.flag("keepdims", false)),
            window,
            placed: std::cell::OnceCell::new(),
        })
    }
}

/// A pooling with its window, placed once the shape is known.
struct Pool {
    ty: &'static str,
    /// For a global pooling, whether it keeps the `(1, 1, channels)` shape.
    global: Option<bool>,
    /// The window as declared (a global pooling's is its input's size, known
    /// once placed: only `one_d` is read of this one).
    window: Window,
    /// The window on the input (a global pooling's the size of the input), once the shape is known.
    placed: std::cell::OnceCell<(Window, Placed)>,
}

impl Pool {
    fn placed(&self) -> &(Window, Placed) {
        self.placed.get().expect("the shape is checked before the layer expands")
    }
}

impl Spec for Pool {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let placed = match self.global {
            // One window over the whole input.
            Some(_) => spatial(input, self.window.one_d, decl, name, cx).map(|[h, w, c]| {
                let (size, one, zero) =
                    ([h.clone(), w.clone()], [Dim::Lit(1), Dim::Lit(1)], [Dim::Lit(0), Dim::Lit(0)]);
                let one_d = self.window.one_d;
                let window =
                    Window { one_d, size: size.clone(), strides: size, dilation: one.clone(), padding: "valid" };
                (window, Placed { one_d, input: [h, w, c], pad: zero, output: one })
            }),
            None => self.window.place(input, decl, name, "pool", cx).map(|p| (self.window.clone(), p)),
        };
        let Some((window, p)) = placed else { return input.to_vec() };
        let c = p.input[2].clone();
        let out = match self.global {
            Some(false) => vec![c],
            Some(true) | None => p.shape(&c),
        };
        let _ = self.placed.set((window, p));
        out
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let (_, p) = self.placed();
        let (i, o) = (io.width_in(), product(&[p.positions(), p.input[2].clone()]).tokens());
        let t = syn::Ident::new(self.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::#t<{ #i }, { #o }>)
    }
    fn init(&self, _: &Io) -> TokenStream {
        let (w, p) = self.placed();
        let g = p.geometry(w, &p.input[2]);
        let t = syn::Ident::new(self.ty, proc_macro2::Span::call_site());
        quote!(::nn::layers::#t::new(#g))
    }
}
