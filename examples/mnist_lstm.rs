//! The third main job: an LSTM reading each MNIST image row by row (28 time
//! steps of 28 pixels), trained and tested on the bundled MNIST.
//!
//! ```text
//! cargo run --release --example mnist_lstm               # 10 epochs
//! cargo run --release --example mnist_lstm -- --epochs 2
//! ```
//!
//! Recipe (Keras's `LSTM(128)` + `Dense(10, softmax)` on MNIST): pixels / 255
//! as `(28, 28)` sequences, Adam 1e-3, batches of 128, the last 10 % of the
//! training images for validation, 10 epochs. Keras 3.15.1 with this recipe
//! (seed 42) reaches 98.3 % test accuracy after 10 epochs (98.1 % after 8,
//! 98.2-98.3 % up to 15); this example 98.4 % (about 5.3 s per epoch on two
//! Sapphire Rapids cores). Writes the weights
//! (`out/mnist_lstm.safetensors`), the history (`out/mnist_lstm_history.csv`,
//! `.json`) and the curves (`out/mnist_lstm_curves.svg`).

use std::error::Error;

#[path = "common/main_job.rs"]
mod main_job;

use nn::data::{labels_usize, to_f32, Mnist};

nn::sequential! {
    /// One LSTM over the image rows: 81,674 parameters.
    pub struct MnistLstm {
        Input[28, 28],
        LSTM(128),
        Dense(10, softmax),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(epochs) = main_job::epochs("mnist_lstm", 10)? else {
        return Ok(());
    };
    let mnist = Mnist::load("data/mnist")?;
    // Each image is already (28, 28): 28 steps (rows) of 28 features (pixels).
    let (x, y) = (to_f32(&mnist.train_images), labels_usize(&mnist.train_labels));
    let (x_test, y_test) = (to_f32(&mnist.test_images), labels_usize(&mnist.test_labels));
    let mut model = MnistLstm::seeded(42);
    print!("{}", model.summary());
    main_job::train_and_report("mnist_lstm", &mut model, (x.into_dyn(), y), (x_test.into_dyn(), y_test), epochs)
}
