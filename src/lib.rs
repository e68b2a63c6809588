//! Keras-style neural networks declared at compile time.
//!
//! ```ignore
//! use nn::prelude::*;
//!
//! nn::sequential! {
//!     /// Chapter-11 classifier: BatchNorm before each activation, no biases.
//!     pub struct SeedMlp {
//!         Flatten[28, 28], BatchNorm,
//!         Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
//!         Dense(10, softmax),
//!     }
//! }
//! ```
//!
//! Or, as Keras's `Sequential([...])`, in an expression (the struct gets a
//! name of the macro's choosing; the model's name is Keras's `"sequential"`):
//!
//! ```ignore
//! let model = nn::sequential![
//!     Flatten[28, 28], BatchNorm,
//!     Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
//!     Dense(10, softmax),
//! ];                                        // seeded with 0; `seed = 7;` first picks another
//! print!("{}", model.summary());            // Model: "sequential" ...
//! ```
//!
//! The macro checks every shape at compile time and expands to a plain struct
//! with one field per layer (Keras's names) and an unrolled forward and
//! backward pass over this crate's kernels.
//!
//! # Features
//!
//! `std` (on by default) is everything. With `default-features = false` the
//! crate is `#![no_std]` and needs no allocator: a model declared with
//! `#[weights = ".."]` has its `const fn embedded()` and `predict_one` (and
//! the consts: `INPUT_SHAPE`, `PARAMS`, ...); everything else the macro
//! generates (`seeded`, `summary`, `predict`, training, weight files) and the
//! modules that serve it are left out.

#![cfg_attr(not(feature = "std"), no_std)]

pub use nn_macros::sequential;
#[cfg(feature = "std")]
pub use nn_runtime::train::{Evaluation, FitOptions, History};
pub use nn_runtime::{constraints, kernels, layers, model, regularizers, Param};
#[cfg(feature = "std")]
pub use nn_runtime::{data, files, init, io, loss, ndarray, optim, rng, summary, train};
#[cfg(feature = "std")]
pub use nn_runtime::{Error, Result, Rng};

/// The runtime crate, for paths the macro emits.
pub use nn_runtime as runtime;

/// Activation functions, as types a layer is monomorphized on.
pub use nn_runtime::kernels::activation as activations;

#[cfg(feature = "std")]
pub use nn_runtime::model::Model;

/// Keeps (with `std`) or removes (without) the item it is on: what
/// `sequential!` marks its `std`-only items with.
#[cfg(feature = "std")]
#[doc(hidden)]
pub use nn_macros::__std_keep as __std;
/// Keeps (with `std`) or removes (without) the item it is on: what
/// `sequential!` marks its `std`-only items with.
#[cfg(not(feature = "std"))]
#[doc(hidden)]
pub use nn_macros::__std_strip as __std;

/// What a user of the macro needs in scope.
pub mod prelude {
    pub use crate::layers::Layer;
    #[cfg(feature = "std")]
    pub use crate::model::Model;
    #[cfg(feature = "std")]
    pub use crate::ndarray::{self, s, Array, Array1, Array2, Array3, ArrayView1, ArrayView2, ArrayView3, Axis};
    pub use crate::sequential;
    #[cfg(feature = "std")]
    pub use crate::train::{Evaluation, FitOptions, History};
    #[cfg(feature = "std")]
    pub use crate::Error;
}
