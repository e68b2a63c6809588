//! Weight and model files of the `nn` crate, in pure Rust (no C library, so
//! that the `sequential!` macro can read them when it expands):
//!
//! - [`mismatch`]: how a file's tensor can disagree with a model, one wording
//!   for the run-time check and the compile-time one;
//! - [`layout`]: a model as Keras's files see it ([`layout::Model`]) and
//!   Keras's HDF5 paths of its variables;
//! - [`h5`]: Keras 3's `.weights.h5` files, read and written;
//! - [`archive`]: `.keras` archives (a zip of `config.json`,
//!   `metadata.json` and `model.weights.h5`);
//! - [`config`]: `config.json` written from a [`layout::Model`], and read
//!   back into `sequential!` layer declarations;
//! - [`sniff`]: which kind of file some bytes are.
//!
//! Every reader takes the whole file as bytes, never panics, and reports what
//! is wrong as a reason (a `String`) that the caller prefixes with the path.

pub mod archive;
pub mod config;
pub mod h5;
pub mod layout;
pub mod mismatch;
pub mod sniff;

/// The JSON crate the config values are built with.
pub use serde_json;

/// What is wrong with a file, in words a person can act on.
pub type Result<T> = std::result::Result<T, String>;
