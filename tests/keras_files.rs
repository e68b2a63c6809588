//! Keras 3's own files (`tools/keras_files_reference.py` saved them with
//! Keras 3.15): `load_weights` reads each `.keras` archive and `.weights.h5`
//! by Keras's layout and the model then predicts what Keras predicted, to
//! 1e-5; `save_weights` writes both formats back, and they load again.
//! (That Keras itself loads what `nn` writes is the script's `--check`.)

use std::path::{Path, PathBuf};

use nn::ndarray::{ArrayD, IxDyn};
use nn::Model;

nn::sequential! {
    pub struct SeedMlp {
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    }
}

nn::sequential! {
    pub struct MnistConvnet {
        Input[28, 28, 1], Conv2D(32, 3, relu), MaxPooling2D(2), Conv2D(64, 3, relu), MaxPooling2D(2),
        Flatten, Dropout(0.5), Dense(10, softmax),
    }
}

nn::sequential! {
    /// Every Keras layer class nn has, named unlike Keras's file (which must not matter).
    pub struct EveryLayer {
        Input[9, 8, 2],
        Conv2D(6, 3, padding = same, activation = relu),
        BatchNormalization,
        LeakyReLU(0.2),
        ZeroPadding2D(((1, 0), (0, 1))),
        Conv2D(8, (3, 2), strides = 2, use_bias = false),
        PReLU,
        MaxPooling2D(2, strides = 1, padding = same),
        UpSampling2D((2, 1)),
        Conv2D(8, 2, dilation_rate = (2, 1), activation = tanh),
        Cropping2D(((1, 0), (0, 1))),
        Reshape[5, -1, 4],
        AveragePooling2D((3, 2), strides = (2, 1), padding = same),
        ELU(0.7),
        GaussianNoise(0.3),
        BatchNormalization,
        GlobalMaxPooling2D(keepdims = true),
        Flatten,
        Dense(24),
        ReLU(max_value = 1.0, negative_slope = 0.1, threshold = 0.2),
        Dropout(0.5),
        Reshape[2, 2, 6],
        GlobalAveragePooling2D,
        Activation(selu),
        AlphaDropout(0.1),
        GaussianDropout(0.2),
        Dense(5, name = "logits"),
        Softmax,
    }
}

nn::sequential! {
    /// Conv2D with groups, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose with output_padding.
    pub struct MoreConvs {
        Input[8, 7, 4],
        Conv2D(6, 3, groups = 2, padding = same, activation = relu),
        DepthwiseConv2D(3, strides = 2, depth_multiplier = 2, use_bias = false),
        SeparableConv2D(4, 2, padding = same, depth_multiplier = 2, activation = elu),
        Conv2DTranspose(3, 3, strides = 2, output_padding = 1, activation = tanh),
        Flatten,
        Dense(5, softmax),
    }
}

nn::sequential! {
    /// SimpleRNN, Bidirectional(LSTM) summed, GRU with one bias row reading backwards.
    pub struct Recurrent {
        Input[6, 4],
        SimpleRNN(5, return_sequences = true, dropout = 0.25),
        Bidirectional(LSTM(3, return_sequences = true, unit_forget_bias = false), merge_mode = sum),
        GRU(4, reset_after = false, go_backwards = true, recurrent_dropout = 0.1),
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// The same with Keras's default GRU (`reset_after`: a [2, 12] bias).
    pub struct RecurrentResetAfter {
        Input[6, 4],
        SimpleRNN(5, return_sequences = true),
        Bidirectional(LSTM(3, return_sequences = true), merge_mode = sum),
        GRU(4, go_backwards = true),
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// Ids through an Embedding into an LSTM (Keras's model is named `embedding`).
    pub struct EmbeddingLstm { Input[7], Embedding(20, 6), LSTM(5), Dense(3, softmax) }
}

nn::sequential! {
    /// Keras's default GRUs (`reset_after`: [2, 3u] biases) and other activations.
    pub struct Grus {
        Input[5, 3],
        GRU(4, return_sequences = true),
        GRU(3, activation = softplus, return_sequences = true),
        SimpleRNN(2, activation = relu),
    }
}

nn::sequential! {
    pub struct Encoder { Input[28, 28], Flatten, Dense(32, relu) }
}

nn::sequential! {
    pub struct Nested { Input[28, 28], Encoder, BatchNorm, Dense(10, softmax) }
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/keras_files")
}

/// The reference batch and Keras's predictions of `name`.
fn reference(name: &str) -> (ArrayD<f32>, Vec<f32>) {
    let text = std::fs::read_to_string(dir().join(format!("{name}.json"))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let floats = |k: &str| v[k].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect::<Vec<_>>();
    let mut shape: Vec<usize> =
        v["input_shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let x = floats("x");
    shape.insert(0, x.len() / shape.iter().product::<usize>());
    (ArrayD::from_shape_vec(IxDyn(&shape), x).unwrap(), floats("y"))
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Loads both of Keras's files of `name` into a fresh `M`, checks the
/// predictions, writes both formats and reads them back.
fn check<M: Model + Sync>(name: &str, mut fresh: impl FnMut() -> M) {
    let (x, y) = reference(name);
    let tmp = tempfile::tempdir().unwrap();
    for file in [format!("{name}.keras"), format!("{name}.weights.h5")] {
        let mut m = fresh();
        nn::model::load_weights(&mut m, &dir().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let p = nn::model::predict_dyn(&m, x.view()).unwrap();
        let d = max_diff(p.as_slice().unwrap(), &y);
        assert!(d <= 1e-5, "{file}: predictions differ from Keras's by {d}");

        // Written by nn (keeping the name: Keras's checks read them), read back.
        let out = tmp.path().join(&file);
        nn::model::save_weights(&m, &out).unwrap();
        let mut again = fresh();
        nn::model::load_weights(&mut again, &out).unwrap_or_else(|e| panic!("{file} written by nn: {e}"));
        let q = nn::model::predict_dyn(&again, x.view()).unwrap();
        assert_eq!(p, q, "{file}: nn's own file predicts differently");
    }
    if let Some(keep) = std::env::var_os("NN_KERAS_OUT") {
        for f in [format!("{name}.keras"), format!("{name}.weights.h5")] {
            std::fs::create_dir_all(&keep).unwrap();
            std::fs::copy(tmp.path().join(&f), Path::new(&keep).join(&f)).unwrap();
        }
    }
}

#[test]
fn the_seed_mlp() {
    check("seed_mlp", || SeedMlp::seeded(1));
}

#[test]
fn grouped_depthwise_separable_and_transposed_convolutions() {
    check("more_convs", || MoreConvs::seeded(1));
}

#[test]
fn mnist_convnet() {
    check("mnist_convnet", || MnistConvnet::seeded(1));
}

#[test]
fn every_layer_nn_has_whatever_the_names() {
    check("every_layer", || EveryLayer::seeded(1));
}

#[test]
fn a_nested_model() {
    check("nested", || Nested::seeded(1));
}

#[test]
fn simple_rnn_bidirectional_lstm_and_gru() {
    check("recurrent", || Recurrent::seeded(1));
}

#[test]
fn grus_with_two_bias_rows() {
    check("gru", || Grus::seeded(1));
}

#[test]
fn an_embedding_into_an_lstm() {
    check("embedding", || EmbeddingLstm::seeded(1));
}

#[test]
fn a_recurrent_file_of_other_cells_names_the_hdf5_paths() {
    let mut m = RecurrentResetAfter::seeded(3);
    let before = m.clone();
    for file in ["recurrent.keras", "recurrent.weights.h5"] {
        let err = m.load_weights(dir().join(file)).unwrap_err().to_string();
        assert!(err.contains(file), "{err}");
        assert!(err.contains("tensor `layers/gru/cell/vars/2` has shape [12], expected [2, 12]"), "{err}");
        assert!(!err.contains("bidirectional"), "{err}");
    }
    // Keras's LSTM where nn has a GRU: every path of the cell differs in shape.
    let mut e = EmbeddingLstm::seeded(1);
    let err = e.load_weights(dir().join("recurrent.weights.h5")).unwrap_err().to_string();
    assert!(err.contains("tensor `layers/lstm/cell/vars/0` is missing"), "{err}");
    assert!(
        err.contains("unexpected tensor `layers/bidirectional/forward_layer/cell/vars/0` (float32 [5, 12])"),
        "{err}"
    );
    let (x, _) = reference("recurrent");
    assert_eq!(nn::model::predict_dyn(&m, x.view()).unwrap(), nn::model::predict_dyn(&before, x.view()).unwrap());
}

/// Keras's recurrent weights file with one byte inverted (at offsets found
/// by trying them: a dataspace's size, a datatype's bit field): the error
/// names the HDF5 path of the tensor, and the model is unchanged.
#[test]
fn a_corrupt_recurrent_file_names_the_hdf5_path() {
    let bytes = std::fs::read(dir().join("recurrent.weights.h5")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("corrupt.weights.h5");
    let mut m = Recurrent::seeded(1);
    let before = m.clone();
    for (at, want) in [
        (10760, "tensor `layers/simple_rnn/cell/vars/0` has shape [4, 250], expected [4, 5]"),
        (29100, "tensor `layers/gru/cell/vars/0` has dtype other("),
        (29933, "tensor `layers/gru/cell/vars/2` has shape [280375465082892], expected [12]"),
    ] {
        let mut b = bytes.clone();
        b[at] ^= 0xff;
        std::fs::write(&path, &b).unwrap();
        let err = m.load_weights(&path).unwrap_err().to_string();
        assert!(err.contains("corrupt.weights.h5") && err.contains(want), "byte {at}: {err}");
    }
    for cut in [64, bytes.len() / 2, bytes.len() - 100] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = m.load_weights(&path).unwrap_err().to_string();
        assert!(err.contains("not a Keras weights file"), "cut at {cut}: {err}");
    }
    let x = reference("recurrent").0;
    assert_eq!(nn::model::predict_dyn(&m, x.view()).unwrap(), nn::model::predict_dyn(&before, x.view()).unwrap());
}

#[test]
fn a_file_of_another_model_is_refused_and_changes_nothing() {
    let mut m = MnistConvnet::seeded(3);
    let before = m.clone();
    let err = m.load_weights(dir().join("seed_mlp.keras")).unwrap_err().to_string();
    assert!(err.contains("seed_mlp.keras"), "{err}");
    assert!(err.contains("tensor `layers/conv2d/vars/0` is missing"), "{err}");
    assert!(err.contains("unexpected tensor `layers/batch_normalization/vars/0`"), "{err}");
    let (x, _) = reference("mnist_convnet");
    assert_eq!(nn::model::predict_dyn(&m, x.view()).unwrap(), nn::model::predict_dyn(&before, x.view()).unwrap());
}

/// The summary of Keras's mnist_convnet, as tf.keras 2 (the layout of the
/// seed notebook, API.md's summary format) prints it for this model.
#[test]
fn mnist_convnet_summary_is_tf_keras_2s_table() {
    let expected = [
        "Model: \"mnist_convnet\"",
        "_________________________________________________________________",
        "Layer (type)                 Output Shape              Param #   ",
        "=================================================================",
        "conv2d (Conv2D)              (None, 26, 26, 32)        320       ",
        "_________________________________________________________________",
        "max_pooling2d (MaxPooling2D) (None, 13, 13, 32)        0         ",
        "_________________________________________________________________",
        "conv2d_1 (Conv2D)            (None, 11, 11, 64)        18496     ",
        "_________________________________________________________________",
        "max_pooling2d_1 (MaxPooling2 (None, 5, 5, 64)          0         ",
        "_________________________________________________________________",
        "flatten (Flatten)            (None, 1600)              0         ",
        "_________________________________________________________________",
        "dropout (Dropout)            (None, 1600)              0         ",
        "_________________________________________________________________",
        "dense (Dense)                (None, 10)                16010     ",
        "=================================================================",
        "Total params: 34,826",
        "Trainable params: 34,826",
        "Non-trainable params: 0",
        "_________________________________________________________________",
    ];
    // Rows are padded to the table's 65 columns; the title and totals are not.
    let want: String = expected.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(MnistConvnet::seeded(0).summary(), want);
}
