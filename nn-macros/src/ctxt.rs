//! One error context for a declaration, as serde_derive's `Ctxt`: every
//! mistake (a `syn::Error` at its token) and every deferred compile-time
//! assertion (for sizes given as const items) is collected here, and the
//! whole is checked once, at the end. Dropping a context that was never
//! checked is a bug of the macro, caught in its tests.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

use crate::dims::Dim;
use crate::sizes::Check;

/// Mistakes and deferred assertions of one `sequential!` input.
pub struct Ctxt {
    errors: Vec<syn::Error>,
    asserts: Vec<TokenStream>,
    /// The assertions already recorded, by their text, so that one is emitted once.
    seen: HashSet<String>,
    /// `const` items for sizes given as const expressions, beside the struct.
    items: Vec<TokenStream>,
    /// Each item's name, by the expression it holds (written once, named at every use).
    item_names: HashMap<String, syn::Ident>,
    /// What names those items: the struct's name.
    model: syn::Ident,
    /// Automatic layer names given so far, per prefix.
    counters: HashMap<&'static str, usize>,
    /// The layer before the one being checked, for its shape rule's messages.
    before: Option<Before>,
    checked: bool,
}

/// What a layer's shape rule is told of the layer before it (none for the first).
#[derive(Clone)]
pub struct Before {
    /// Its name (`lstm`).
    pub name: String,
    /// When it outputs only the last step of a sequence, how to make it
    /// output every step ("give it `return_sequences = true`").
    pub keep_sequence: Option<String>,
}

/// What a context holds once checked without mistakes.
pub struct Checked {
    /// The compile-time assertions, for the expansion's anonymous `const` block.
    pub asserts: Vec<TokenStream>,
    /// The size items, beside the struct.
    pub items: Vec<TokenStream>,
}

impl Ctxt {
    /// An empty context for the model named `model`.
    pub fn new(model: &syn::Ident) -> Self {
        Ctxt {
            errors: Vec::new(),
            asserts: Vec::new(),
            seen: HashSet::new(),
            items: Vec::new(),
            item_names: HashMap::new(),
            model: model.clone(),
            counters: HashMap::new(),
            before: None,
            checked: false,
        }
    }

    /// A `usize` const item holding the size expression `e` (emitted beside
    /// the struct, once for every use of the same expression, so that a
    /// mistyped const is one error, at its first use), and its name for the
    /// rest of the expansion.
    pub fn size_item(&mut self, e: &syn::Expr) -> syn::Ident {
        self.item(e.to_token_stream(), syn::spanned::Spanned::span(e))
    }

    /// `dims` with each size computed from const items (`sizes::valid(H, K,
    /// 1, 1)`) held in a `usize` item of its own, as [`Ctxt::size_item`]'s,
    /// so that the layers after name it instead of repeating its expression.
    pub fn named(&mut self, dims: Vec<Dim>) -> Vec<Dim> {
        dims.into_iter()
            .map(|d| match d {
                Dim::Sym(t, shown) if syn::parse2::<syn::Ident>(t.clone()).is_err() => {
                    let id = self.item(t, Span::call_site());
                    Dim::sym(quote::quote!(#id), shown)
                }
                d => d,
            })
            .collect()
    }

    /// The item holding `value` (one per expression), at `span`.
    fn item(&mut self, value: TokenStream, span: Span) -> syn::Ident {
        let text = value.to_string();
        if let Some(id) = self.item_names.get(&text) {
            return id.clone();
        }
        let id = quote::format_ident!("__NN_SIZE_{}_{}", self.model, self.items.len());
        self.items.push(quote::quote_spanned! {span=>
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            const #id: usize = #value;
        });
        self.item_names.insert(text, id.clone());
        id
    }

    /// Keras's automatic name for the next layer with this prefix, counted
    /// per prefix over the model in declaration order (`dense`, `dense_1`,
    /// ...; a layer inside `Bidirectional` counts too, as in Keras).
    pub fn auto_name(&mut self, prefix: &'static str) -> String {
        let n = self.counters.entry(prefix).or_insert(0);
        let name = if *n == 0 { prefix.to_string() } else { format!("{prefix}_{n}") };
        *n += 1;
        name
    }

    /// The layer before the one being checked, if any.
    pub fn before(&self) -> Option<&Before> {
        self.before.as_ref()
    }

    /// Records the layer before the next one to check.
    pub fn set_before(&mut self, before: Option<Before>) {
        self.before = before;
    }

    /// An error at `span`.
    pub fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, msg));
    }

    /// An error under all of `tokens` (`-0.1`, not only its `-`).
    pub fn spanned(&mut self, tokens: impl ToTokens, msg: impl std::fmt::Display) {
        self.errors.push(syn::Error::new_spanned(tokens, msg));
    }

    /// An error made elsewhere (by the parser).
    pub fn push(&mut self, e: syn::Error) {
        self.errors.push(e);
    }

    /// A compile-time assertion of `cond` for what only the compiler can
    /// see, failing with `msg` at `span` ([`assertion`]), emitted with the model.
    pub fn assert(&mut self, span: Span, cond: TokenStream, msg: &str) {
        let tokens = assertion(span, cond, msg);
        if self.seen.insert(tokens.to_string()) {
            self.asserts.push(tokens);
        }
    }

    /// Requires a condition on sizes, reported at `span` with `msg` (which
    /// names the sizes as [`crate::dims::Dim::show`] reads them): when the
    /// macro knows it is false, as an error, and the result is false; when
    /// only the compiler can tell, as a compile-time assertion.
    pub fn require(&mut self, check: Check, span: Span, msg: impl FnOnce() -> String) -> bool {
        match check {
            Check::Known(ok) => {
                if !ok {
                    self.error(span, msg());
                }
                ok
            }
            Check::Sym(cond) => {
                self.assert(span, cond, &msg());
                true
            }
        }
    }

    /// Whether any mistake was found so far.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Ends the check: what to emit, or every mistake as one error.
    pub fn check(mut self) -> Result<Checked, syn::Error> {
        self.checked = true;
        let errors = std::mem::take(&mut self.errors);
        match errors.into_iter().reduce(|mut a, b| {
            a.combine(b);
            a
        }) {
            Some(e) => Err(e),
            None => Ok(Checked { asserts: std::mem::take(&mut self.asserts), items: std::mem::take(&mut self.items) }),
        }
    }
}

/// `const _: () = assert!(cond, "msg");` at `span`: the compiler's error
/// there is `msg` (its braces escaped: `assert!` reads a format string, and
/// a message may show a const expression such as `{ 7 }`).
pub fn assertion(span: Span, cond: TokenStream, msg: &str) -> TokenStream {
    let msg = msg.replace('{', "{{").replace('}', "}}");
    quote::quote_spanned!(span=> const _: () = ::core::assert!(#cond, #msg);)
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !self.checked && !std::thread::panicking() {
            panic!("nn-macros bug: an error context was dropped without being checked");
        }
    }
}
