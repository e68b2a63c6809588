//! Monte Carlo dropout, as chapter 11 of Hands-On Machine Learning does it:
//! a classifier whose dropout layers stay active at inference
//! (`MCDropout`), so that averaging many predictions of the same image
//! gives a better estimate and their spread measures the model's
//! uncertainty. Trained on the bundled MNIST, then on the test set: the
//! accuracy of one prediction and of the mean of 100, and the mean
//! predictive standard deviation of the right and of the wrong answers.
//!
//! ```text
//! cargo run --release --example mc_dropout
//! ```

use std::error::Error;

use nn::data::{labels_usize, to_f32, Mnist};
use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{s, ArrayView2, Axis};
use nn::optim::Adam;
use nn::FitOptions;

nn::sequential! {
    /// The book's dropout MLP, with MC dropout.
    pub struct McMlp {
        Flatten[28, 28], MCDropout(0.2),
        Dense(100, relu, he_normal), MCDropout(0.2),
        Dense(100, relu, he_normal), MCDropout(0.2),
        Dense(10, softmax),
    }
}

/// The class of highest probability of each row.
fn argmax(p: ArrayView2<f32>) -> Vec<usize> {
    p.rows().into_iter().map(|r| r.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)).collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mnist = Mnist::load("data/mnist")?;
    let (x, y) = (to_f32(&mnist.train_images), labels_usize(&mnist.train_labels));
    let (x_test, y_test) = (to_f32(&mnist.test_images), labels_usize(&mnist.test_labels));
    let mut model = McMlp::seeded(42);
    print!("{}", model.summary());
    let opts = FitOptions { epochs: 5, verbose: 2, ..Default::default() }
        .with_validation(x.slice(s![..5000, .., ..]), y.slice(s![..5000]));
    model.fit(
        x.slice(s![5000.., .., ..]),
        y.slice(s![5000..]),
        &SparseCategoricalCrossentropy,
        &mut Adam::new(1e-3),
        opts,
    )?;

    let one = model.predict(&x_test)?;
    let (mean, std) = model.predict_mc(&x_test, 100)?;
    let (one, mc) = (argmax(one.view()), argmax(mean.view()));
    let accuracy = |p: &[usize]| p.iter().zip(&y_test).filter(|(a, b)| a == b).count() as f64 / y_test.len() as f64;
    println!("Test accuracy, one prediction (dropout on):  {:.2}%", accuracy(&one) * 100.0);
    println!("Test accuracy, mean of 100 MC predictions:   {:.2}%", accuracy(&mc) * 100.0);

    // The standard deviation of the predicted class's probability, right and wrong answers apart.
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for (i, (&p, &t)) in mc.iter().zip(&y_test).enumerate() {
        let sd = std.index_axis(Axis(0), i)[p];
        if p == t {
            right.push(sd)
        } else {
            wrong.push(sd)
        }
    }
    let mean_of = |v: &[f32]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len().max(1) as f64;
    println!(
        "Mean predictive standard deviation: {:.4} on the {} right answers, {:.4} on the {} wrong ones",
        mean_of(&right),
        right.len(),
        mean_of(&wrong),
        wrong.len()
    );
    Ok(())
}
