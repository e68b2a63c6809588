//! `MCDropout` and `MCAlphaDropout` declared with `sequential!`: active in
//! `predict` (unlike `Dropout`), new masks on every call, the same numbers
//! from the same seed; `predict_mc`'s mean and spread.

use nn::ndarray::Array2;

nn::sequential! {
    /// Both MC layers, and a plain Dropout that stays the identity at inference.
    struct Mc {
        Input[6], Dense(16, relu), MCDropout(0.3), Dense(16, selu), MCAlphaDropout(0.2), Dropout(0.5),
        Dense(3, softmax),
    }

    /// The same without MC layers.
    struct Plain {
        Input[6], Dense(16, relu), Dropout(0.3), Dense(16, selu), AlphaDropout(0.2), Dropout(0.5),
        Dense(3, softmax),
    }
}

fn x() -> Array2<f32> {
    Array2::from_shape_fn((20, 6), |(i, j)| ((i * 7 + j * 3) % 5) as f32 / 5.0 - 0.4)
}

#[test]
fn mc_layers_are_active_in_predict_and_reproducible() {
    let (a, b) = (Mc::seeded(3), Mc::seeded(3));
    let (p1, p2) = (a.predict(&x()).unwrap(), a.predict(&x()).unwrap());
    assert_ne!(p1, p2, "every call draws new masks");
    assert_eq!(p1, b.predict(&x()).unwrap(), "the same seed gives the same numbers");
    assert_ne!(p1, Mc::seeded(4).predict(&x()).unwrap());
    let plain = Plain::seeded(3);
    assert_eq!(plain.predict(&x()).unwrap(), plain.predict(&x()).unwrap(), "Dropout is the identity at inference");
}

#[test]
fn predict_mc_gives_mean_and_spread() {
    let m = Mc::seeded(5);
    let (mean, std) = m.predict_mc(&x(), 50).unwrap();
    assert_eq!(mean.shape(), &[20, 3]);
    assert_eq!(std.shape(), &[20, 3]);
    assert!(std.iter().all(|&s| s >= 0.0) && std.iter().any(|&s| s > 1e-3), "nonzero spread");
    for row in mean.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-4, "the mean of softmax outputs is a distribution");
    }
    let (again, _) = Mc::seeded(5).predict_mc(&x(), 50).unwrap();
    assert_eq!(mean, again, "same seed, same estimate");
    assert!(m.predict_mc(&x(), 0).is_err());
}
