//! `TerminateOnNaN` keeps the interrupted epoch in the History, as Keras's
//! does: its loss is NaN, and `History::stopped` says where and why.

use nn::loss::MeanSquaredError;
use nn::ndarray::Array2;
use nn::optim::Sgd;
use nn::train::TerminateOnNaN;
use nn::FitOptions;

nn::sequential! {
    struct Linear { Input[2], Dense(1) }
}

#[test]
fn the_interrupted_epoch_is_recorded_with_a_nan_loss() {
    let x = Array2::from_shape_fn((64, 2), |(i, j)| (i * 3 + j) as f32 * 10.0);
    let y = Array2::from_shape_fn((64, 1), |(i, _)| i as f32 * 100.0);
    let mut m = Linear::seeded(1);
    let options = FitOptions {
        epochs: 50,
        batch_size: 8,
        verbose: 0,
        callbacks: vec![Box::new(TerminateOnNaN)],
        ..Default::default()
    }
    .with_validation(&x, &y);
    let h = m.fit(&x, &y, &MeanSquaredError, &mut Sgd::new(1.0), options).unwrap();
    let stop = h.stopped.clone().expect("training stopped");
    assert!(stop.batch.is_some(), "{stop:?}");
    assert!(stop.reason.contains("not finite") || stop.reason.contains("the loss is"), "{stop:?}");
    assert_eq!(h.epoch.last(), Some(&stop.epoch), "the interrupted epoch is in the History: {h:?}");
    assert_eq!(h.epoch, (0..=stop.epoch).collect::<Vec<_>>());
    assert!(h.loss.last().unwrap().is_nan(), "{:?}", h.loss);
    assert!(h.loss[..h.len() - 1].iter().all(|l| l.is_finite()), "{:?}", h.loss);
    // Every series has a value for it, so the files keep their columns.
    assert_eq!((h.val_loss.len(), h.lr.len()), (h.len(), h.len()));
    assert!(h.val_loss.last().unwrap().is_nan());
    let csv = h.csv();
    let last = csv.lines().last().unwrap();
    assert!(last.starts_with(&format!("{},", stop.epoch)) && last.contains("NaN"), "{csv}");
    assert!(h.json().contains("null"), "{}", h.json());
}
