//! Data sets: the IDX reader of MNIST and Fashion-MNIST, and the conversions
//! the book applies before training (`X / 255.`, integer class labels).
//!
//! ```no_run
//! use nn_runtime::data::{labels_usize, to_f32, Mnist};
//!
//! let mnist = Mnist::load("data/mnist")?;
//! let x_train = to_f32(&mnist.train_images); // (60000, 28, 28), values in [0, 1]
//! let y_train = labels_usize(&mnist.train_labels); // (60000,), classes 0..=9
//! assert_eq!(x_train.shape(), &[60000, 28, 28]);
//! assert_eq!(y_train[0], 5);
//! # Ok::<(), nn_runtime::Error>(())
//! ```

pub mod idx;

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array3};

pub use idx::{read_idx, read_images, read_labels};

use crate::{Error, Result};

/// MNIST or Fashion-MNIST as stored: `u8` pixels `(count, 28, 28)` and `u8`
/// class labels `(count,)`.
#[derive(Debug, Clone)]
pub struct Mnist {
    /// Training images, `(60000, 28, 28)` for MNIST.
    pub train_images: Array3<u8>,
    /// Training labels, one per training image.
    pub train_labels: Array1<u8>,
    /// Test images, `(10000, 28, 28)` for MNIST.
    pub test_images: Array3<u8>,
    /// Test labels, one per test image.
    pub test_labels: Array1<u8>,
}

impl Mnist {
    /// Loads the four standard files from `dir`: `train-images-idx3-ubyte`,
    /// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
    /// `t10k-labels-idx1-ubyte`, each with `.gz` or without.
    ///
    /// The number of images and labels must agree in each split, and the
    /// training and test images must have the same size.
    pub fn load(dir: impl AsRef<Path>) -> Result<Mnist> {
        let dir = dir.as_ref();
        let train_images_path = find(dir, "train-images-idx3-ubyte")?;
        let train_labels_path = find(dir, "train-labels-idx1-ubyte")?;
        let test_images_path = find(dir, "t10k-images-idx3-ubyte")?;
        let test_labels_path = find(dir, "t10k-labels-idx1-ubyte")?;

        let train_images = read_images(&train_images_path)?;
        let train_labels = read_labels(&train_labels_path)?;
        let test_images = read_images(&test_images_path)?;
        let test_labels = read_labels(&test_labels_path)?;

        for (images, labels, labels_path) in
            [(&train_images, &train_labels, &train_labels_path), (&test_images, &test_labels, &test_labels_path)]
        {
            if images.len_of(ndarray::Axis(0)) != labels.len() {
                return Err(Error::Data {
                    path: labels_path.clone(),
                    reason: format!("{} labels for {} images", labels.len(), images.len_of(ndarray::Axis(0))),
                });
            }
        }
        if train_images.shape()[1..] != test_images.shape()[1..] {
            return Err(Error::Data {
                path: test_images_path,
                reason: format!(
                    "test images are {:?}, training images {:?}",
                    &test_images.shape()[1..],
                    &train_images.shape()[1..]
                ),
            });
        }
        Ok(Mnist { train_images, train_labels, test_images, test_labels })
    }
}

/// The path of `stem.gz` in `dir` if it exists, else of `stem`; an
/// [`Error::Io`] naming both when neither does.
fn find(dir: &Path, stem: &str) -> Result<PathBuf> {
    let gz = dir.join(format!("{stem}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    let plain = dir.join(stem);
    if plain.is_file() {
        return Ok(plain);
    }
    Err(Error::Io {
        path: gz,
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("not found, nor `{stem}` without .gz, in {}", dir.display()),
        ),
    })
}

/// Converts u8 images to f32 scaled by 1/255 (`X / 255.` as in the book).
///
/// Divides rather than multiplies by `1/255`, so each value is the correctly
/// rounded quotient, the same `f32` as NumPy's `(X / 255.).astype(float32)`.
pub fn to_f32(images: &Array3<u8>) -> Array3<f32> {
    images.mapv(|v| f32::from(v) / 255.0)
}

/// Class labels as usize for SparseCategoricalCrossentropy.
pub fn labels_usize(labels: &Array1<u8>) -> Array1<usize> {
    labels.mapv(usize::from)
}
