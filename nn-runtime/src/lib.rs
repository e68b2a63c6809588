//! Runtime of the `nn` crate: everything numeric lives here.
//!
//! The `sequential!` macro of `nn-macros` expands to a struct whose fields are
//! the layers of this crate and whose forward and backward passes are
//! unrolled calls to them. Everything here is ordinary Rust, unit-tested and
//! benchmarked without the macro.
//!
//! # Features
//!
//! `std` (on by default) is everything. Without it the crate is `#![no_std]`
//! and links neither `std` nor `alloc`: what is left is inference over
//! weights that live for the whole program (`Param::from_static`, the
//! layers' `Layer::infer` and `const` constructors, every inference kernel),
//! which is what a `sequential!` model's `embedded()` and `predict_one` need.
//! The gemm then picks its instruction set at compile time (the target's
//! features) and never starts a thread.

#![cfg_attr(not(feature = "std"), no_std)]

pub mod constraints;
#[cfg(feature = "std")]
pub mod data;
#[cfg(feature = "std")]
pub mod error;
#[cfg(feature = "std")]
pub mod init;
#[cfg(feature = "std")]
pub mod io;
pub mod kernels;
pub mod layers;
#[cfg(feature = "std")]
pub mod loss;
pub mod model;

/// Weight and model files: the mismatch wording, Keras's HDF5 layout, `.keras` archives, config.json.
#[cfg(feature = "std")]
pub use nn_files as files;
#[cfg(feature = "std")]
pub use nn_files::mismatch;
#[cfg(feature = "std")]
pub mod optim;
pub mod param;
pub mod regularizers;
#[cfg(feature = "std")]
pub mod rng;
#[cfg(feature = "std")]
pub mod summary;
#[cfg(feature = "std")]
pub mod train;

#[cfg(feature = "std")]
pub use error::{Error, Result};
pub use param::Param;
#[cfg(feature = "std")]
pub use rng::Rng;

#[cfg(feature = "std")]
pub use ndarray;
