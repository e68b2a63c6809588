//! Parity with Keras 3.15 on the same weights: inference outputs, the
//! training-mode loss and gradients of one batch, and the weights (including
//! BatchNorm's moving statistics) after one SGD step. The reference files are
//! written by `tools/keras_reference.py`.

use std::collections::HashMap;

use nn::ndarray::{ArrayD, IxDyn};
use nn::Model;

nn::sequential! {
    /// The seed model's structure, narrower so that the fixture stays small.
    struct SeedSmall {
        Flatten[28, 28], BatchNorm,
        Dense(64, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(32, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    }
}

nn::sequential! {
    /// Every activation and parametric activation layer once.
    struct Zoo {
        Input[12],
        Dense(16, selu), LeakyReLU(alpha = 0.2),
        Dense(16, gelu), PReLU,
        Dense(16, softplus), ELU(alpha = 0.7),
        Dense(8, swish), Activation(tanh),
        Dense(8, sigmoid), BatchNorm,
        Dense(8, relu),
        Dense(5, softmax),
    }
}

nn::sequential! {
    /// Keras's ReLU, GaussianNoise, GaussianDropout and Softmax layers.
    struct ActivationsLayers {
        Input[12],
        Dense(16), ReLU(max_value = 6.0, negative_slope = 0.1, threshold = 0.5),
        Dense(16), ReLU,
        Dense(16), ReLU(max_value = 1.0),
        GaussianNoise(0.3),
        Dense(8),
        GaussianDropout(0.2),
        Softmax,
        Dense(5, softmax),
    }
}

nn::sequential! {
    /// `ActivationsLayers` without its noise layers, which are random in
    /// training: the network Keras trained for the reference (same weight names).
    struct ActivationsLayersNoNoise {
        Input[12],
        Dense(16), ReLU(max_value = 6.0, negative_slope = 0.1, threshold = 0.5),
        Dense(16), ReLU,
        Dense(16), ReLU(max_value = 1.0),
        Dense(8),
        Softmax,
        Dense(5, softmax),
    }
}

nn::sequential! {
    /// Keras's mnist_convnet (without its Dropout, random in training).
    struct MnistConvnet {
        Input[28, 28, 1],
        Conv2D(32, 3, relu), MaxPooling2D(2),
        Conv2D(64, 3, relu), MaxPooling2D(2),
        Flatten, Dense(10, softmax),
    }
}

nn::sequential! {
    /// Every argument of Conv2D and MaxPooling2D that nn has.
    struct ConvZoo {
        Input[9, 8, 2],
        Conv2D(4, (3, 2), strides = 2, padding = same, activation = tanh),
        MaxPooling2D((2, 2), strides = 1, padding = same),
        Conv2D(3, 2, dilation_rate = (2, 1), use_bias = false, activation = relu),
        BatchNorm,
        MaxPooling2D((2, 3), strides = (1, 2), padding = same),
        Flatten, Dense(5, softmax),
    }
}

nn::sequential! {
    /// Average pooling (`same`, strided), global max pooling with `keepdims`.
    struct PoolZoo {
        Input[7, 6, 3],
        AveragePooling2D((2, 3), strides = (2, 1), padding = same),
        Conv2D(4, 2, activation = elu),
        AveragePooling2D(2),
        GlobalMaxPooling2D(keepdims = true),
        Flatten, Dense(5, softmax),
    }
}

nn::sequential! {
    /// GlobalAveragePooling2D after a `same` convolution.
    struct GlobalAverage {
        Input[5, 5, 2], Conv2D(3, 3, padding = same, activation = relu), GlobalAveragePooling2D, Dense(4, softmax),
    }
}

nn::sequential! {
    /// ZeroPadding2D (asymmetric and uniform), Cropping2D, UpSampling2D.
    struct RemapZoo {
        Input[5, 4, 2],
        ZeroPadding2D(((1, 2), (0, 1))),
        Conv2D(3, 2, activation = tanh),
        Cropping2D(((1, 0), (1, 1))),
        UpSampling2D((2, 1)),
        ZeroPadding2D(1),
        Flatten, Dense(4, softmax),
    }
}

nn::sequential! {
    /// Every 1-D layer: Conv1D `same`, `causal` (dilated and grouped; strided,
    /// grouped, no bias) and strided `valid`, SpatialDropout1D, the poolings,
    /// padding, BatchNorm on the channel axis, up-sampling, cropping.
    struct Conv1dZoo {
        Input[16, 4],
        Conv1D(6, 3, padding = same, activation = relu),
        Conv1D(6, 3, padding = causal, dilation_rate = 2, groups = 2, activation = tanh),
        SpatialDropout1D(0.3),
        MaxPooling1D(2),
        ZeroPadding1D((1, 2)),
        Conv1D(8, 3, strides = 2, activation = elu),
        BatchNormalization,
        UpSampling1D(2),
        Cropping1D((1, 2)),
        AveragePooling1D(3, strides = 2, padding = same),
        Conv1D(4, 2, strides = 2, padding = causal, groups = 4, use_bias = false),
        GlobalAveragePooling1D,
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// `Conv1dZoo` without its SpatialDropout1D, random in training: the
    /// network Keras trained for the reference (same weight names).
    struct Conv1dZooNoDropout {
        Input[16, 4],
        Conv1D(6, 3, padding = same, activation = relu),
        Conv1D(6, 3, padding = causal, dilation_rate = 2, groups = 2, activation = tanh),
        MaxPooling1D(2),
        ZeroPadding1D((1, 2)),
        Conv1D(8, 3, strides = 2, activation = elu),
        BatchNormalization,
        UpSampling1D(2),
        Cropping1D((1, 2)),
        AveragePooling1D(3, strides = 2, padding = same),
        Conv1D(4, 2, strides = 2, padding = causal, groups = 4, use_bias = false),
        GlobalAveragePooling1D,
        Dense(3, softmax),
    }
}

nn::sequential! {
    /// A strided `same` MaxPooling1D, AveragePooling1D's defaults, GlobalMaxPooling1D with `keepdims`.
    struct Pool1dZoo {
        Input[11, 3],
        MaxPooling1D(3, strides = 2, padding = same),
        Conv1D(5, 2, activation = tanh),
        AveragePooling1D,
        GlobalMaxPooling1D(keepdims = true),
        Flatten, Dense(4, softmax),
    }
}

nn::sequential! {
    /// Conv2D with groups, DepthwiseConv2D, SeparableConv2D and Conv2DTranspose
    /// (tools/keras_conv_more_reference.py).
    struct ConvMore {
        Input[9, 8, 4],
        Conv2D(6, 3, groups = 2, activation = tanh),
        DepthwiseConv2D((3, 2), strides = 2, padding = same, depth_multiplier = 2, activation = relu),
        SeparableConv2D(5, 2, padding = same, depth_multiplier = 2, activation = elu),
        Conv2DTranspose(3, 3, strides = 2, padding = same, activation = tanh),
        Flatten, Dense(5, softmax),
    }
}

nn::sequential! {
    /// Their other arguments (tools/keras_conv_more_reference.py).
    struct ConvMoreArgs {
        Input[10, 9, 4],
        Conv2D(8, (2, 3), strides = 2, groups = 4, padding = same, use_bias = false, activation = elu),
        DepthwiseConv2D(2, dilation_rate = 2, depth_multiplier = 3, activation = tanh),
        SeparableConv2D(6, 2, strides = 2, padding = same, use_bias = false, activation = sigmoid),
        Conv2DTranspose(4, (3, 2), strides = (2, 3), output_padding = (1, 2), activation = tanh),
        Conv2DTranspose(2, 3, padding = same, dilation_rate = 2),
        Flatten, Dense(3, softmax),
    }
}

fn read(name: &str) -> HashMap<String, ArrayD<f32>> {
    let path = format!("{}/tests/reference/keras/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(k, v)| {
            let data: Vec<f32> = v.data().chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
            (k, ArrayD::from_shape_vec(IxDyn(v.shape()), data).unwrap())
        })
        .collect()
}

fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs() / (1.0 + b.abs())).fold(0.0f32, f32::max);
    assert!(worst <= tol, "{what}: max error {worst:e} above {tol:e}");
    eprintln!("{what}: max error {worst:.1e}");
}

/// Trainable weight names in the order `visit_grads` yields them.
fn trainable_names<M: Model>(m: &M) -> Vec<String> {
    let mut names = Vec::new();
    m.visit_weights(&mut |l, w, p| {
        if p.trainable {
            names.push(format!("{l}.{w}"))
        }
    });
    names
}

fn check<M: Model>(
    name: &str,
    make: fn(u64) -> M,
    load: fn(&mut M, &str),
    predict: fn(&M, &ArrayD<f32>) -> ArrayD<f32>,
) {
    let data = read(&format!("{name}.data"));
    let weights_path = format!("{}/tests/reference/keras/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
    let x = &data["x"];
    let labels: Vec<usize> = data["y"].iter().map(|v| *v as usize).collect();

    // Inference.
    let mut m = make(0);
    load(&mut m, &weights_path);
    let p = predict(&m, x);
    close(&format!("{name} predict"), p.as_slice().unwrap(), data["predict"].as_slice().unwrap(), 1e-6);

    // Training-mode forward, fused softmax + cross-entropy gradient, backward.
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().unwrap();
    let mut ws = M::Workspace::default();
    let mut rng = nn::rng::seeded(0);
    let out = m.forward(&mut ws, xs, &mut rng).to_vec();
    let n = labels.len();
    let classes = M::OUT;
    let mut loss = 0.0f64;
    let mut dz = out.clone();
    for (i, &y) in labels.iter().enumerate() {
        loss -= (out[i * classes + y] as f64).ln();
        dz[i * classes + y] -= 1.0;
    }
    dz.iter_mut().for_each(|g| *g /= n as f32);
    close(&format!("{name} loss"), &[(loss / n as f64) as f32], data["loss"].as_slice().unwrap(), 1e-6);
    assert!(M::SOFTMAX_OUTPUT);
    m.backward(&mut ws, xs, &dz, true);
    let names = trainable_names(&m);
    let mut i = 0;
    m.visit_grads(&mut ws, &mut |_, g| {
        let want = &data[&format!("grad/{}", names[i])];
        close(&format!("{name} gradient of {}", names[i]), g, want.as_slice().unwrap(), 2e-6);
        i += 1;
    });
    assert_eq!(i, names.len());

    // After the training-mode forward, the moving statistics moved as Keras's did.
    m.visit_weights(&mut |l, w, p| {
        if w.starts_with("moving_") {
            let want = &data[&format!("after/{l}.{w}")];
            close(&format!("{name} {l}.{w} after one training forward"), p, want.as_slice().unwrap(), 1e-6);
        }
    });
}

#[test]
fn seed_small_matches_keras() {
    check(
        "seed_small",
        SeedSmall::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
}

#[test]
fn zoo_matches_keras() {
    check(
        "zoo",
        Zoo::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
}

#[test]
fn relu_softmax_and_noise_layers_match_keras() {
    // Inference with the noise layers in place: they are the identity.
    let data = read("activations_layers.data");
    let mut m = ActivationsLayers::seeded(0);
    m.load_weights(format!("{}/tests/reference/keras/activations_layers.safetensors", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let x = data["x"].clone().into_dimensionality().unwrap();
    let p = m.predict(&x).unwrap();
    close("activations_layers predict", p.as_slice().unwrap(), data["predict"].as_slice().unwrap(), 1e-5);
    // Training: the same network without noise, as Keras computed it.
    check(
        "activations_layers",
        ActivationsLayersNoNoise::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
}

#[test]
fn mnist_convnet_matches_keras() {
    check(
        "mnist_convnet",
        MnistConvnet::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
    assert_eq!(MnistConvnet::PARAMS, 34_826);
}

#[test]
fn conv_zoo_matches_keras() {
    check(
        "conv_zoo",
        ConvZoo::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
}

#[test]
fn pool_zoo_matches_keras() {
    check(
        "pool_zoo",
        PoolZoo::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
}

#[test]
fn global_average_pooling_matches_keras() {
    check(
        "global_average",
        GlobalAverage::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
    assert_eq!(GlobalAverage::OUTPUT_SHAPE, [4]);
}

#[test]
fn padding_cropping_and_up_sampling_match_keras() {
    check(
        "remap_zoo",
        RemapZoo::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
}

/// One `train_on_batch` with SGD(0.1): the loss Keras reported and every
/// weight after the step (the moving statistics included).
fn check_step<M: Model>(name: &str, m: &mut M, train: impl FnOnce(&mut M, &mut nn::optim::Sgd) -> f32) {
    let data = read(&format!("{name}.data"));
    let mut opt = nn::optim::Sgd::new(0.1);
    let loss = train(m, &mut opt);
    close(&format!("{name} train_on_batch loss"), &[loss], data["train_loss"].as_slice().unwrap(), 1e-5);
    let mut seen = 0;
    m.visit_weights(&mut |l, w, p| {
        let want = &data[&format!("after/{l}.{w}")];
        close(&format!("{name} {l}.{w} after one SGD step"), p, want.as_slice().unwrap(), 2e-5);
        seen += 1;
    });
    assert!(seen > 0);
}

fn keras_weights(name: &str) -> String {
    format!("{}/tests/reference/keras/{name}.safetensors", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn conv1d_layers_match_keras() {
    // Inference with SpatialDropout1D in place: it is the identity.
    let data = read("conv1d_zoo.data");
    let mut m = Conv1dZoo::seeded(0);
    m.load_weights(keras_weights("conv1d_zoo")).unwrap();
    let x: nn::ndarray::Array3<f32> = data["x"].clone().into_dimensionality().unwrap();
    let p = m.predict(&x).unwrap();
    close("conv1d_zoo predict", p.as_slice().unwrap(), data["predict"].as_slice().unwrap(), 1e-5);
    assert_eq!(Conv1dZoo::PARAMS, Conv1dZooNoDropout::PARAMS);
    // Training: the same network without the dropout, as Keras computed it.
    check(
        "conv1d_zoo",
        Conv1dZooNoDropout::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
    let mut m = Conv1dZooNoDropout::seeded(0);
    m.load_weights(keras_weights("conv1d_zoo")).unwrap();
    let y: Vec<usize> = data["y"].iter().map(|v| *v as usize).collect();
    let y = nn::ndarray::Array1::from(y);
    check_step("conv1d_zoo", &mut m, |m, opt| {
        m.train_on_batch(x.view(), y.view(), &nn::loss::SparseCategoricalCrossentropy, opt).unwrap()
    });
}

#[test]
fn pool1d_layers_match_keras() {
    check(
        "pool1d_zoo",
        Pool1dZoo::seeded,
        |m, p| m.load_weights(p).unwrap(),
        |m, x| m.predict(&x.clone().into_dimensionality().unwrap()).unwrap().into_dyn(),
    );
    let data = read("pool1d_zoo.data");
    let mut m = Pool1dZoo::seeded(0);
    m.load_weights(keras_weights("pool1d_zoo")).unwrap();
    let x: nn::ndarray::Array3<f32> = data["x"].clone().into_dimensionality().unwrap();
    let y = nn::ndarray::Array1::from(data["y"].iter().map(|v| *v as usize).collect::<Vec<_>>());
    check_step("pool1d_zoo", &mut m, |m, opt| {
        m.train_on_batch(x.view(), y.view(), &nn::loss::SparseCategoricalCrossentropy, opt).unwrap()
    });
    assert_eq!(Pool1dZoo::OUTPUT_SHAPE, [4]);
}

/// [`check`], then [`check_step`] (SGD(0.1) as Keras's `train_on_batch`) with
/// the count of the model's weights.
fn check_sgd_step<M: Model + Sync>(name: &str, make: fn(u64) -> M, weights: usize) {
    let load = |m: &mut M, p: &str| nn::model::load_weights(m, std::path::Path::new(p)).unwrap();
    check(name, make, load, |m, x| nn::model::predict_dyn(m, x.view()).unwrap());
    let data = read(&format!("{name}.data"));
    let mut m = make(0);
    load(&mut m, &keras_weights(name));
    let y: ArrayD<usize> = data["y"].mapv(|v| v as usize);
    check_step(name, &mut m, |m, opt| {
        nn::train::train_on_batch(m, data["x"].view(), y.view(), &nn::loss::SparseCategoricalCrossentropy, opt).unwrap()
    });
    let mut seen = 0;
    m.visit_weights(&mut |_, _, _| seen += 1);
    assert_eq!(seen, weights);
}

#[test]
fn grouped_depthwise_separable_and_transposed_convolutions_match_keras() {
    check_sgd_step("conv_more", ConvMore::seeded, 11);
    assert_eq!(ConvMore::PARAMS, 1_282);
}

#[test]
fn their_other_arguments_match_keras() {
    check_sgd_step("conv_more_args", ConvMoreArgs::seeded, 11);
}
