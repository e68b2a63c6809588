//! How a weights file's tensor can disagree with a model's declaration, in
//! one wording for the run-time check (`load_weights`) and the compile-time
//! one (`sequential!`'s `#[weights = ".."]`, which uses this module too).
//! No allocation: the shapes are anything that displays (`[784, 300]`).

use core::fmt::{self, Display};

/// One disagreement between a file and the model.
#[derive(Clone, Copy)]
pub enum Mismatch<'a> {
    /// The model has the tensor; the file does not.
    Missing {
        /// `<layer>.<weight>`.
        key: &'a str,
        /// The shape the model declares.
        expected: &'a dyn Display,
    },
    /// The file's tensor is not `F32`.
    Dtype {
        /// `<layer>.<weight>`.
        key: &'a str,
        /// The file's dtype (`F64`).
        found: &'a dyn Display,
        /// The shape the model declares.
        expected: &'a dyn Display,
    },
    /// The file's tensor has another shape.
    Shape {
        /// `<layer>.<weight>`.
        key: &'a str,
        /// The file's shape.
        found: &'a dyn Display,
        /// The shape the model declares.
        expected: &'a dyn Display,
    },
    /// The file has a tensor the model lacks.
    Unexpected {
        /// The file's key.
        key: &'a str,
        /// Its dtype and shape in the file (`F32 [3, 4]`).
        found: &'a dyn Display,
    },
}

impl Display for Mismatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Missing { key, expected } => {
                write!(f, "tensor `{key}` is missing; the model declares it F32 {expected}")
            }
            Mismatch::Dtype { key, found, expected } => {
                write!(f, "tensor `{key}` has dtype {found}, expected F32 {expected}")
            }
            Mismatch::Shape { key, found, expected } => {
                write!(f, "tensor `{key}` has shape {found}, expected {expected}")
            }
            Mismatch::Unexpected { key, found } => {
                write!(f, "unexpected tensor `{key}` ({found}): the model has no such weight")
            }
        }
    }
}

/// A shape as the messages write it: `[784, 300]`.
pub struct Shape<'a, T: Display>(pub &'a [T]);

impl<T: Display> Display for Shape<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}
