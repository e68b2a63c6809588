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
use std::path::Path;
use std::time::Instant;

use nn::data::{labels_usize, to_f32, Mnist};
use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{Array4, Axis};
use nn::optim::Adam;
use nn::FitOptions;

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
    let mut epochs = 15;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--epochs" => epochs = args.next().and_then(|v| v.parse().ok()).ok_or("--epochs needs a number")?,
            "--help" | "-h" => {
                println!("usage: mnist_cnn [--epochs N]");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`; usage: mnist_cnn [--epochs N]").into()),
        }
    }
    let out = Path::new("out");
    std::fs::create_dir_all(out)?;
    let mnist = Mnist::load("data/mnist")?;
    let (x, y) = (images(to_f32(&mnist.train_images)), labels_usize(&mnist.train_labels));
    let (x_test, y_test) = (images(to_f32(&mnist.test_images)), labels_usize(&mnist.test_labels));
    let mut model = MnistConvnet::seeded(42);
    print!("{}", model.summary());
    let t = Instant::now();
    let opts = FitOptions { epochs, batch_size: 128, validation_split: 0.1, seed: Some(42), ..Default::default() };
    let history = model.fit(&x, &y, &SparseCategoricalCrossentropy, &mut Adam::new(1e-3), opts)?;
    let secs = t.elapsed().as_secs_f64();
    let eval = model.evaluate(&x_test, &y_test, &SparseCategoricalCrossentropy)?;
    println!(
        "Test: loss {:.4}, accuracy {:.2}% (training took {:.1}s, {:.1}s per epoch)",
        eval.loss,
        eval.accuracy * 100.0,
        secs,
        secs / history.len().max(1) as f64
    );
    let weights = out.join("mnist_cnn.safetensors");
    model.save_weights(&weights)?;
    history.to_csv(out.join("mnist_cnn_history.csv"))?;
    history.to_json(out.join("mnist_cnn_history.json"))?;
    history.plot_svg(out.join("mnist_cnn_curves.svg"))?;
    println!("Saved {}, out/mnist_cnn_history.{{csv,json}} and out/mnist_cnn_curves.svg", weights.display());
    Ok(())
}
