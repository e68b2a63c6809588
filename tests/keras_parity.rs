//! Parity with Keras 3.15 on the same weights: inference outputs, the
//! training-mode loss and gradients of one batch, and the weights (including
//! BatchNorm's moving statistics) after one SGD step. The reference files are
//! written by `tools/keras_reference.py`.

#[path = "common/parity.rs"]
mod parity;

use parity::{check, check_sgd_step, check_step, close, keras_weights, read};

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

#[test]
fn grouped_depthwise_separable_and_transposed_convolutions_match_keras() {
    check_sgd_step("conv_more", ConvMore::seeded, 11);
    assert_eq!(ConvMore::PARAMS, 1_282);
}

#[test]
fn their_other_arguments_match_keras() {
    check_sgd_step("conv_more_args", ConvMoreArgs::seeded, 11);
}
