//! The IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//!
//! An IDX file is a 4-byte magic number `00 00 TT RR` (`TT` the element type,
//! `0x08` for unsigned bytes; `RR` the rank), then `RR` big-endian `u32`
//! dimensions, then the elements row-major. A gzip file (it starts with
//! `1f 8b`) is decompressed on the fly.
//!
//! The reader trusts no length: the dimensions are checked against the bytes
//! the file really holds before anything of their size is allocated, and a
//! gzip stream is decompressed only up to the size its header implies plus
//! one byte (to detect trailing data).
//!
//! ```
//! use nn_runtime::data::read_idx;
//!
//! // A 2x3 unsigned-byte matrix.
//! let mut file = vec![0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3];
//! file.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
//! let path = std::env::temp_dir().join(format!("nn-idx-doc-{}.idx", std::process::id()));
//! std::fs::write(&path, &file)?;
//!
//! let matrix = read_idx(&path)?;
//! assert_eq!(matrix.shape(), &[2, 3]);
//! assert_eq!(matrix[[1, 2]], 6);
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;
use ndarray::{Array1, Array3, ArrayD, IxDyn};

use crate::{Error, Result};

/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// IDX type code of unsigned bytes, the only element type MNIST uses.
const TYPE_U8: u8 = 0x08;

/// Deflate never compresses better than about 1032:1, so a gzip file of `n`
/// bytes cannot hold more than this many times `n` bytes of data. Used only
/// to bound the buffer reserved up front.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Reads an unsigned-byte IDX file (type code `0x08`) of any rank, plain or
/// gzip-compressed (detected by its `1f 8b` magic).
///
/// Every problem with the contents is an [`Error::Data`] naming it: a bad
/// magic number, another element type, a dimension product that does not
/// match the data (truncated file or trailing bytes), a corrupt gzip stream.
/// A file that cannot be opened is an [`Error::Io`], and so is a path that is
/// not a regular file (a directory, a FIFO, a device). Never panics, and never
/// allocates more than the file can hold.
pub fn read_idx(path: &Path) -> Result<ArrayD<u8>> {
    let io_err = |source: std::io::Error| Error::Io { path: path.to_path_buf(), source };
    let file = crate::io::open_regular(path)?;
    let file_len = file.metadata().map_err(io_err)?.len();
    let mut reader = BufReader::new(file);

    let mut start = [0u8; 2];
    let got = read_up_to(&mut reader, &mut start).map_err(io_err)?;
    let start = &start[..got];
    // Chain the sniffed bytes back in front of the rest of the file.
    let stream = start.chain(reader);
    if start == GZIP_MAGIC {
        let decoder = GzDecoder::new(stream);
        read_stream(path, decoder, file_len.saturating_mul(MAX_DEFLATE_RATIO), true)
    } else {
        read_stream(path, stream, file_len, false)
    }
}

/// Reads an IDX image file: rank 3, `(count, rows, columns)`.
pub fn read_images(path: &Path) -> Result<Array3<u8>> {
    let array = read_idx(path)?;
    let dims = array.shape().to_vec();
    array.into_dimensionality().map_err(|_| Error::Data {
        path: path.to_path_buf(),
        reason: format!(
            "expected an image file of rank 3 (count, rows, columns), found rank {} with dimensions {dims:?}",
            dims.len()
        ),
    })
}

/// Reads an IDX label file: rank 1, one byte per sample.
pub fn read_labels(path: &Path) -> Result<Array1<u8>> {
    let array = read_idx(path)?;
    let dims = array.shape().to_vec();
    array.into_dimensionality().map_err(|_| Error::Data {
        path: path.to_path_buf(),
        reason: format!("expected a label file of rank 1, found rank {} with dimensions {dims:?}", dims.len()),
    })
}

/// Parses an IDX stream (already decompressed if it was gzip). `max_len`
/// bounds what the source can possibly hold and so the buffer reserved.
fn read_stream(path: &Path, mut stream: impl Read, max_len: u64, gzip: bool) -> Result<ArrayD<u8>> {
    let data_err = |reason: String| Error::Data { path: path.to_path_buf(), reason };
    let read_err = |e: std::io::Error| {
        if gzip {
            data_err(format!("gzip decompression failed: {e}"))
        } else {
            Error::Io { path: path.to_path_buf(), source: e }
        }
    };

    let mut magic = [0u8; 4];
    let got = read_up_to(&mut stream, &mut magic).map_err(read_err)?;
    if got < magic.len() {
        return Err(data_err(format!("only {got} bytes of data, too short for the 4-byte IDX magic number")));
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(data_err(format!(
            "bad magic number 0x{:08x}: not an IDX file (its first two bytes must be zero)",
            u32::from_be_bytes(magic)
        )));
    }
    let type_code = magic[2];
    if type_code != TYPE_U8 {
        return Err(data_err(format!(
            "IDX type code 0x{type_code:02x} ({}) is not supported, only unsigned bytes (0x08)",
            type_name(type_code)
        )));
    }
    let rank = usize::from(magic[3]);

    let mut dim_bytes = vec![0u8; 4 * rank]; // at most 1020 bytes
    let got = read_up_to(&mut stream, &mut dim_bytes).map_err(read_err)?;
    if got < dim_bytes.len() {
        return Err(data_err(format!(
            "truncated header: rank {rank} needs {} bytes of dimensions, found {got}",
            dim_bytes.len()
        )));
    }
    let dims: Vec<usize> =
        dim_bytes.chunks_exact(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize).collect();
    let len = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&n| usize::try_from(n).is_ok())
        .ok_or_else(|| data_err(format!("dimensions {dims:?} are too large")))?;

    // Read at most one byte more than the header implies: enough to tell
    // trailing data, never more than the file really holds.
    let header_len = 4 + 4 * rank as u64;
    let reserve = len.min(max_len.saturating_sub(header_len));
    let mut data = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    stream.take(len.saturating_add(1)).read_to_end(&mut data).map_err(read_err)?;
    let found = data.len() as u64;
    if found < len {
        return Err(data_err(format!("truncated: dimensions {dims:?} need {len} bytes of data, found {found}")));
    }
    if found > len {
        return Err(data_err(format!("trailing bytes: dimensions {dims:?} need {len} bytes of data, found more")));
    }
    ArrayD::from_shape_vec(IxDyn(&dims), data)
        .map_err(|e| data_err(format!("dimensions {dims:?} do not fit the data: {e}")))
}

/// Fills as much of `buf` as the stream holds; returns how many bytes were read.
fn read_up_to(stream: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The element type an IDX type code stands for, for error messages.
fn type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        0x0E => "f64",
        _ => "unknown type",
    }
}
