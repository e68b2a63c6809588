//! `#[weights = "path/to/file.safetensors"]`: the weights file is read when
//! the macro expands and checked against the declaration, tensor by tensor
//! (name, dtype, shape), so that a model built by `M::embedded()` cannot
//! disagree with its file. Every mistake is an error at the attribute that
//! names the tensor and both shapes; all are reported at once.
//!
//! The safetensors header is read with the `safetensors` crate; the data is
//! not read here: the expansion `include_bytes!` the file, which also makes
//! cargo rebuild the crate when the file changes.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::spanned::Spanned;

use crate::check::Model;
use crate::ctxt::Ctxt;
use crate::dims::Dim;
use crate::parse::WeightsAttr;
use nn_files::mismatch::{Mismatch, Shape};

/// One tensor the declaration expects, in the order `visit_weights` yields them.
pub struct Expected {
    /// `<layer>.<weight>`, the key in the file.
    pub key: String,
    /// The declared shape.
    pub shape: Vec<Dim>,
    /// Whether optimizers train it.
    pub trainable: bool,
}

/// Every tensor of a checked model, with Keras's keys, layouts and order.
pub fn expected(model: &Model) -> Vec<Expected> {
    let mut out = Vec::new();
    for l in &model.layers {
        for w in &l.weights {
            out.push(Expected {
                key: format!("{}.{}", l.name, w.name),
                shape: w.shape.clone(),
                trainable: l.trains(w),
            });
        }
    }
    out
}

/// A tensor of the file, checked against the declaration.
pub struct Tensor {
    /// Offset of its data from the start of the file, in bytes.
    pub offset: usize,
    /// Number of floats.
    pub len: usize,
}

/// A weights file that matches the declaration.
pub struct Embedded {
    /// The file's absolute path, for `include_bytes!`.
    pub path: String,
    /// One per `expected` tensor, same order.
    pub tensors: Vec<Tensor>,
    /// Assertions for sizes the macro cannot see (const items).
    pub asserts: Vec<TokenStream>,
    /// The tensors' bytes when they are not the file's own (a `.keras`
    /// archive's HDF5 data, gathered here); the file is then included only
    /// so that cargo rebuilds when it changes.
    pub bytes: Option<Vec<u8>>,
}

/// Reads the file named by the attribute and checks it against `expected`.
/// `None` after any mistake (all pushed to `errors`).
pub fn check(attr: &WeightsAttr, expected: &[Expected], cx: &mut Ctxt) -> Option<Embedded> {
    let written = attr.path.value();
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let path = dir.join(&written);
    let at = &attr.attr;
    let fail = |cx: &mut Ctxt, msg: String| cx.spanned(at, format!("weights file `{written}`: {msg}"));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            fail(
                cx,
                format!(
                    "cannot read it ({}); the path is relative to the crate's directory (CARGO_MANIFEST_DIR); \
                     write the file with `save_weights` (a Keras model: `#[keras = \"model.keras\"]`)",
                    io_reason(&e)
                ),
            );
            return None;
        }
    };
    let header = match Header::read(&bytes) {
        Ok(h) => h,
        Err(e) => {
            fail(cx, format!("not a safetensors file: {e}"));
            return None;
        }
    };

    let mut tensors = Vec::new();
    let mut asserts = Vec::new();
    let mut ok = true;
    let mut seen = HashSet::new();
    for e in expected {
        seen.insert(e.key.as_str());
        let shown: Vec<String> = e.shape.iter().map(Dim::show).collect();
        let want = Shape(&shown);
        let key = e.key.as_str();
        let Some(t) = header.tensors.get(&e.key) else {
            fail(cx, Mismatch::Missing { key, expected: &want }.to_string());
            ok = false;
            continue;
        };
        if t.dtype != "F32" {
            fail(cx, Mismatch::Dtype { key, found: &t.dtype, expected: &want }.to_string());
            ok = false;
            continue;
        }
        let found = Shape(&t.shape);
        let mismatch = || Mismatch::Shape { key, found: &found, expected: &want }.to_string();
        if t.shape.len() != e.shape.len()
            || t.shape.iter().zip(&e.shape).any(|(f, d)| matches!(d, Dim::Lit(n) if n != f))
        {
            fail(cx, mismatch());
            ok = false;
            continue;
        }
        for (f, d) in t.shape.iter().zip(&e.shape) {
            if let Dim::Sym(..) = d {
                let (dt, f, msg) = (d.tokens(), *f as usize, format!("weights file `{written}`: {}", mismatch()));
                asserts.push(crate::ctxt::assertion(at.span(), quote!(#dt == #f), &msg));
            }
        }
        let numel = t.shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        let (begin, end) = t.offsets;
        if numel.and_then(|n| n.checked_mul(4)) != Some(end - begin) {
            fail(
                cx,
                format!(
                    "tensor `{}` has {} bytes of data, but F32 {} needs {}",
                    e.key,
                    end - begin,
                    Shape(&t.shape),
                    numel.map_or("more".into(), |n| (n * 4).to_string())
                ),
            );
            ok = false;
            continue;
        }
        let offset = header.data_start as u64 + begin;
        if !offset.is_multiple_of(4) {
            fail(
                cx,
                format!(
                    "tensor `{}` starts at byte {offset}, not a multiple of 4, so it cannot be used in place; \
                     write the file again with `save_weights` (it aligns the data)",
                    e.key
                ),
            );
            ok = false;
            continue;
        }
        tensors.push(Tensor { offset: offset as usize, len: (numel.unwrap_or(0)) as usize });
    }
    for (key, t) in &header.tensors {
        if !seen.contains(key.as_str()) {
            let all: Vec<String> = expected.iter().map(|e| format!("`{}`", e.key)).collect();
            let found = format!("{} {}", t.dtype, Shape(&t.shape));
            let theirs = if all.is_empty() { "none".to_string() } else { all.join(", ") };
            fail(cx, format!("{}; its tensors are {theirs}", Mismatch::Unexpected { key, found: &found }));
            ok = false;
        }
    }
    let path = path.canonicalize().unwrap_or(path);
    let Some(path) = path.to_str().map(str::to_string) else {
        fail(cx, "its absolute path is not UTF-8, which `include_bytes!` needs".to_string());
        return None;
    };
    ok.then_some(Embedded { path, tensors, asserts, bytes: None })
}

/// The operating system's reason without the error code suffix differences.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// One entry of a safetensors header.
struct Entry {
    dtype: String,
    shape: Vec<u64>,
    /// Begin and end of the data, relative to the data section.
    offsets: (u64, u64),
}

/// A parsed safetensors header.
struct Header {
    /// Byte offset of the data section in the file.
    data_start: usize,
    tensors: BTreeMap<String, Entry>,
}

impl Header {
    /// Reads and validates the header (its length, its JSON, offsets that
    /// tile the data section) with the `safetensors` crate.
    fn read(bytes: &[u8]) -> Result<Header, String> {
        let (n, meta) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| e.to_string())?;
        let tensors = meta
            .tensors()
            .into_iter()
            .map(|(key, t)| {
                let shape = t.shape.iter().map(|&d| d as u64).collect();
                let offsets = (t.data_offsets.0 as u64, t.data_offsets.1 as u64);
                (key, Entry { dtype: format!("{:?}", t.dtype), shape, offsets })
            })
            .collect();
        Ok(Header { data_start: 8 + n, tensors })
    }
}

/// The tokens of `Param::from_static` over tensor `t` of the file.
pub fn param(e: &Expected, t: &Tensor, bytes: &TokenStream) -> TokenStream {
    let dims: Vec<TokenStream> = e.shape.iter().map(Dim::tokens).collect();
    // Literal sizes are promoted to a `&'static [usize]` as they are; a
    // const expression is not (it might overflow), so it gets a const item.
    let shape = if e.shape.iter().all(|d| matches!(d, Dim::Lit(_))) {
        quote!(&[#(#dims),*])
    } else {
        quote!({
            const SHAPE: &[usize] = &[#(#dims),*];
            SHAPE
        })
    };
    let (offset, len) = (Literal::usize_unsuffixed(t.offset), Literal::usize_unsuffixed(t.len));
    let trainable = e.trainable;
    quote! {
        ::nn::Param::from_static(#shape, ::nn::runtime::param::static_f32(#bytes, #offset, #len), #trainable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header() {
        let json =
            br#"{"__metadata__":{"format":"pt"},"a.kernel":{"dtype":"F32","shape":[2, 1],"data_offsets":[0,8]}}"#;
        let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(json);
        bytes.extend_from_slice(&[0; 8]);
        let h = Header::read(&bytes).unwrap();
        let t = &h.tensors["a.kernel"];
        assert_eq!((t.dtype.as_str(), &t.shape[..], t.offsets), ("F32", &[2, 1][..], (0, 8)));
        assert_eq!(h.data_start, 8 + json.len());
        assert!(Header::read(&bytes[..20]).is_err());
    }

    #[test]
    fn tokens_of_a_tensor() {
        let e = Expected { key: "d.bias".into(), shape: vec![Dim::Lit(3)], trainable: true };
        let t = param(&e, &Tensor { offset: 16, len: 3 }, &quote!(BYTES));
        assert!(t.to_string().contains("static_f32"));
    }
}
