//! One error context for a declaration, as serde_derive's `Ctxt`: every
//! mistake (a `syn::Error` at its token) and every deferred compile-time
//! assertion (for sizes given as const items) is collected here, and the
//! whole is checked once, at the end. Dropping a context that was never
//! checked is a bug of the macro, caught in its tests.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// Mistakes and deferred assertions of one `sequential!` input.
pub struct Ctxt {
    errors: Vec<syn::Error>,
    asserts: Vec<TokenStream>,
    /// The assertions already recorded, by their text, so that one is emitted once.
    seen: HashSet<String>,
    checked: bool,
}

impl Ctxt {
    /// An empty context.
    pub fn new() -> Self {
        Ctxt { errors: Vec::new(), asserts: Vec::new(), seen: HashSet::new(), checked: false }
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

    /// A compile-time assertion for what only the compiler can see
    /// (`const _: () = assert!(..);`), emitted with the model.
    pub fn assert(&mut self, tokens: TokenStream) {
        if self.seen.insert(tokens.to_string()) {
            self.asserts.push(tokens);
        }
    }

    /// Whether any mistake was found so far.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Ends the check: the assertions to emit, or every mistake as one error.
    pub fn check(mut self) -> Result<Vec<TokenStream>, syn::Error> {
        self.checked = true;
        let errors = std::mem::take(&mut self.errors);
        match errors.into_iter().reduce(|mut a, b| {
            a.combine(b);
            a
        }) {
            Some(e) => Err(e),
            None => Ok(std::mem::take(&mut self.asserts)),
        }
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !self.checked && !std::thread::panicking() {
            panic!("nn-macros bug: an error context was dropped without being checked");
        }
    }
}
