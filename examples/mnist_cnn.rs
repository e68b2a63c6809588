//! The second main job: Keras's `mnist_convnet` example on the bundled
//! MNIST, trained and tested as Keras's example does.
//!
//! ```text
//! cargo run --release --example mnist_cnn               # 15 epochs
//! cargo run --release --example mnist_cnn -- --epochs 2
//! ```
//!
//! Recipe (keras.io/examples/vision/mnist_convnet): pixels / 255 as
//! `(28, 28, 1)` images, Adam 1e-3, batches of 128, 15 epochs, the last 10 %
//! of the training images for validation. Keras reports 99.2 % test
//! accuracy. Writes the weights (`out/mnist_cnn.safetensors`), the history
//! (`out/mnist_cnn_history.csv`, `.json`) and the curves (`out/mnist_cnn_curves.svg`).

use std::error::Error;

#[path = "common/main_job.rs"]
mod main_job;

use nn::data::{labels_usize, to_f32, Mnist};
use nn::ndarray::{Array4, Axis};

nn::sequential! {
    /// Keras's mnist_convnet: 34,826 parameters.
    pub struct MnistConvnet {
        Input[28, 28, 1],
        Conv2D(32, 3, relu), MaxPooling2D(2),
        Conv2D(64, 3, relu), MaxPooling2D(2),
        Flatten, Dropout(0.5),
        Dense(10, softmax),
    }
}

/// `(n, 28, 28)` pixels as `(n, 28, 28, 1)` images.
fn images(x: nn::ndarray::Array3<f32>) -> Array4<f32> {
    x.insert_axis(Axis(3))
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(epochs) = main_job::epochs("mnist_cnn", 15)? else {
        return Ok(());
    };
    let mnist = Mnist::load("data/mnist")?;
    let (x, y) = (images(to_f32(&mnist.train_images)), labels_usize(&mnist.train_labels));
    let (x_test, y_test) = (images(to_f32(&mnist.test_images)), labels_usize(&mnist.test_labels));
    let mut model = MnistConvnet::seeded(42);
    print!("{}", model.summary());
    main_job::train_and_report("mnist_cnn", &mut model, (x.into_dyn(), y), (x_test.into_dyn(), y_test), epochs)
}
