//! `#[weights = "path/to/file.safetensors"]`: the weights file is read when
//! the macro expands and checked against the declaration, tensor by tensor
//! (name, dtype, shape), so that a model built by `M::embedded()` cannot
//! disagree with its file. Every mistake is an error at the attribute that
//! names the tensor and both shapes; all are reported at once.
//!
//! The safetensors header is read by the small JSON reader below (a
//! proc-macro keeps its dependencies light); the data is not read here: the
//! expansion `include_bytes!` the file, which also makes cargo rebuild the
//! crate when the file changes.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta};

use crate::check::{Dim, Errors, Model};
use crate::layers::Op;

/// The attribute as written.
pub struct WeightsAttr {
    /// The whole `#[weights = ".."]`, for error spans.
    pub attr: Attribute,
    /// The path as written, relative to the declaring crate's directory.
    pub path: LitStr,
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
        if !attr.path().is_ident("weights") {
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
            (None, _) => errors.push(syn::Error::new_spanned(
                &attr,
                "expected the weights file as a string: `#[weights = \"path/to/file.safetensors\"]` \
                 (relative to the crate's directory)",
            )),
            (Some(_), Some(_)) => errors.push(syn::Error::new_spanned(
                &attr,
                "a model has one weights file: remove this second `#[weights = \"..\"]`",
            )),
            (Some(path), None) => found = Some(WeightsAttr { attr, path }),
        }
    }
    *attrs = keep;
    (found, seen)
}

/// One tensor the declaration expects, in the order `visit_weights` yields them.
pub struct Expected {
    /// Index of the layer in `Model::layers`.
    pub layer: usize,
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
    for (i, l) in model.layers.iter().enumerate() {
        let last = l.input.last().cloned().unwrap_or(Dim::Lit(1));
        let units = l.output.last().cloned().unwrap_or(Dim::Lit(1));
        let t = l.trainable();
        let list: Vec<(&'static str, Vec<Dim>, bool)> = match l.kind.op {
            Op::Dense => {
                let mut v = vec![("kernel", vec![last, units.clone()], t)];
                if l.use_bias() {
                    v.push(("bias", vec![units], t));
                }
                v
            }
            Op::BatchNorm => vec![
                ("gamma", vec![last.clone()], t),
                ("beta", vec![last.clone()], t),
                ("moving_mean", vec![last.clone()], false),
                ("moving_variance", vec![last], false),
            ],
            Op::PRelu => vec![("alpha", l.input.clone(), t)],
            _ => Vec::new(),
        };
        for (weight, shape, trainable) in list {
            out.push(Expected { layer: i, key: format!("{}.{weight}", l.name), shape, trainable });
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
}

fn show(dims: &[u64]) -> String {
    format!("[{}]", dims.iter().map(u64::to_string).collect::<Vec<_>>().join(", "))
}

fn show_dims(dims: &[Dim]) -> String {
    format!("[{}]", dims.iter().map(Dim::show).collect::<Vec<_>>().join(", "))
}

/// Reads the file named by the attribute and checks it against `expected`.
/// `None` after any mistake (all pushed to `errors`).
pub fn check(attr: &WeightsAttr, expected: &[Expected], errors: &mut Errors) -> Option<Embedded> {
    let written = attr.path.value();
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let path = dir.join(&written);
    let at = &attr.attr;
    let fail = |errors: &mut Errors, msg: String| errors.spanned(at, format!("weights file `{written}`: {msg}"));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            fail(
                errors,
                format!(
                    "cannot read it ({}); the path is relative to the crate's directory (CARGO_MANIFEST_DIR); \
                     write the file with `save_weights` or tools/keras_export.py",
                    io_reason(&e)
                ),
            );
            return None;
        }
    };
    let header = match Header::read(&bytes) {
        Ok(h) => h,
        Err(e) => {
            fail(errors, format!("not a safetensors file: {e}"));
            return None;
        }
    };

    let mut tensors = Vec::new();
    let mut asserts = Vec::new();
    let mut ok = true;
    let mut seen = HashSet::new();
    for e in expected {
        seen.insert(e.key.as_str());
        let want = show_dims(&e.shape);
        let Some(t) = header.tensors.get(&e.key) else {
            fail(errors, format!("tensor `{}` is missing; the model declares it F32 {want}", e.key));
            ok = false;
            continue;
        };
        if t.dtype != "F32" {
            fail(
                errors,
                format!("tensor `{}` is {} {}, but the model declares it F32 {want}", e.key, t.dtype, show(&t.shape)),
            );
            ok = false;
            continue;
        }
        let mismatch = || format!("tensor `{}` has shape {}, but the model declares {want}", e.key, show(&t.shape));
        if t.shape.len() != e.shape.len()
            || t.shape.iter().zip(&e.shape).any(|(f, d)| matches!(d, Dim::Lit(n) if n != f))
        {
            fail(errors, mismatch());
            ok = false;
            continue;
        }
        for (f, d) in t.shape.iter().zip(&e.shape) {
            if let Dim::Sym(_) = d {
                let (dt, f, msg) = (d.tokens(), *f as usize, format!("weights file `{written}`: {}", mismatch()));
                asserts.push(quote_spanned!(at.span()=> const _: () = ::core::assert!(#dt == #f, #msg);));
            }
        }
        let numel = t.shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        let (begin, end) = t.offsets;
        if numel.and_then(|n| n.checked_mul(4)) != Some(end - begin) {
            fail(
                errors,
                format!(
                    "tensor `{}` has {} bytes of data, but F32 {} needs {}",
                    e.key,
                    end - begin,
                    show(&t.shape),
                    numel.map_or("more".into(), |n| (n * 4).to_string())
                ),
            );
            ok = false;
            continue;
        }
        let offset = header.data_start as u64 + begin;
        if !offset.is_multiple_of(4) {
            fail(
                errors,
                format!(
                    "tensor `{}` starts at byte {offset}, not a multiple of 4, so it cannot be used in place; \
                     write the file again with `save_weights` or tools/keras_export.py (they align the data)",
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
            fail(
                errors,
                format!(
                    "tensor `{key}` ({} {}) is not a weight of the model; its tensors are {}",
                    t.dtype,
                    show(&t.shape),
                    if all.is_empty() { "none".to_string() } else { all.join(", ") }
                ),
            );
            ok = false;
        }
    }
    let path = path.canonicalize().unwrap_or(path);
    let Some(path) = path.to_str().map(str::to_string) else {
        fail(errors, "its absolute path is not UTF-8, which `include_bytes!` needs".to_string());
        return None;
    };
    ok.then_some(Embedded { path, tensors, asserts })
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
    /// Reads and validates the header: an 8-byte little-endian length, a
    /// JSON object of tensors, offsets within the file.
    fn read(bytes: &[u8]) -> Result<Header, String> {
        let len_bytes: [u8; 8] =
            bytes.get(..8).and_then(|b| b.try_into().ok()).ok_or("shorter than the 8-byte header length")?;
        let n = u64::from_le_bytes(len_bytes);
        let data_start = 8u64
            .checked_add(n)
            .filter(|&e| e <= bytes.len() as u64)
            .ok_or_else(|| format!("header length {n} is past the end of the file ({} bytes)", bytes.len()))?
            as usize;
        let text = std::str::from_utf8(&bytes[8..data_start]).map_err(|_| "the header is not UTF-8")?;
        let json = Json::parse(text)?;
        let Json::Object(fields) = json else { return Err("the header is not a JSON object".into()) };
        let data_len = (bytes.len() - data_start) as u64;
        let mut tensors = BTreeMap::new();
        for (key, value) in fields {
            if key == "__metadata__" {
                continue;
            }
            let bad = |what: &str| format!("tensor `{key}`: {what}");
            let Json::Object(f) = value else { return Err(bad("not an object")) };
            let get = |name: &str| f.iter().find(|(k, _)| k == name).map(|(_, v)| v);
            let dtype = match get("dtype") {
                Some(Json::Str(s)) => s.clone(),
                _ => return Err(bad("no `dtype` string")),
            };
            let ints = |name: &str| -> Result<Vec<u64>, String> {
                match get(name) {
                    Some(Json::Array(a)) => a
                        .iter()
                        .map(|v| match v {
                            Json::Int(i) => Ok(*i),
                            _ => Err(bad(&format!("`{name}` holds a value that is not a non-negative integer"))),
                        })
                        .collect(),
                    _ => Err(bad(&format!("no `{name}` array"))),
                }
            };
            let shape = ints("shape")?;
            let offsets = match ints("data_offsets")?[..] {
                [b, e] if b <= e && e <= data_len => (b, e),
                _ => return Err(bad(&format!("`data_offsets` are not [begin, end] within the {data_len} data bytes"))),
            };
            if tensors.insert(key.clone(), Entry { dtype, shape, offsets }).is_some() {
                return Err(bad("given twice"));
            }
        }
        Ok(Header { data_start, tensors })
    }
}

/// The JSON values a safetensors header holds.
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    Str(String),
    /// A non-negative integer (shapes, offsets).
    Int(u64),
    /// Any other number, `true`, `false`, `null` (allowed, unused).
    Other,
}

impl Json {
    fn parse(text: &str) -> Result<Json, String> {
        let mut p = JsonParser { s: text.as_bytes(), i: 0, depth: 0 };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("unexpected characters after the header's JSON at byte {}", p.i));
        }
        Ok(v)
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("malformed JSON header at byte {}: {what}", self.i))
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        self.depth += 1;
        if self.depth > 64 {
            return self.err("nested too deeply");
        }
        let v = match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        if !self.eat(b':') {
                            return self.err("expected `:`");
                        }
                        fields.push((k, self.value()?));
                        if self.eat(b',') {
                            continue;
                        }
                        if self.eat(b'}') {
                            break;
                        }
                        return self.err("expected `,` or `}`");
                    }
                }
                Json::Object(fields)
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value()?);
                        if self.eat(b',') {
                            continue;
                        }
                        if self.eat(b']') {
                            break;
                        }
                        return self.err("expected `,` or `]`");
                    }
                }
                Json::Array(items)
            }
            Some(b'"') => Json::Str(self.string()?),
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c)) {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                match t.parse::<u64>() {
                    Ok(n) => Json::Int(n),
                    Err(_) if t.parse::<f64>().is_ok() => Json::Other,
                    Err(_) => return self.err("bad number"),
                }
            }
            _ => {
                let rest = &self.s[self.i..];
                let word = ["true", "false", "null"].into_iter().find(|w| rest.starts_with(w.as_bytes()));
                match word {
                    Some(w) => {
                        self.i += w.len();
                        Json::Other
                    }
                    None => return self.err("expected a value"),
                }
            }
        };
        self.depth -= 1;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        if self.s.get(self.i) != Some(&b'"') {
            return self.err("expected a string");
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else { return self.err("unterminated string") };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else { return self.err("unterminated string") };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hex = |p: &mut Self| -> Result<u32, String> {
                                let h = p.s.get(p.i..p.i + 4).and_then(|h| std::str::from_utf8(h).ok());
                                let v = h.and_then(|h| u32::from_str_radix(h, 16).ok());
                                p.i += 4;
                                v.ok_or_else(|| format!("malformed JSON header at byte {}: bad \\u escape", p.i))
                            };
                            let mut u = hex(self)?;
                            if (0xD800..0xDC00).contains(&u) && self.s[self.i..].starts_with(b"\\u") {
                                self.i += 2;
                                let lo = hex(self)?;
                                u = 0x10000 + ((u - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                            }
                            char::from_u32(u).unwrap_or('\u{FFFD}')
                        }
                        _ => return self.err("bad escape"),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out).or_else(|_| self.err("string is not UTF-8"))
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
        assert!(Json::parse(r#"{"a\u00e9\"":[1,-2.5e3,true,null]}"#).is_ok());
        assert!(Json::parse(r#"{"a":}"#).is_err());
    }

    #[test]
    fn tokens_of_a_tensor() {
        let e = Expected { layer: 0, key: "d.bias".into(), shape: vec![Dim::Lit(3)], trainable: true };
        let t = param(&e, &Tensor { offset: 16, len: 3 }, &quote!(BYTES));
        assert!(t.to_string().contains("static_f32"));
    }
}
