//! `#[keras = "model.keras"]`: the macro declares the layers that a Keras 3
//! archive lists and embeds its weights; the model has Keras's parameter
//! counts and summary rows, predicts what Keras predicted (to 1e-5), and
//! `embedded()` + `predict_one` allocate nothing.

#[path = "common/alloc.rs"]
mod alloc;

use nn::ndarray::{ArrayD, IxDyn};

nn::sequential! {
    #[keras = "tests/reference/keras_files/seed_mlp.keras"]
    pub struct KerasSeedMlp;
}

nn::sequential! {
    #[keras = "tests/reference/keras_files/mnist_convnet.keras"]
    pub struct KerasConvnet;
}

nn::sequential! {
    #[keras = "tests/reference/keras_files/every_layer.keras"]
    pub struct KerasEveryLayer;
}

nn::sequential! {
    #[keras = "tests/reference/keras_files/more_convs.keras"]
    pub struct KerasMoreConvs;
}

nn::sequential! {
    #[keras = "tests/reference/keras_files/recurrent.keras"]
    pub struct KerasRecurrent;
}

nn::sequential! {
    #[keras = "tests/reference/keras_files/embedding.keras"]
    pub struct KerasEmbedding;
}

nn::sequential! {
    #[keras = "tests/reference/keras_files/gru.keras"]
    pub struct KerasGru;
}

nn::sequential! {
    /// The same convnet written out, as `keras_declare` prints it.
    pub struct Written {
        Input[28, 28, 1], Conv2D(32, 3, relu), MaxPooling2D(2), Conv2D(64, 3, relu), MaxPooling2D(2),
        Flatten, Dropout(0.5), Dense(10, softmax),
    }
}

/// The reference batch, Keras's predictions and parameter count of `name`.
fn reference(name: &str) -> (ArrayD<f32>, Vec<f32>, usize) {
    let path = format!("{}/tests/reference/keras_files/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let floats = |k: &str| v[k].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect::<Vec<_>>();
    let mut shape: Vec<usize> =
        v["input_shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let x = floats("x");
    shape.insert(0, x.len() / shape.iter().product::<usize>());
    (ArrayD::from_shape_vec(IxDyn(&shape), x).unwrap(), floats("y"), v["params"].as_u64().unwrap() as usize)
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn keras_counts_predictions_and_summary() {
    let (x, y, params) = reference("seed_mlp");
    assert_eq!(KerasSeedMlp::PARAMS, params);
    let p = nn::model::predict_dyn(&KerasSeedMlp::embedded(), x.view()).unwrap();
    assert!(max_diff(p.as_slice().unwrap(), &y) <= 1e-5);

    let (x, y, params) = reference("mnist_convnet");
    assert_eq!(
        (KerasConvnet::PARAMS, KerasConvnet::INPUT_SHAPE, KerasConvnet::OUTPUT_SHAPE),
        (params, [28, 28, 1], [10])
    );
    let m = KerasConvnet::embedded();
    let p = nn::model::predict_dyn(&m, x.view()).unwrap();
    assert!(max_diff(p.as_slice().unwrap(), &y) <= 1e-5);
    // Keras's rows: the same table as the written declaration's, under the struct's name.
    let (ours, written) = (m.summary(), Written::seeded(0).summary());
    assert_eq!(ours.lines().skip(1).collect::<Vec<_>>(), written.lines().skip(1).collect::<Vec<_>>());
    assert!(ours.contains("conv2d_1 (Conv2D)") && ours.contains("(None, 5, 5, 64)"), "{ours}");

    let (x, y, params) = reference("every_layer");
    assert_eq!(KerasEveryLayer::PARAMS, params);
    let p = nn::model::predict_dyn(&KerasEveryLayer::embedded(), x.view()).unwrap();
    assert!(max_diff(p.as_slice().unwrap(), &y) <= 1e-5);

    // groups, depth_multiplier, output_padding and the separable kernels from the archive.
    let (x, y, params) = reference("more_convs");
    assert_eq!((KerasMoreConvs::PARAMS, KerasMoreConvs::OUTPUT_SHAPE), (params, [5]));
    let m = KerasMoreConvs::embedded();
    let p = nn::model::predict_dyn(&m, x.view()).unwrap();
    assert!(max_diff(p.as_slice().unwrap(), &y) <= 1e-5);
    let summary = m.summary();
    for row in ["depthwise_conv2d (DepthwiseC", "(None, 3, 3, 12)", "conv2d_transpose (Conv2DTran", "(None, 8, 8, 3)"] {
        assert!(summary.contains(row), "{summary}");
    }
}

#[test]
fn recurrent_archives_declare_their_layers() {
    let (x, y, params) = reference("recurrent");
    assert_eq!((KerasRecurrent::PARAMS, KerasRecurrent::OUTPUT_SHAPE), (params, [3]));
    let m = KerasRecurrent::embedded();
    let p = nn::model::predict_dyn(&m, x.view()).unwrap();
    assert!(max_diff(p.as_slice().unwrap(), &y) <= 1e-5);
    let summary = m.summary();
    for row in ["simple_rnn (SimpleRNN)", "(None, 6, 5)", "bidirectional (Bidirection", "(None, 6, 3)", "gru (GRU)"] {
        assert!(summary.contains(row), "{summary}");
    }

    let (x, y, params) = reference("gru");
    assert_eq!((KerasGru::PARAMS, KerasGru::OUTPUT_SHAPE), (params, [2]));
    let p = nn::model::predict_dyn(&KerasGru::embedded(), x.view()).unwrap();
    assert!(max_diff(p.as_slice().unwrap(), &y) <= 1e-5);

    let (x, y, params) = reference("embedding");
    assert_eq!((KerasEmbedding::PARAMS, KerasEmbedding::INPUT_SHAPE), (params, [7]));
    let summary = KerasEmbedding::embedded().summary();
    assert!(summary.contains("embedding (Embedding)        (None, 7, 6)              120"), "{summary}");
    let p = nn::model::predict_dyn(&KerasEmbedding::embedded(), x.view()).unwrap();
    assert!(max_diff(p.as_slice().unwrap(), &y) <= 1e-5);
}

/// What `keras_declare` prints for Keras's recurrent archive: the wrapped
/// LSTM inside `Bidirectional` under its own name, every argument Keras wrote.
#[test]
fn the_declaration_of_a_recurrent_archive() {
    let path = format!("{}/tests/reference/keras_files/recurrent.keras", env!("CARGO_MANIFEST_DIR"));
    let archive = nn::files::archive::read(&std::fs::read(path).unwrap()).unwrap();
    let d = nn::files::config::declaration(&archive.config).unwrap();
    let init = "kernel_initializer = glorot_uniform, recurrent_initializer = orthogonal, bias_initializer = zeros";
    let tail = |dropout: &str, recurrent_dropout: &str, sequences: bool, backwards: bool| {
        format!(
            "{init}, dropout = {dropout}, recurrent_dropout = {recurrent_dropout}, return_sequences = {sequences}, \
             go_backwards = {backwards}"
        )
    };
    assert_eq!(d.input_shape, [6, 4]);
    assert_eq!(
        d.layers,
        [
            format!("SimpleRNN(units = 5, activation = tanh, use_bias = true, {}, name = \"simple_rnn\")", tail("0.25", "0.0", true, false)),
            format!(
                "Bidirectional(layer = LSTM(units = 3, recurrent_activation = sigmoid, unit_forget_bias = false, \
                 activation = tanh, use_bias = true, {}, name = \"lstm\"), merge_mode = sum, name = \"bidirectional\")",
                tail("0.0", "0.0", true, false)
            ),
            format!(
                "GRU(units = 4, recurrent_activation = sigmoid, reset_after = false, activation = tanh, use_bias = true, \
                 {}, name = \"gru\")",
                tail("0.0", "0.1", false, true)
            ),
            "Dense(units = 3, activation = softmax, use_bias = true, kernel_initializer = glorot_uniform, \
             bias_initializer = zeros, name = \"dense\")"
                .to_string(),
        ]
    );
}

#[test]
fn embedded_predict_one_allocates_nothing() {
    static MODEL: KerasConvnet = KerasConvnet::embedded();
    let (x, y, _) = reference("mnist_convnet");
    let mut one = [[[0.0f32; 1]; 28]; 28];
    for (i, v) in x.as_slice().unwrap()[..784].iter().enumerate() {
        one[i / 28][i % 28][0] = *v;
    }
    MODEL.predict_one(&one);
    let before = alloc::allocs();
    let out = MODEL.predict_one(&one);
    assert_eq!(alloc::allocs() - before, 0);
    assert!(max_diff(&out, &y[..10]) <= 1e-5);
}
