//! Transfer learning, as chapter 11 of Hands-On Machine Learning does it
//! ("Reusing Pretrained Layers"), on the bundled MNIST: model A learns the
//! digits 0 to 7; model B, a binary 8-vs-9 classifier with only 200
//! training images, reuses A's body as a nested model: frozen for a few
//! epochs while its new head learns, then unfrozen with a lower learning
//! rate. B is also trained from scratch on the same 200 images, and both
//! are tested on every 8 and 9 of the test set.
//!
//! ```text
//! cargo run --release --example transfer
//! ```

use std::error::Error;

use nn::data::{labels_usize, to_f32, Mnist};
use nn::loss::{BinaryCrossentropy, SparseCategoricalCrossentropy};
use nn::ndarray::{Array1, Array3, Axis};
use nn::optim::Sgd;
use nn::FitOptions;

nn::sequential! {
    /// The body both models share: the book's three hidden layers.
    pub struct Body {
        Flatten[28, 28], Dense(100, relu), Dense(100, relu), Dense(100, relu),
    }

    /// Model A: the digits 0 to 7.
    pub struct ModelA {
        Input[28, 28], Body, Dense(8, softmax),
    }

    /// Model B: is it a 9 (rather than an 8)?
    pub struct ModelB {
        Input[28, 28], Body, Dense(1, sigmoid),
    }
}

/// The images whose label passes `keep`, with the labels mapped by `label`.
fn select<T: Copy>(x: &Array3<f32>, y: &Array1<usize>, keep: impl Fn(usize) -> Option<T>) -> (Array3<f32>, Vec<T>) {
    let (rows, labels): (Vec<usize>, Vec<T>) =
        y.iter().enumerate().filter_map(|(i, &c)| keep(c).map(|l| (i, l))).unzip();
    (x.select(Axis(0), &rows), labels)
}

/// Accuracy of a sigmoid output against 0/1 targets.
fn binary_accuracy(m: &ModelB, x: &Array3<f32>, y: &[f32]) -> Result<f64, Box<dyn Error>> {
    let p = m.predict(x)?;
    let right = p.iter().zip(y).filter(|(p, &t)| (**p >= 0.5) == (t >= 0.5)).count();
    Ok(right as f64 / y.len() as f64)
}

fn quiet(epochs: usize) -> FitOptions<'static, f32> {
    FitOptions { epochs, batch_size: 32, verbose: 0, seed: Some(42), ..Default::default() }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mnist = Mnist::load("data/mnist")?;
    let (x, y) = (to_f32(&mnist.train_images), labels_usize(&mnist.train_labels));
    let (xt, yt) = (to_f32(&mnist.test_images), labels_usize(&mnist.test_labels));

    // Model A on every training image of 0 to 7.
    let (xa, ya) = select(&x, &y, |c| (c < 8).then_some(c));
    let (xa_test, ya_test) = select(&xt, &yt, |c| (c < 8).then_some(c));
    let mut a = ModelA::seeded(42);
    print!("{}", a.summary());
    let ya = Array1::from(ya);
    let opts = FitOptions { epochs: 5, batch_size: 32, verbose: 2, seed: Some(42), ..Default::default() };
    a.fit(&xa, &ya, &SparseCategoricalCrossentropy, &mut Sgd::new(0.05), opts)?;
    let eval = a.evaluate(&xa_test, &Array1::from(ya_test), &SparseCategoricalCrossentropy)?;
    println!("Model A (digits 0-7): test accuracy {:.2}%", eval.accuracy * 100.0);

    // Model B's data: the first 200 training images of 8 and 9; every test 8 and 9.
    let (xb_all, yb_all) = select(&x, &y, |c| (c >= 8).then_some(if c == 9 { 1.0f32 } else { 0.0 }));
    let xb = xb_all.slice(nn::ndarray::s![..200, .., ..]).to_owned();
    let yb = Array1::from(yb_all[..200].to_vec());
    let (xb_test, yb_test) = select(&xt, &yt, |c| (c >= 8).then_some(if c == 9 { 1.0f32 } else { 0.0 }));
    println!("Model B: {} training images of 8 and 9, {} test images", xb.len_of(Axis(0)), yb_test.len());

    // From scratch.
    let mut scratch = ModelB::seeded(7);
    scratch.fit(&xb, &yb, &BinaryCrossentropy, &mut Sgd::new(0.01), quiet(20))?;
    let from_scratch = binary_accuracy(&scratch, &xb_test, &yb_test)?;

    // With A's body: a copy (A stays as it was), frozen for 4 epochs, then
    // unfrozen with a lower learning rate for 16.
    let mut b = ModelB::seeded(7);
    b.body = a.body.clone();
    nn::model::freeze(&mut b.body);
    println!("Model B on A, body frozen: {} trainable parameters of {}", trainable(&b), ModelB::PARAMS);
    b.fit(&xb, &yb, &BinaryCrossentropy, &mut Sgd::new(0.01), quiet(4))?;
    nn::model::set_trainable(&mut b.body, true);
    b.fit(&xb, &yb, &BinaryCrossentropy, &mut Sgd::new(0.001), quiet(16))?;
    let transferred = binary_accuracy(&b, &xb_test, &yb_test)?;

    println!("Model B from scratch:     test accuracy {:.2}%", from_scratch * 100.0);
    println!("Model B with A's body:    test accuracy {:.2}%", transferred * 100.0);
    println!(
        "Error rate: {:.2}% -> {:.2}% ({:.1}x lower with transfer)",
        (1.0 - from_scratch) * 100.0,
        (1.0 - transferred) * 100.0,
        (1.0 - from_scratch) / (1.0 - transferred).max(1e-9)
    );
    Ok(())
}

/// Parameters the optimizer trains now.
fn trainable<M: nn::Model>(m: &M) -> usize {
    let mut n = 0;
    m.visit_weights(&mut |_, _, p| {
        if p.trainable {
            n += p.len()
        }
    });
    n
}
