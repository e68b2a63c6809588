//! What the convolutional and recurrent main jobs share: the `--epochs`
//! flag, Keras's recipe (Adam 1e-3, batches of 128, the last 10 % for
//! validation) on the bundled MNIST, the test report, and the saved weights,
//! history and curves under `out/`.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{Array1, ArrayD};
use nn::optim::Adam;
use nn::{FitOptions, Model};

/// The epochs from `--epochs N` (else `default`); `None` after printing the
/// usage for `--help`.
pub fn epochs(name: &str, default: usize) -> Result<Option<usize>, Box<dyn Error>> {
    let usage = format!("usage: {name} [--epochs N]");
    let mut epochs = default;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--epochs" => epochs = args.next().and_then(|v| v.parse().ok()).ok_or("--epochs needs a number")?,
            "--help" | "-h" => {
                println!("{usage}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument `{other}`; {usage}").into()),
        }
    }
    Ok(Some(epochs))
}

/// Trains `model` on (`x`, `y`) with Keras's recipe for `epochs`, prints the
/// test loss and accuracy on (`x_test`, `y_test`) and the training time, and
/// saves `out/<name>.safetensors`, `out/<name>_history.{csv,json}` and
/// `out/<name>_curves.svg`.
pub fn train_and_report<M: Model + Sync>(
    name: &str,
    model: &mut M,
    (x, y): (ArrayD<f32>, Array1<usize>),
    (x_test, y_test): (ArrayD<f32>, Array1<usize>),
    epochs: usize,
) -> Result<(), Box<dyn Error>> {
    let out = Path::new("out");
    std::fs::create_dir_all(out)?;
    let t = Instant::now();
    let opts = FitOptions { epochs, batch_size: 128, validation_split: 0.1, seed: Some(42), ..Default::default() };
    let loss = SparseCategoricalCrossentropy;
    let history = nn::train::fit(model, x.view(), y.view().into_dyn(), &loss, &mut Adam::new(1e-3), opts)?;
    let secs = t.elapsed().as_secs_f64();
    let eval = nn::train::evaluate(model, x_test.view(), y_test.view().into_dyn(), &loss)?;
    println!(
        "Test: loss {:.4}, accuracy {:.2}% (training took {:.1}s, {:.1}s per epoch)",
        eval.loss,
        eval.accuracy * 100.0,
        secs,
        secs / history.len().max(1) as f64
    );
    let weights = out.join(format!("{name}.safetensors"));
    nn::model::save_weights(model, &weights)?;
    history.to_csv(out.join(format!("{name}_history.csv")))?;
    history.to_json(out.join(format!("{name}_history.json")))?;
    history.plot_svg(out.join(format!("{name}_curves.svg")))?;
    println!("Saved {}, out/{name}_history.{{csv,json}} and out/{name}_curves.svg", weights.display());
    Ok(())
}
