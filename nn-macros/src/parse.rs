//! Syntax of a `sequential!` declaration: `struct Name { Layer[dims](args), ... }`.
//!
//! Parsing is lenient (every argument is an expression); what the arguments
//! mean is decided in `check.rs`, so that every mistake is reported at once.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, parenthesized, token, Attribute, Expr, Ident, Token, Visibility};

/// The struct head: what the fallback needs to still emit the struct.
pub struct Head {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    /// The braced layer list, parsed separately so that a mistake inside it
    /// still leaves the struct's name known.
    pub body: TokenStream,
}

/// One layer as written: `Kind[dims](args)`.
pub struct LayerDecl {
    pub kind: Ident,
    pub shape: Option<ShapeDecl>,
    pub args: Vec<Arg>,
    pub paren_span: Option<Span>,
}

/// A bracketed shape: `[28, 28]`.
pub struct ShapeDecl {
    pub bracket: token::Bracket,
    pub dims: Vec<Expr>,
}

/// One argument: `units`, `he_normal`, `activation = relu`.
pub enum Arg {
    Positional(Expr),
    Keyword { name: Ident, value: Expr },
}

impl Parse for Head {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let ident: Ident = input.parse()?;
        let content;
        let brace = syn::braced!(content in input);
        let body: TokenStream = content.parse()?;
        if !input.is_empty() {
            return Err(input.error("expected a single model declaration: `struct Name { ... }`"));
        }
        let _ = brace;
        Ok(Head { attrs, vis, ident, body })
    }
}

/// The layer list inside the braces.
pub struct Layers(pub Vec<LayerDecl>);

impl Parse for Layers {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let list = Punctuated::<LayerDecl, Token![,]>::parse_terminated(input)?;
        Ok(Layers(list.into_iter().collect()))
    }
}

impl Parse for LayerDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let kind: Ident = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected a layer, such as `Dense(10)`, `BatchNorm` or `Flatten[28, 28]`")
        })?;
        let shape = if input.peek(token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let dims = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
            Some(ShapeDecl { bracket, dims: dims.into_iter().collect() })
        } else {
            None
        };
        let (args, paren_span) = if input.peek(token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            let list = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
            (list.into_iter().map(Arg::from).collect(), Some(paren.span.join()))
        } else {
            (Vec::new(), None)
        };
        if !(input.is_empty() || input.peek(Token![,])) {
            return Err(input.error("expected `,` between layers"));
        }
        Ok(LayerDecl { kind, shape, args, paren_span })
    }
}

impl From<Expr> for Arg {
    fn from(e: Expr) -> Self {
        if let Expr::Assign(a) = &e {
            if let Some(name) = single_ident(&a.left) {
                return Arg::Keyword { name, value: (*a.right).clone() };
            }
        }
        Arg::Positional(e)
    }
}

/// The identifier of an expression that is exactly one, such as `he_normal`.
pub fn single_ident(e: &Expr) -> Option<Ident> {
    match e {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => p.path.get_ident().cloned(),
        _ => None,
    }
}
