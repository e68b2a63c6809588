//! Syntax of a `sequential!` declaration: `struct Name { Layer[dims](args), ... }`.
//!
//! Parsing is lenient (every argument is an expression); what the arguments
//! mean is decided in `check.rs`, so that every mistake is reported at once.
//! Syntax mistakes are recovered from too: a malformed layer is recorded as
//! broken and parsing goes on at the next `,`, and a malformed struct head
//! still yields the struct's name, so the fallback can emit it.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{bracketed, parenthesized, token, Attribute, Expr, ExprLit, Ident, Lit, LitStr, Meta, Token, Visibility};

/// The struct head: what the fallback needs to still emit the struct.
pub struct Head {
    /// Doc comments and attributes, kept on the struct.
    pub attrs: Vec<Attribute>,
    /// The visibility written.
    pub vis: Visibility,
    /// The struct's name.
    pub ident: Ident,
    /// The braced layer list, parsed separately so that a mistake inside it
    /// still leaves the struct's name known.
    pub body: TokenStream,
    /// Mistakes in the head that did not stop parsing (generics, a tuple
    /// struct, trailing tokens).
    pub errors: Vec<syn::Error>,
    /// `#[weights = "file.safetensors"]`, taken out of `attrs`.
    pub weights: Option<WeightsAttr>,
    /// Whether a `#[weights ..]` attribute was written, even a malformed one.
    pub wants_embedded: bool,
    /// The expression form (`nn::sequential![seed = 7; Flatten[28, 28], ..]`):
    /// the seed its value is built with; `None` for the struct form.
    pub inline_seed: Option<u64>,
}

/// The struct name the expression form declares (Keras's default model name is its snake_case).
const INLINE_NAME: &str = "Sequential";

/// Whether the input is the expression form: a layer list, or `seed = ..;`
/// and one, rather than attributes, a visibility and `struct`.
fn is_inline(input: ParseStream) -> bool {
    input.peek(Ident)
        && !input.peek(Token![struct])
        && !input.peek(Token![pub])
        && !(input.peek(Ident::peek_any) && (input.peek2(Ident) || input.peek2(token::Brace)))
}

/// `seed = 7;` at the start of the expression form.
fn inline_seed(input: ParseStream, errors: &mut Vec<syn::Error>) -> syn::Result<u64> {
    if !(input.peek(Ident) && input.peek2(Token![=]) && input.fork().parse::<Ident>().is_ok_and(|i| i == "seed")) {
        return Ok(0);
    }
    input.parse::<Ident>()?;
    input.parse::<Token![=]>()?;
    let value: Expr = input.parse()?;
    if !input.peek(Token![;]) {
        errors.push(input.error("expected `;` after the seed: `nn::sequential![seed = 7; Flatten[28, 28], ..]`"));
    } else {
        input.parse::<Token![;]>()?;
    }
    let seed = match &value {
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => i.base10_parse::<u64>().ok(),
        _ => None,
    };
    Ok(seed.unwrap_or_else(|| {
        errors.push(syn::Error::new_spanned(
            &value,
            format!(
                "the seed is a non-negative integer (a `u64`), found `{}`: `seed = 7;`",
                quote::ToTokens::to_token_stream(&value).to_string().replace("- ", "-")
            ),
        ));
        0
    }))
}

/// One layer as written: `Kind[dims](args)`.
#[derive(Clone)]
pub struct LayerDecl {
    /// The layer's kind as written (`Dense`).
    pub kind: Ident,
    /// Its bracketed shape, if any.
    pub shape: Option<ShapeDecl>,
    /// Its arguments, in order.
    pub args: Vec<Arg>,
    /// The span of the parenthesized arguments, if any.
    pub paren_span: Option<Span>,
}

/// A bracketed shape: `[28, 28]`.
#[derive(Clone)]
pub struct ShapeDecl {
    /// The brackets, for spans.
    pub bracket: token::Bracket,
    /// The sizes as written.
    pub dims: Vec<Expr>,
}

/// One argument: `units`, `he_normal`, `activation = relu`.
#[derive(Clone)]
pub enum Arg {
    /// `300`, `relu`, `no_bias`.
    Positional(Expr),
    /// `activation = relu`.
    Keyword {
        /// The keyword.
        name: Ident,
        /// Its value.
        value: Expr,
    },
}

const EXAMPLE: &str = "`struct Net { Flatten[28, 28], Dense(10, softmax) }`";

impl Parse for Head {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut errors = Vec::new();
        let mut attrs = input.call(Attribute::parse_outer)?;
        let (weights, wants_embedded) = take_attr(&mut attrs, &mut errors);
        if is_inline(input) {
            let attr = weights.as_ref().map(|w| &w.attr).or(attrs.first());
            if let Some(attr) = attr {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "a model in an expression has no name to put this attribute on: \
                     use the struct form, `nn::sequential! { #[weights = \"..\"] struct Net { .. } }`",
                ));
            }
            let inline_seed = Some(inline_seed(input, &mut errors)?);
            let ident = Ident::new(INLINE_NAME, Span::call_site());
            let body = input.parse::<TokenStream>()?;
            return Ok(Head {
                attrs: Vec::new(),
                vis: Visibility::Inherited,
                ident,
                body,
                errors,
                weights: None,
                wants_embedded,
                inline_seed,
            });
        }
        let vis: Visibility = input.parse()?;
        if input.is_empty() {
            return Err(input.error(format!("expected a model declaration: {EXAMPLE}")));
        }
        if input.peek(Token![struct]) {
            input.parse::<Token![struct]>()?;
        } else if input.peek(Ident::peek_any) && input.peek2(Ident) {
            // `enum Net { .. }`, `model Net { .. }`: report, and go on with the name.
            let word: TokenTree = input.parse()?;
            errors.push(syn::Error::new(
                word.span(),
                format!("a model is declared as a `struct`, found `{word}`: {EXAMPLE}"),
            ));
        } else {
            return Err(input.error(format!("expected a model declaration: {EXAMPLE}")));
        }
        let ident: Ident =
            input.parse().map_err(|e| syn::Error::new(e.span(), format!("expected the model's name: {EXAMPLE}")))?;
        if input.peek(Token![<]) {
            let generics: syn::Generics = input.parse()?;
            errors.push(syn::Error::new_spanned(
                &generics,
                "a model takes no generic parameters: its sizes are fixed at compile time; \
                 use a const item instead (`const N: usize = 10;` and `Dense(N)`)",
            ));
        }
        let keras = weights.as_ref().filter(|w| w.keras);
        let body = if keras.is_some() && input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            TokenStream::new()
        } else if input.peek(token::Brace) {
            let content;
            syn::braced!(content in input);
            if let Some(k) = keras {
                errors.push(syn::Error::new_spanned(
                    &k.attr,
                    format!(
                        "`#[keras = \"..\"]` declares the layers that the archive lists: remove the layer list \
                         and write `struct {ident};`"
                    ),
                ));
            }
            content.parse::<TokenStream>()?
        } else if input.peek(token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            errors.push(syn::Error::new(
                paren.span.join(),
                format!("the layers go in braces, not parentheses: {EXAMPLE}"),
            ));
            let _ = input.parse::<Option<Token![;]>>()?;
            content.parse::<TokenStream>()?
        } else {
            return Err(input.error(format!(
                "expected the layers in braces after the model's name: {EXAMPLE} \
                 (or `#[keras = \"net.keras\"] struct {ident};` to declare them from a Keras archive)"
            )));
        };
        if !input.is_empty() && !starts_model(input) {
            let rest: TokenStream = input.parse()?;
            errors.push(syn::Error::new_spanned(
                rest,
                "unexpected tokens after the model: another model may follow (`struct Name { .. }`), nothing else",
            ));
        }
        Ok(Head { attrs, vis, ident, body, errors, weights, wants_embedded, inline_seed: None })
    }
}

/// Whether the input goes on with another model declaration.
fn starts_model(input: ParseStream) -> bool {
    input.peek(Token![#]) || input.peek(Token![pub]) || input.peek(Token![struct])
}

/// `layer RegularizedDense = Dense(activation = elu, ..);`: a preset (the
/// book's `functools.partial`), used as `RegularizedDense(300)` by the
/// models after it; arguments given at the use override its own.
pub struct PresetDecl {
    /// The preset's name.
    pub name: Ident,
    /// The layer it stands for, with its arguments.
    pub layer: LayerDecl,
}

/// A whole `sequential!` input: presets, then one or more models (or one
/// model in the expression form).
pub struct Program {
    /// The presets, in order.
    pub presets: Vec<PresetDecl>,
    /// The models, in order.
    pub heads: Vec<Head>,
}

impl Parse for Program {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut presets = Vec::new();
        while input.peek(Ident) && input.peek2(Ident) && input.fork().parse::<Ident>().is_ok_and(|i| i == "layer") {
            input.parse::<Ident>()?;
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>().map_err(|e| {
                syn::Error::new(e.span(), "a preset is `layer Name = Kind(arguments);`: expected `=` after its name")
            })?;
            let layer: LayerDecl = input.parse()?;
            input.parse::<Token![;]>().map_err(|e| {
                syn::Error::new(e.span(), "a preset is `layer Name = Kind(arguments);`: expected `;` after it")
            })?;
            presets.push(PresetDecl { name, layer });
        }
        let mut heads = vec![input.parse::<Head>()?];
        while !input.is_empty() && heads.last().is_some_and(|h| h.inline_seed.is_none()) {
            heads.push(input.parse::<Head>()?);
        }
        Ok(Program { presets, heads })
    }
}

/// The layer list inside the braces. A layer that does not parse is `None`
/// (its error is in `errors`); the rest are still checked.
pub struct Layers {
    /// The layers in order; `None` for one that did not parse.
    pub layers: Vec<Option<LayerDecl>>,
    /// The syntax mistakes found.
    pub errors: Vec<syn::Error>,
}

impl Parse for Layers {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut layers = Vec::new();
        let mut errors = Vec::new();
        while !input.is_empty() {
            match input.parse::<LayerDecl>() {
                Ok(l) => layers.push(Some(l)),
                Err(e) => {
                    errors.push(e);
                    layers.push(None);
                    skip_to_separator(input)?;
                }
            }
            if input.is_empty() {
                break;
            }
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            } else if input.peek(Token![;]) {
                let semi = input.parse::<Token![;]>()?;
                errors.push(syn::Error::new(semi.span, "layers are separated by `,`, not `;`"));
            } else if input.peek(Ident) {
                errors.push(input.error("expected `,` before this layer"));
            } else {
                errors.push(input.error("expected `,` between layers"));
                skip_to_separator(input)?;
                let _ = input.parse::<Option<Token![,]>>()?;
            }
        }
        Ok(Layers { layers, errors })
    }
}

/// Skips token trees up to (not including) the next top-level `,` or `;`.
fn skip_to_separator(input: ParseStream) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) && !input.peek(Token![;]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}

impl Parse for LayerDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let kind: Ident = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected a layer, such as `Dense(10)`, `BatchNorm` or `Flatten[28, 28]`")
        })?;
        let shape = if input.peek(token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let dims = list(&content, "a size")?;
            Some(ShapeDecl { bracket, dims })
        } else {
            None
        };
        let (args, paren_span) = if input.peek(token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            let list = list(&content, "an argument")?;
            (list.into_iter().map(Arg::from).collect(), Some(paren.span.join()))
        } else {
            (Vec::new(), None)
        };
        Ok(LayerDecl { kind, shape, args, paren_span })
    }
}

/// A comma-separated list of expressions, with a clear error for `,,`. On
/// an error the rest of the group is skipped, so that syn reports this error
/// and not "unexpected token".
fn list(input: ParseStream, what: &str) -> syn::Result<Vec<Expr>> {
    let result = list_items(input, what);
    if result.is_err() {
        input.parse::<TokenStream>()?;
    }
    result
}

fn list_items(input: ParseStream, what: &str) -> syn::Result<Vec<Expr>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        if input.peek(Token![,]) {
            return Err(input.error(format!("expected {what} before this `,`; remove the extra comma")));
        }
        out.push(input.parse::<Expr>()?);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(out)
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

/// A string literal's content.
pub fn str_lit(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

/// A name given as `word` or `"word"`.
pub fn word(e: &Expr) -> Option<String> {
    single_ident(e).map(|i| i.to_string()).or_else(|| str_lit(e))
}

/// The attribute as written.
pub struct WeightsAttr {
    /// The whole `#[weights = ".."]`, for error spans.
    pub attr: Attribute,
    /// The path as written, relative to the declaring crate's directory.
    pub path: LitStr,
    /// `#[keras = "model.keras"]`: the archive declares the layers too.
    pub keras: bool,
}

/// Takes `#[weights = ".."]` out of the struct's attributes (it is the
/// macro's, not the struct's). A malformed or repeated one is an error.
/// Returns the attribute, and whether any `#[weights ..]` was written (then
/// the fallback still declares `embedded`, so that its uses add no error).
pub fn take_attr(attrs: &mut Vec<Attribute>, errors: &mut Vec<syn::Error>) -> (Option<WeightsAttr>, bool) {
    let mut found: Option<WeightsAttr> = None;
    let mut seen = false;
    let mut keep = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        let keras = attr.path().is_ident("keras");
        if !attr.path().is_ident("weights") && !keras {
            keep.push(attr);
            continue;
        }
        seen = true;
        let path = match &attr.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        };
        match (path, &found) {
            (None, _) if keras => errors.push(syn::Error::new_spanned(
                &attr,
                "expected the Keras archive as a string: `#[keras = \"models/net.keras\"]` \
                 (relative to the crate's directory)",
            )),
            (None, _) => errors.push(syn::Error::new_spanned(
                &attr,
                "expected the weights file as a string: `#[weights = \"path/to/file.safetensors\"]` \
                 (relative to the crate's directory)",
            )),
            (Some(_), Some(_)) => errors.push(syn::Error::new_spanned(
                &attr,
                "a model has one weights file: remove this second `#[weights = \"..\"]` or `#[keras = \"..\"]`",
            )),
            (Some(path), None) => found = Some(WeightsAttr { attr, path, keras }),
        }
    }
    *attrs = keep;
    (found, seen)
}
