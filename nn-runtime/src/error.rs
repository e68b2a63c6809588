//! The one error type of the library.

use std::path::PathBuf;

/// Everything that can go wrong at run time; each message names the values involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input array does not have the shape the model was declared with.
    #[error("{what}: expected shape {expected}, found {found}")]
    Shape {
        /// Which input or array was wrong (`"predict input"`, `"targets"`, ...).
        what: &'static str,
        /// The expected shape, `None` for the batch dimension.
        expected: String,
        /// The shape that was given.
        found: String,
    },
    /// A value is outside the range it must be in (a label, a batch size, a rate).
    #[error("{0}")]
    Invalid(String),
    /// A weights file is not one this model can load; the model was left unchanged.
    #[error("weights file {path}: {reason}")]
    Weights {
        /// The file that was read or written.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A data file (IDX) is malformed.
    #[error("data file {path}: {reason}")]
    Data {
        /// The file that was read.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A loss or a value became NaN or infinite.
    #[error("{0}")]
    NonFinite(String),
    /// An operating-system error while reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Formats a shape the way Keras prints it, the batch dimension as `None`.
pub fn shape_string(batch: Option<usize>, dims: &[usize]) -> String {
    let mut s = String::from("(");
    match batch {
        Some(b) => s.push_str(&b.to_string()),
        None => s.push_str("None"),
    }
    for d in dims {
        s.push_str(", ");
        s.push_str(&d.to_string());
    }
    if dims.is_empty() {
        s.push(',');
    }
    s.push(')');
    s
}
