//! Runtime of the `nn` crate: everything numeric lives here.
//!
//! The `sequential!` macro of `nn-macros` expands to a struct whose fields are
//! the layers of this crate and whose forward and backward passes are
//! unrolled calls to them. Everything here is ordinary Rust, unit-tested and
//! benchmarked without the macro.

pub mod data;
pub mod error;
pub mod init;
pub mod io;
pub mod kernels;
pub mod layers;
pub mod loss;
pub mod model;
pub mod optim;
pub mod param;
pub mod rng;
pub mod summary;
pub mod train;

pub use error::{Error, Result};
pub use param::Param;
pub use rng::Rng;

pub use ndarray;
