//! `#[keras = "model.keras"]` on `struct Net;`: the archive's `config.json`
//! declares the layers (through `nn_files::config::declaration`, the same
//! text `examples/keras_declare.rs` prints), which then go through every
//! check a written declaration does, and its `model.weights.h5` is embedded
//! as `#[weights]` embeds a safetensors file (`Net::embedded()`). A mistake
//! in the archive, or something `nn` cannot represent, is an error at the
//! attribute naming the file, the layer and the argument.

use std::path::PathBuf;

use proc_macro2::{Group, Span, TokenStream, TokenTree};

use crate::check::Model;
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::WeightsAttr;
use crate::weights::{Embedded, Expected, Tensor};

/// What an archive declares: the layer list and the weights file's bytes.
pub struct Imported {
    /// The layers, as tokens spanned at the attribute.
    pub body: TokenStream,
    /// The bytes of `model.weights.h5`.
    pub weights: Vec<u8>,
    /// The archive's absolute path, for `include_bytes!`.
    pub path: String,
}

/// Reads the archive the attribute names and declares its layers.
pub fn import(attr: &WeightsAttr) -> Result<Imported, syn::Error> {
    let written = attr.path.value();
    let fail = |msg: String| syn::Error::new_spanned(&attr.attr, format!("Keras archive `{written}`: {msg}"));
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let path = dir.join(&written);
    let bytes = std::fs::read(&path).map_err(|e| {
        fail(format!(
            "cannot read it ({}); the path is relative to the crate's directory (CARGO_MANIFEST_DIR)",
            match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => e.to_string(),
            }
        ))
    })?;
    let archive = nn_files::archive::read(&bytes).map_err(fail)?;
    let decl = nn_files::config::declaration(&archive.config).map_err(fail)?;
    let body: TokenStream = decl.body().parse().map_err(|e| fail(format!("cannot declare it: {e}")))?;
    let path = path.canonicalize().unwrap_or(path);
    let path =
        path.to_str().ok_or_else(|| fail("its absolute path is not UTF-8, which `include_bytes!` needs".into()))?;
    Ok(Imported { body: respan(body, attr_span(attr)), weights: archive.weights, path: path.to_string() })
}

fn attr_span(attr: &WeightsAttr) -> Span {
    syn::spanned::Spanned::span(&attr.attr)
}

/// `tokens` with every span at `span` (errors in the declaration point at the attribute).
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let TokenTree::Group(g) = &t {
                let mut ng = Group::new(g.delimiter(), respan(g.stream(), span));
                ng.set_span(span);
                t = TokenTree::Group(ng);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

/// The archive's weights for the checked `model`, read by Keras's layout and
/// laid out for `embedded()`; `None` after a mistake (pushed to `cx`).
pub fn embed(
    attr: &WeightsAttr,
    imported: Imported,
    model: &Model,
    expected: &[Expected],
    cx: &mut Ctxt,
) -> Option<Embedded> {
    let written = attr.path.value();
    let layout = layout(model);
    let values = match nn_files::h5::read(imported.weights, &layout) {
        Ok(v) => v,
        Err(e) => {
            cx.spanned(&attr.attr, format!("Keras archive `{written}`: `model.weights.h5`: {e}"));
            return None;
        }
    };
    debug_assert_eq!(values.len(), expected.len());
    let mut bytes = Vec::new();
    let mut tensors = Vec::new();
    for v in &values {
        tensors.push(Tensor { offset: bytes.len(), len: v.len() });
        bytes.extend(v.iter().flat_map(|x| x.to_le_bytes()));
    }
    Some(Embedded { path: imported.path, tensors, asserts: Vec::new(), bytes: Some(bytes) })
}

/// The checked model as Keras's files describe it (its sizes are literal:
/// they come from the archive).
fn layout(model: &Model) -> nn_files::layout::Model {
    let lit = |dims: &[Dim]| -> Vec<usize> {
        dims.iter()
            .map(|d| match d {
                Dim::Lit(n) => *n as usize,
                _ => 0,
            })
            .collect()
    };
    nn_files::layout::Model {
        name: String::new(),
        input_shape: lit(&model.input),
        layers: model
            .layers
            .iter()
            .map(|l| {
                let mut k = nn_files::layout::Layer::new(l.kind.class(), &l.name, &lit(&l.input));
                for w in &l.weights {
                    k = k.var(&lit(&w.shape));
                }
                k
            })
            .collect(),
    }
}
