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
//!         Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
//!         Dense(10, softmax),
//!     }
//! }
//! ```
//!
//! The macro checks every shape at compile time and expands to a plain struct
//! with one field per layer (Keras's names) and an unrolled forward and
//! backward pass over this crate's kernels.

pub use nn_macros::sequential;
pub use nn_runtime::train::{Evaluation, FitOptions, History};
pub use nn_runtime::{data, init, io, kernels, layers, loss, model, ndarray, optim, rng, summary, train};
pub use nn_runtime::{Error, Param, Result, Rng};

/// The runtime crate, for paths the macro emits.
pub use nn_runtime as runtime;

/// Activation functions, as types a layer is monomorphized on.
pub use nn_runtime::kernels::activation as activations;

pub use nn_runtime::model::Model;

/// What a user of the macro needs in scope.
pub mod prelude {
    pub use crate::layers::Layer;
    pub use crate::model::Model;
    pub use crate::ndarray::{self, s, Array, Array1, Array2, Array3, ArrayView1, ArrayView2, ArrayView3, Axis};
    pub use crate::sequential;
    pub use crate::Error;
}
