//! Recurrent models as `sequential!` declares them: Keras's parameter
//! counts, names and summary rows; `predict_step` over a sequence agreeing
//! with `predict` on it; ids checked before an `Embedding`.

use nn::ndarray::{Array2, Array3};

nn::sequential! {
    /// API.md's recurrent classifier.
    pub struct Classifier {
        Input[28, 28],
        LSTM(128),
        Dense(10, softmax),
    }

    /// Every step's output, through a frame-wise Dense and a dropout.
    pub struct Tagger {
        Input[6, 3],
        Dense(5, relu),
        GRU(4, return_sequences = true),
        Dropout(0.2),
        SimpleRNN(3, return_sequences = true, activation = relu),
        BatchNorm,
        Dense(2),
    }

    /// Ids first.
    pub struct Ids {
        Input[5],
        Embedding(10, 4),
        LSTM(3, return_sequences = true),
        GRU(2, reset_after = false),
    }

    /// Without biases: the batched products have no bias column.
    pub struct Plain {
        Input[9, 4],
        SimpleRNN(6, use_bias = false, return_sequences = true),
        LSTM(5, use_bias = false),
    }

    /// Both directions: no streaming.
    pub struct Both {
        Input[7, 2],
        Bidirectional(LSTM(3, return_sequences = true)),
        Bidirectional(GRU(2), merge_mode = ave),
    }
}

#[test]
fn keras_counts_and_names() {
    assert_eq!(Classifier::PARAMS, 80_384 + 1_290);
    assert_eq!(Both::OUTPUT_SHAPE, [2]);
    assert_eq!(Both::PARAMS, 2 * 4 * 3 * (2 + 3 + 1) + 2 * 3 * 2 * (6 + 2 + 2));
    let mut names = Vec::new();
    nn::Model::visit_weights(&Both::seeded(0), &mut |layer, w, _| names.push(format!("{layer}.{w}")));
    assert_eq!(names[0], "bidirectional.forward_lstm.kernel");
    assert_eq!(names[3], "bidirectional.backward_lstm.kernel");
    assert_eq!(names[6], "bidirectional_1.forward_gru.kernel");
    let summary = Classifier::seeded(0).summary();
    let row = format!("{:<29}{:<26}{}", "lstm (LSTM)", "(None, 128)", 80_384);
    assert!(summary.contains(&row), "{summary}");
}

/// Step t of `predict_step` equals time step t of `predict` (every layer returns sequences).
#[test]
fn streaming_equals_the_whole_sequence() {
    let model = Tagger::seeded(3);
    let x = Array3::from_shape_fn((1, 6, 3), |(_, t, f)| ((t * 3 + f) as f32 * 0.37).sin());
    let whole = model.predict(x.view()).unwrap();
    let mut state = TaggerStream::default();
    for t in 0..6 {
        let frame = [x[[0, t, 0]], x[[0, t, 1]], x[[0, t, 2]]];
        let y = model.predict_step(&mut state, &frame);
        for (k, v) in y.iter().enumerate() {
            assert!((v - whole[[0, t, k]]).abs() < 1e-5, "step {t}, output {k}: {v} vs {}", whole[[0, t, k]]);
        }
    }
    let classifier = Classifier::seeded(1);
    let x = Array3::from_shape_fn((1, 28, 28), |(_, t, f)| ((t * 28 + f) % 11) as f32 / 11.0);
    let whole = classifier.predict(x.view()).unwrap();
    let mut state = ClassifierStream::default();
    let mut last = [0.0; 10];
    for t in 0..28 {
        let frame: [f32; 28] = std::array::from_fn(|f| x[[0, t, f]]);
        last = classifier.predict_step(&mut state, &frame);
    }
    for (k, v) in last.iter().enumerate() {
        assert!((v - whole[[0, k]]).abs() < 1e-5, "class {k}: {v} vs {}", whole[[0, k]]);
    }
}

/// A batch large enough for inference's fused products (`[x, h, 1]` times
/// the stacked kernels and bias) agrees with each sample inferred alone.
#[test]
fn large_batches_agree_with_single_samples() {
    fn check(name: &str, predict: impl Fn(nn::ndarray::ArrayView3<f32>) -> Vec<f32>, steps: usize, features: usize) {
        let x = Array3::from_shape_fn((150, steps, features), |(b, t, f)| ((b * 31 + t * 7 + f) as f32 * 0.29).sin());
        let whole = predict(x.view());
        let per = whole.len() / 150;
        for b in [0, 63, 64, 149] {
            let one = predict(x.slice(nn::ndarray::s![b..b + 1, .., ..]));
            for (v, w) in one.iter().zip(&whole[b * per..(b + 1) * per]) {
                assert!((v - w).abs() < 1e-5, "{name}: sample {b}: {v} vs {w}");
            }
        }
    }
    let classifier = Classifier::seeded(2);
    check("classifier", |x| classifier.predict(x).unwrap().iter().copied().collect(), 28, 28);
    let plain = Plain::seeded(4);
    check("plain", |x| plain.predict(x).unwrap().iter().copied().collect(), 9, 4);
}

#[test]
fn ids_through_an_embedding() {
    let model = Ids::seeded(5);
    let x = Array2::from_shape_vec((1, 5), vec![1.0, 9.0, 0.0, 4.0, 4.0]).unwrap();
    let whole = model.predict(x.view()).unwrap();
    let mut state = IdsStream::default();
    let mut last = [0.0; 2];
    for &id in x.iter() {
        last = model.predict_step(&mut state, &[id]);
    }
    assert!((last[0] - whole[[0, 0]]).abs() < 1e-5 && (last[1] - whole[[0, 1]]).abs() < 1e-5);
    let bad = Array2::from_shape_vec((1, 5), vec![1.0, 10.0, 0.0, 4.0, 4.0]).unwrap();
    let err = model.predict(bad.view()).unwrap_err().to_string();
    assert!(err.contains("10"), "{err}");
}

nn::sequential! {
    /// A recurrent encoder, nested below.
    pub struct Encoder {
        Input[6, 3],
        LSTM(4, return_sequences = true),
    }
}

nn::sequential! {
    /// The encoder as a layer, then a GRU over its sequence.
    pub struct Outer {
        Input[6, 3],
        Encoder,
        GRU(2),
    }
}

#[test]
fn nested_and_inline_recurrent_models() {
    let outer = Outer::seeded(2);
    assert_eq!(Outer::PARAMS, Encoder::PARAMS + 3 * 2 * (4 + 2 + 2));
    let x = Array3::from_shape_fn((2, 6, 3), |(i, t, f)| (i + t + f) as f32 * 0.1);
    assert_eq!(outer.predict(x.view()).unwrap().shape(), [2, 2]);
    let inline = nn::sequential![seed = 4; Input[6, 3], LSTM(3)];
    let whole = inline.predict(x.view()).unwrap();
    let mut state = Default::default();
    let mut last = [0.0; 3];
    for t in 0..6 {
        last = inline.predict_step(&mut state, &[x[[0, t, 0]], x[[0, t, 1]], x[[0, t, 2]]]);
    }
    assert!((0..3).all(|k| (last[k] - whole[[0, k]]).abs() < 1e-5));
}

nn::sequential! {
    /// Causal convolutions alone (API.md's streaming example): dilation,
    /// groups, a kernel of one step, then Dense on each step.
    pub struct Causal {
        Input[32, 2],
        Conv1D(8, 3, padding = causal),
        Conv1D(6, 2, padding = causal, dilation_rate = 4, groups = 2, activation = relu),
        Conv1D(5, 1, padding = causal, activation = tanh),
        Dense(4),
    }

    /// Strides skip steps: no streaming (its docs say why), the rest as usual.
    pub struct Strided {
        Input[20, 3],
        Conv1D(4, 3, padding = causal, strides = 2),
        LSTM(3),
    }

    /// A causal convolution before an LSTM that ends the sequence.
    pub struct CausalLstm {
        Input[20, 3],
        Conv1D(4, 5, padding = causal, activation = relu),
        BatchNorm,
        LSTM(3),
        Dense(2, softmax),
    }
}

/// A causal Conv1D of stride 1 streams: step t of `predict_step` equals
/// time step t of `predict`, and a new state starts a new sequence.
#[test]
fn causal_convolutions_stream() {
    let model = Causal::seeded(6);
    let x = Array3::from_shape_fn((1, 32, 2), |(_, t, f)| ((t * 2 + f) as f32 * 0.61).sin());
    let whole = model.predict(x.view()).unwrap();
    for _ in 0..2 {
        let mut state = CausalStream::default();
        for t in 0..32 {
            let y = model.predict_step(&mut state, &[x[[0, t, 0]], x[[0, t, 1]]]);
            for (k, v) in y.iter().enumerate() {
                assert!((v - whole[[0, t, k]]).abs() < 1e-5, "step {t}, output {k}: {v} vs {}", whole[[0, t, k]]);
            }
        }
    }
    let model = CausalLstm::seeded(2);
    let x = Array3::from_shape_fn((1, 20, 3), |(_, t, f)| ((t * 3 + f) % 7) as f32 / 7.0 - 0.4);
    let whole = model.predict(x.view()).unwrap();
    let mut state = CausalLstmStream::default();
    let mut last = [0.0; 2];
    for t in 0..20 {
        last = model.predict_step(&mut state, &[x[[0, t, 0]], x[[0, t, 1]], x[[0, t, 2]]]);
    }
    assert!((0..2).all(|k| (last[k] - whole[[0, k]]).abs() < 1e-5), "{last:?} vs {whole}");
    assert_eq!(Strided::seeded(1).predict(x.view()).unwrap().shape(), [1, 3]);
}
