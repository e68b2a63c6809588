//! Keras's `Conv2D` (channels last): `filters` kernels of `kernel_size`
//! slid over the image with `strides`, `dilation_rate`, `valid`/`same`
//! padding and `groups`, then the bias and the activation. The layer it
//! builds ([`Conv`]) is also `Conv1D`'s, on a window of height 1.

use proc_macro2::TokenStream;
use quote::quote;

use super::kernel_bias::KernelBias;
use super::window::{Placed, Window};
use super::{Io, Kind, Spec, Streams, Weight};
use crate::args::{arg, positional, required, ArgSpec, Args, Ty};
use crate::ctxt::Ctxt;
use crate::dims::{product, Dim};
use crate::parse::LayerDecl;
use crate::sizes::{self, Check};
use crate::vocab::Act;

/// Keras's `Conv2D` (alias `Convolution2D`).
pub struct Conv2D;

impl Kind for Conv2D {
    fn names(&self) -> &'static [&'static str] {
        &["Conv2D", "Convolution2D"]
    }
    fn class(&self) -> &'static str {
        "Conv2D"
    }
    fn auto_name(&self) -> &'static str {
        "conv2d"
    }
    fn args(&self) -> &'static [ArgSpec] {
        const ARGS: &[ArgSpec] = &[
            required("filters", Ty::Size),
            required("kernel_size", Ty::Pair),
            positional("activation", Ty::Activation),
            arg("strides", Ty::Pair),
            arg("padding", Ty::Padding),
            arg("dilation_rate", Ty::Pair),
            arg("groups", Ty::Int),
            arg("use_bias", Ty::Bool),
            positional("kernel_initializer", Ty::Initializer),
            arg("bias_initializer", Ty::Initializer),
            arg("kernel_regularizer", Ty::Regularizer),
            arg("bias_regularizer", Ty::Regularizer),
            arg("kernel_constraint", Ty::Constraint),
            arg("bias_constraint", Ty::Constraint),
        ];
        ARGS
    }
    fn build(&self, _: &LayerDecl, args: &Args, _: &mut Ctxt) -> Box<dyn Spec> {
        let window = Window::two(
            args.pair("kernel_size", [1, 1]),
            args.pair("strides", [1, 1]),
            args.pair("dilation_rate", [1, 1]),
            args.padding("padding"),
        );
        Box::new(Conv::new(args, window))
    }
}

/// A convolution layer's arguments (Conv1D's or Conv2D's), Keras's defaults filled in.
pub(super) struct Conv {
    filters: Dim,
    groups: Dim,
    /// Where `groups` was written, for its error.
    groups_span: Option<proc_macro2::Span>,
    window: Window,
    activation: &'static Act,
    tensors: KernelBias,
    /// The window on the input, once the shape is known.
    placed: std::cell::OnceCell<Placed>,
}

impl Conv {
    /// The layer of `args` (`filters`, `groups`, the activation and the
    /// kernel-and-bias arguments) sliding `window`.
    pub fn new(args: &Args, window: Window) -> Self {
        Conv {
            filters: args.size("filters"),
            groups: args.single("groups", 1),
            groups_span: args.span("groups"),
            window,
            activation: args.activation("activation"),
            tensors: KernelBias::new(args),
            placed: std::cell::OnceCell::new(),
        }
    }
    fn placed(&self) -> &Placed {
        self.placed.get().expect("the shape is checked before the layer expands")
    }
    /// Keras's kernel shape: `[k, in / groups, filters]` or `[kh, kw, in / groups, filters]`.
    fn kernel_shape(&self) -> Vec<Dim> {
        let p = self.placed();
        let mut k = p.kernel(&self.window);
        k.extend([sizes::per_group(&p.input[2], &self.groups), self.filters.clone()]);
        k
    }
    /// The runtime `ConvGeometry`, grouped when `groups` is above 1.
    fn geometry(&self) -> TokenStream {
        let g = self.placed().geometry(&self.window, &self.filters);
        match &self.groups {
            Dim::Lit(1) => g,
            n => {
                let n = n.tokens();
                quote!(#g.grouped(#n))
            }
        }
    }
    /// Keras's rule: `groups` divides both the input's channels and the filters.
    fn check_groups(&self, channels: &Dim, decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> bool {
        let (g, f) = (&self.groups, &self.filters);
        let span = self.groups_span.unwrap_or(decl.kind.span());
        let kind = decl.kind.to_string();
        let (divides_c, divides_f) = (sizes::divides(channels, g), sizes::divides(f, g));
        let (Check::Known(divides_c), Check::Known(divides_f)) = (&divides_c, &divides_f) else {
            // A const size among them: each rule asserted on its own.
            let (c, g, f) = (channels.show(), g.show(), f.show());
            let rule = |what: &str| {
                format!(
                    "layer `{name}` (`{kind}`): `groups = {g}` does not divide {what} (Keras splits both into the groups); use a `groups` that divides {c} and {f}"
                )
            };
            let channels_ok = cx.require(divides_c, span, || rule(&format!("the input's {c} channels")));
            return cx.require(divides_f, span, || rule(&format!("the {f} filters"))) && channels_ok;
        };
        if *divides_c && *divides_f {
            return true;
        }
        let (Dim::Lit(channels), Dim::Lit(g), Dim::Lit(f)) = (channels, g, f) else { return false };
        let (mut a, mut b) = (*channels, *f);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        // The common divisors (the first few), which are the valid `groups`.
        let fits: Vec<String> =
            (1..=a.min(1000)).filter(|d| a.is_multiple_of(*d)).take(8).map(|d| d.to_string()).collect();
        let what = match (divides_c, divides_f) {
            (false, false) => format!("the input's {channels} channels nor the {f} filters"),
            (false, true) => format!("the input's {channels} channels"),
            _ => format!("the {f} filters"),
        };
        cx.error(
            span,
            format!(
                "layer `{name}` (`{kind}`): `groups = {g}` does not divide {what} (Keras splits both into the groups); use a `groups` that divides {channels} and {f}: {}",
                fits.join(", ")
            ),
        );
        false
    }
}

impl Spec for Conv {
    fn output(&self, input: &[Dim], decl: &LayerDecl, name: &str, cx: &mut Ctxt) -> Vec<Dim> {
        let fallback = |one_d: bool| match one_d {
            true => vec![Dim::Lit(1), self.filters.clone()],
            false => vec![Dim::Lit(1), Dim::Lit(1), self.filters.clone()],
        };
        let Some(p) = self.window.place(input, decl, name, "kernel", cx) else { return fallback(self.window.one_d) };
        if !self.check_groups(&p.input[2], decl, name, cx) {
            return fallback(self.window.one_d);
        }
        let out = p.shape(&self.filters);
        let _ = self.placed.set(p);
        out
    }
    fn weights(&self, _: &Io) -> Vec<Weight> {
        if self.placed.get().is_none() {
            return Vec::new();
        }
        self.tensors.weights(self.kernel_shape(), self.filters.clone())
    }
    fn ty(&self, io: &Io) -> TokenStream {
        let p = self.placed();
        let i = io.width_in();
        let o = product(&[p.positions(), self.filters.clone()]).tokens();
        let [kh, kw] = self.window.size.clone();
        let cols = product(&[p.positions(), kh, kw, p.input[2].clone()]).tokens();
        let a = syn::Ident::new(self.activation.ty, proc_macro2::Span::call_site());
        if self.streams() != Streams::Step {
            return quote!(::nn::layers::Conv2D<{ #i }, { #o }, { #cols }, ::nn::activations::#a>);
        }
        // A causal Conv1D of stride 1 steps through time: the input's
        // channels a step, `dilation · (kernel_size − 1)` steps kept.
        let (c, k, d) = (p.input[2].tokens(), self.window.size[1].tokens(), self.window.dilation[1].tokens());
        let history = quote!((#d) * ((#k) - 1) * (#c));
        quote!(::nn::layers::Conv2D<{ #i }, { #o }, { #cols }, ::nn::activations::#a, { #c }, { #history }>)
    }
    /// A `causal` Conv1D of stride 1 runs one time step at a time.
    fn streams(&self) -> Streams {
        match (self.window.padding, &self.window.strides[1]) {
            ("causal", Dim::Lit(1)) => Streams::Step,
            ("causal", s) => Streams::Blocked(format!("its strides ({}) skip time steps", s.show())),
            _ if self.window.one_d => {
                Streams::No("it needs the whole input at once (a `causal` Conv1D of stride 1 streams)".into())
            }
            _ => Streams::No("it needs the whole input at once".into()),
        }
    }
    fn init(&self, _: &Io) -> TokenStream {
        let shapes = KernelBias::shapes(&[self.kernel_shape()], &self.filters);
        let (g, init) = (self.geometry(), self.tensors.initializers());
        quote!(::nn::layers::Conv2D::new(#g, #shapes, #init, &mut rng))
    }
    fn over_weights(&self, _: &Io, weights: &[TokenStream]) -> TokenStream {
        let (g, params) = (self.geometry(), KernelBias::params(weights));
        quote!(::nn::layers::Conv2D::from_params(#g, #params))
    }
    fn ends_in_softmax(&self) -> bool {
        self.activation.is_softmax()
    }
}
