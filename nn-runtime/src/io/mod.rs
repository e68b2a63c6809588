//! Weight files: safetensors, every tensor `F32` little-endian, keyed
//! `<layer_name>.<weight_name>` (`dense.kernel`, `batch_normalization.gamma`).
//!
//! [`save`] replaces the file atomically ([`write_atomic`]): it writes a
//! temporary file in the same directory, flushes it to disk and renames it
//! over the target, so a crash leaves either the old file or the new one,
//! never half of one. A symbolic link is written through, and a path that is
//! not a regular file (a directory, a FIFO, a device) is refused; readers
//! refuse those too ([`open_regular`]).
//!
//! [`load`] reads a whole file, checks it against the tensors a model expects
//! and returns their values; it never panics and never trusts a length it
//! has not checked against the file. A model copies the values in only after
//! `load` succeeded, so a bad file leaves the model unchanged.
//!
//! ```
//! use nn_runtime::io;
//!
//! let dir = std::env::temp_dir().join(format!("nn-io-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("model.safetensors");
//!
//! let kernel = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
//! let bias = [0.5f32, -0.5];
//! io::save(&path, &[
//!     ("dense.kernel".to_string(), &[3, 2], &kernel),
//!     ("dense.bias".to_string(), &[2], &bias),
//! ])?;
//!
//! let values = io::load(&path, &[
//!     ("dense.kernel".to_string(), &[3, 2]),
//!     ("dense.bias".to_string(), &[2]),
//! ])?;
//! assert_eq!(values, vec![kernel.to_vec(), bias.to_vec()]);
//!
//! // A tensor the file lacks is an error that names it.
//! let err = io::load(&path, &[("dense_1.kernel".to_string(), &[3, 2])]).unwrap_err();
//! assert!(err.to_string().contains("`dense_1.kernel`"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod file;

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use safetensors::tensor::{Dtype, Metadata, SafeTensorError, View};
use safetensors::SafeTensors;

pub use file::{open_regular, read_regular, write_atomic};

use crate::{Error, Result};
use nn_files::mismatch::{Mismatch, Shape};

/// Size of the little-endian `u64` that starts a safetensors file: the
/// length of the JSON header that follows it.
const HEADER_LEN_BYTES: usize = 8;

/// Writes tensors (key, shape, data) as F32 little-endian safetensors,
/// atomically, with [`write_atomic`] (through a symbolic link; a path that
/// is not a regular file is an error naming what it is).
///
/// Each tensor's data must hold its shape's product of values and keys must
/// be distinct; otherwise nothing is written and the error names the tensor.
/// The tensors are stored in the crate's canonical order (by key); order
/// does not matter to [`load`].
pub fn save(path: &Path, tensors: &[(String, &[usize], &[f32])]) -> Result<()> {
    let weights_err = |reason: String| Error::Weights { path: path.to_path_buf(), reason };

    let mut seen = HashSet::new();
    let mut views = Vec::with_capacity(tensors.len());
    for (key, shape, data) in tensors {
        if !seen.insert(key.as_str()) {
            return Err(weights_err(format!("tensor `{key}` is given twice")));
        }
        let numel = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if numel != Some(data.len()) {
            return Err(weights_err(format!(
                "tensor `{key}` has {} values, but its shape {shape:?} needs {}",
                data.len(),
                numel.map_or_else(|| "more than usize::MAX".to_string(), |n| n.to_string()),
            )));
        }
        views.push((key.as_str(), F32View { shape, data }));
    }
    let bytes = safetensors::serialize(views, None).map_err(|e| weights_err(format!("cannot serialize: {e}")))?;

    write_atomic(path, |w| w.write_all(&bytes))
}

/// Reads and validates the file against `expected` (key, shape) in order;
/// returns the data per expected tensor, same order.
///
/// Every problem with the file's contents is an [`Error::Weights`] whose
/// reason names it: a missing tensor, an unexpected (extra) tensor, a
/// misshaped one (``tensor `dense.kernel` has shape [300, 784], expected
/// [784, 300]``), one whose dtype is not `F32`, a truncated file, a header
/// length larger than the file, bytes that are not safetensors at all. All
/// tensor problems are reported in one message. A file that cannot be opened
/// or read is an [`Error::Io`] with the operating system's reason, and so is
/// a path that is not a regular file (a directory, a FIFO, `/dev/zero`).
pub fn load(path: &Path, expected: &[(String, &[usize])]) -> Result<Vec<Vec<f32>>> {
    let weights_err = |reason: String| Error::Weights { path: path.to_path_buf(), reason };
    let (bytes, data_start, metadata) = read_file(path)?;
    check_tensors(&metadata, expected).map_err(weights_err)?;
    expected.iter().map(|(key, _)| tensor_data(path, &bytes, data_start, &metadata, key)).collect()
}

/// A tensor read by [`load_all`]: key, shape, values.
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

/// Reads every tensor of a safetensors file, each `(key, shape, data)`,
/// sorted by key; every tensor must be `F32` (an error names the first that
/// is not). The same checks as [`load`] apply before anything is allocated;
/// used by checkpoints, whose set of tensors depends on the optimizer.
pub fn load_all(path: &Path) -> Result<Vec<NamedTensor>> {
    let weights_err = |reason: String| Error::Weights { path: path.to_path_buf(), reason };
    let (bytes, data_start, metadata) = read_file(path)?;
    let mut keys: Vec<(String, Vec<usize>)> = metadata
        .tensors()
        .into_iter()
        .map(|(k, info)| {
            if info.dtype == Dtype::F32 {
                Ok((k, info.shape.clone()))
            } else {
                Err(weights_err(format!("tensor `{k}` has dtype {}, expected F32", info.dtype)))
            }
        })
        .collect::<Result<_>>()?;
    keys.sort();
    keys.into_iter()
        .map(|(key, shape)| {
            let data = tensor_data(path, &bytes, data_start, &metadata, &key)?;
            Ok((key, shape, data))
        })
        .collect()
}

/// Reads a whole safetensors file after checking its header length against
/// the file's real size; returns the bytes, where the data section starts
/// and the validated header.
fn read_file(path: &Path) -> Result<(Vec<u8>, usize, Metadata)> {
    let weights_err = |reason: String| Error::Weights { path: path.to_path_buf(), reason };
    let io_err = |source: std::io::Error| Error::Io { path: path.to_path_buf(), source };

    let mut file = open_regular(path)?;
    let file_len = file.metadata().map_err(io_err)?.len();

    // Check the header length against the file length before allocating
    // anything: a corrupt or hostile length must not become an allocation.
    if file_len == 0 {
        return Err(weights_err("file is empty, not a safetensors file".to_string()));
    }
    if file_len < HEADER_LEN_BYTES as u64 {
        return Err(weights_err(format!(
            "file is {}, too short for the 8-byte header length of a safetensors file",
            plural(file_len, "byte")
        )));
    }
    let mut prefix = [0u8; HEADER_LEN_BYTES];
    file.read_exact(&mut prefix).map_err(io_err)?;
    let header_len = u64::from_le_bytes(prefix);
    let after_prefix = file_len - HEADER_LEN_BYTES as u64;
    if header_len > after_prefix {
        return Err(weights_err(format!(
            "header length {header_len} is larger than the {} that follow it \
             (truncated file, or not a safetensors file)",
            plural(after_prefix, "byte")
        )));
    }

    // Now every length is bounded by the real size of the file.
    let capacity =
        usize::try_from(file_len).map_err(|_| weights_err(format!("file of {file_len} bytes is too large to load")))?;
    let mut bytes = Vec::with_capacity(capacity);
    bytes.extend_from_slice(&prefix);
    file.take(after_prefix).read_to_end(&mut bytes).map_err(io_err)?;
    if bytes.len() as u64 != file_len {
        return Err(weights_err(format!(
            "file changed while being read: expected {file_len} bytes, read {}",
            bytes.len()
        )));
    }

    let (header_len, metadata) = read_metadata(&bytes, header_len).map_err(weights_err)?;
    Ok((bytes, HEADER_LEN_BYTES + header_len, metadata))
}

/// The values of tensor `key` (already checked to be F32).
fn tensor_data(path: &Path, bytes: &[u8], data_start: usize, metadata: &Metadata, key: &str) -> Result<Vec<f32>> {
    // `read_metadata` validated every offset against the file; the lookups
    // stay checked all the same.
    let data = metadata
        .info(key)
        .and_then(|info| {
            let (start, end) = info.data_offsets;
            bytes.get(data_start.checked_add(start)?..data_start.checked_add(end)?)
        })
        .ok_or_else(|| Error::Weights {
            path: path.to_path_buf(),
            reason: format!("tensor `{key}` has offsets outside the file"),
        })?;
    Ok(data
        .chunks_exact(4)
        // Copies from bytes: the data need not be aligned for f32.
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// Parses and validates the header of a whole file in memory (whose header
/// length, `header_len`, fits in it), with a reason a person can act on when
/// it is not a safetensors file.
fn read_metadata(bytes: &[u8], header_len: u64) -> std::result::Result<(usize, Metadata), String> {
    catch_parse_panic(|| SafeTensors::read_metadata(bytes))?.map_err(|e| match e {
        SafeTensorError::MetadataIncompleteBuffer => {
            let data_len = (bytes.len() as u64).saturating_sub(HEADER_LEN_BYTES as u64 + header_len);
            format!(
                "the data section is {}, which does not match the tensor offsets in the header \
                 (truncated file, or trailing bytes)",
                plural(data_len, "byte")
            )
        }
        e => describe(&e),
    })
}

/// Runs a parse of the `safetensors` crate, turning a panic into an error.
///
/// Defensive: in builds with overflow checks, the crate's final size sum can
/// overflow on offsets near `usize::MAX` (which no real file has); this
/// function must never panic on any input.
fn catch_parse_panic<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| "malformed safetensors header (offsets out of range)".to_string())
}

/// Turns a `safetensors` error into a reason that says what is wrong with the file.
fn describe(e: &SafeTensorError) -> String {
    match e {
        SafeTensorError::InvalidHeaderDeserialization(_)
        | SafeTensorError::InvalidHeader(_)
        | SafeTensorError::InvalidHeaderStart
        | SafeTensorError::JsonError(_) => {
            format!("not a safetensors file, its header is not valid: {e}")
        }
        SafeTensorError::HeaderTooLarge | SafeTensorError::InvalidHeaderLength => {
            format!("not a safetensors file, bad header length: {e}")
        }
        _ => format!("malformed safetensors file: {e}"),
    }
}

/// `n` and the noun, plural unless `n` is 1 (`"1 byte"`, `"7 bytes"`).
fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Compares the file's tensors with the expected ones; all mismatches in one reason.
fn check_tensors(metadata: &Metadata, expected: &[(String, &[usize])]) -> std::result::Result<(), String> {
    let mut problems = Vec::new();
    for (key, shape) in expected {
        let want = Shape(shape);
        match metadata.info(key) {
            None => problems.push(Mismatch::Missing { key, expected: &want }.to_string()),
            Some(info) => {
                if info.dtype != Dtype::F32 {
                    problems.push(Mismatch::Dtype { key, found: &info.dtype, expected: &want }.to_string());
                }
                if info.shape != *shape {
                    let found = Shape(&info.shape);
                    problems.push(Mismatch::Shape { key, found: &found, expected: &want }.to_string());
                }
            }
        }
    }
    let wanted: HashSet<&str> = expected.iter().map(|(k, _)| k.as_str()).collect();
    let tensors = metadata.tensors();
    let mut extra: Vec<(&String, _)> = tensors.iter().filter(|(k, _)| !wanted.contains(k.as_str())).collect();
    extra.sort_by_key(|(k, _)| *k);
    for (key, info) in extra {
        let found = format!("{} {}", info.dtype, Shape(&info.shape));
        problems.push(Mismatch::Unexpected { key, found: &found }.to_string());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// An `f32` tensor as the `safetensors` serializer sees it.
struct F32View<'a> {
    shape: &'a [usize],
    data: &'a [f32],
}

impl View for F32View<'_> {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }

    fn shape(&self) -> &[usize] {
        self.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.data.iter().flat_map(|v| v.to_le_bytes()).collect())
    }

    fn data_len(&self) -> usize {
        self.data.len() * 4
    }
}
