//! Sizes given by const items in the windowed layers (the convolutions, the
//! poolings, padding, cropping, up-sampling, spatial dropout): each model is
//! declared twice, with numbers and with const items, and the two must be
//! the same model: shapes, parameter counts, summary, weight names and
//! shapes, Keras description, and predictions over the same weights.

use nn::ndarray::{Array, IxDyn};
use nn::Model;

// Keras's mnist_convnet example.
const H: usize = 28;
const W: usize = 28;
const F1: usize = 32;
const F2: usize = 64;
const K: usize = 3;
const P: usize = 2;

mod literal {
    nn::sequential! {
        pub struct MnistConvnet {
            Input[28, 28, 1],
            Conv2D(32, 3, relu), MaxPooling2D(2),
            Conv2D(64, 3, relu), MaxPooling2D(2),
            Flatten, Dropout(0.5), Dense(10, softmax),
        }
    }

    nn::sequential! {
        pub struct Sequence {
            Input[32, 2],
            Conv1D(4, 3, padding = causal, dilation_rate = 2, groups = 2, activation = relu),
            Conv1D(4, 3, padding = same, strides = 2),
            MaxPooling1D(2),
            ZeroPadding1D((2, 1)),
            Cropping1D((1, 2)),
            UpSampling1D(2),
            AveragePooling1D(2, strides = 1, padding = same),
            SpatialDropout1D(0.1),
            Conv1D(4, (3,), dilation_rate = 2),
            GlobalMaxPooling1D(keepdims = true),
            Flatten, Dense(3),
        }
    }

    nn::sequential! {
        pub struct Image {
            Input[12, 10, 2],
            DepthwiseConv2D(3, depth_multiplier = 2, padding = same, activation = relu),
            SeparableConv2D(6, (3, 1), depth_multiplier = 2, strides = 2),
            Conv2DTranspose(6, 3, strides = 2, padding = same, output_padding = 1),
            ZeroPadding2D(((1, 1), (0, 2))),
            Cropping2D((1, 2)),
            UpSampling2D((2, 1)),
            Conv2D(4, 3, groups = 2, dilation_rate = 2),
            SpatialDropout2D(0.1),
            AveragePooling2D(2, padding = same),
            MaxPooling2D((2, 1), strides = 1),
            Conv2DTranspose(3, (2, 3), strides = (2, 1)),
            GlobalMaxPooling2D(keepdims = true),
            GlobalAveragePooling2D,
            Dense(3, softmax),
        }
    }
}

mod consts {
    use super::{F1, F2, H, K, P, W};

    nn::sequential! {
        pub struct MnistConvnet {
            Input[H, W, 1],
            Conv2D(F1, K, relu), MaxPooling2D(P),
            Conv2D(F2, K, relu), MaxPooling2D(P),
            Flatten, Dropout(0.5), Dense(10, softmax),
        }
    }

    const STEPS: usize = 32;
    const CHANNELS: usize = 2;
    const FILTERS: usize = 4;
    const GROUPS: usize = 2;
    const DILATION: usize = 2;
    const STRIDES: usize = 2;
    const PAD: usize = 2;
    const CROP: usize = 2;
    const UP: usize = 2;

    nn::sequential! {
        pub struct Sequence {
            Input[STEPS, CHANNELS],
            Conv1D(FILTERS, K, padding = causal, dilation_rate = DILATION, groups = GROUPS, activation = relu),
            Conv1D(FILTERS, K, padding = same, strides = STRIDES),
            MaxPooling1D(P),
            ZeroPadding1D((PAD, 1)),
            Cropping1D((1, CROP)),
            UpSampling1D(UP),
            AveragePooling1D(P, strides = 1, padding = same),
            SpatialDropout1D(0.1),
            Conv1D(FILTERS, (K,), dilation_rate = DILATION),
            GlobalMaxPooling1D(keepdims = true),
            Flatten, Dense(3),
        }
    }

    const ROWS: usize = 12;
    const COLS: usize = 10;
    const MULTIPLIER: usize = 2;
    const F: usize = 6;

    nn::sequential! {
        pub struct Image {
            Input[ROWS, COLS, CHANNELS],
            DepthwiseConv2D(K, depth_multiplier = MULTIPLIER, padding = same, activation = relu),
            SeparableConv2D(F, (K, 1), depth_multiplier = MULTIPLIER, strides = STRIDES),
            Conv2DTranspose(F, K, strides = STRIDES, padding = same, output_padding = 1),
            ZeroPadding2D(((1, 1), (0, PAD))),
            Cropping2D((1, CROP)),
            UpSampling2D((UP, 1)),
            Conv2D(FILTERS, K, groups = GROUPS, dilation_rate = DILATION),
            SpatialDropout2D(0.1),
            AveragePooling2D(P, padding = same),
            MaxPooling2D((P, 1), strides = 1),
            Conv2DTranspose(3, (P, K), strides = (STRIDES, 1)),
            GlobalMaxPooling2D(keepdims = true),
            GlobalAveragePooling2D,
            Dense(3, softmax),
        }
    }
}

// A model with const sizes as a layer of another.
mod nested {
    use super::{F1, H, K, P, W};

    nn::sequential! {
        pub struct Encoder {
            Input[H, W, 1], Conv2D(F1, K, relu), MaxPooling2D(P), Flatten,
        }

        pub struct Classifier {
            Input[28, 28, 1], Encoder, Dense(10, softmax),
        }
    }
}

#[test]
fn a_model_with_const_sizes_nests() {
    use nested::{Classifier, Encoder};
    assert_eq!(Encoder::OUTPUT_SHAPE, [13 * 13 * 32]);
    assert_eq!(Classifier::PARAMS, 320 + 13 * 13 * 32 * 10 + 10);
    let c = Classifier::seeded(0);
    let summary = c.summary();
    assert!(summary.contains("encoder (Sequential)         (None, 5408)              320"), "{summary}");
    let names: Vec<String> = weights(&c).into_iter().map(|(l, w, _, _)| format!("{l}.{w}")).collect();
    assert_eq!(names, ["encoder.conv2d.kernel", "encoder.conv2d.bias", "dense.kernel", "dense.bias"]);
}

/// Every weight: (layer, name, shape, values).
fn weights<M: Model>(m: &M) -> Vec<(String, String, Vec<usize>, Vec<f32>)> {
    let mut out = Vec::new();
    m.visit_weights(&mut |l, w, p| out.push((l.to_string(), w.to_string(), p.shape().to_vec(), p.to_vec())));
    out
}

/// `b` gets `a`'s weights, through the public API.
fn copy_weights<A: Model, B: Model>(a: &A, b: &mut B) {
    let from = weights(a);
    let mut i = 0;
    b.visit_weights_mut(&mut |l, w, p| {
        let (fl, fw, shape, values) = &from[i];
        assert_eq!((l, w, p.shape()), (fl.as_str(), fw.as_str(), &shape[..]));
        p.copy_from_slice(values);
        i += 1;
    });
    assert_eq!(i, from.len());
}

/// A batch of 3 inputs of `M`, the same for every model of that input shape.
fn batch<M: Model>() -> Array<f32, IxDyn> {
    let shape: Vec<usize> = [3].iter().chain(M::INPUT_SHAPE).copied().collect();
    let n: usize = shape.iter().product();
    Array::from_shape_vec(IxDyn(&shape), (0..n).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect()).unwrap()
}

/// `a` (numbers) and `b` (const items) are the same model: `b` is seeded
/// differently, then given `a`'s weights.
fn same_model<A: Model + Sync, B: Model + Sync>(a: &A, b: &mut B, summaries: [String; 2]) {
    assert_eq!(A::NAME, B::NAME);
    assert_eq!(A::INPUT_SHAPE, B::INPUT_SHAPE);
    assert_eq!(A::OUTPUT_SHAPE, B::OUTPUT_SHAPE);
    assert_eq!((A::IN, A::OUT), (B::IN, B::OUT));
    let [sa, sb] = summaries;
    assert_eq!(sa, sb);
    let names = |w: Vec<(String, String, Vec<usize>, Vec<f32>)>| {
        w.into_iter().map(|(l, n, s, _)| (l, n, s)).collect::<Vec<_>>()
    };
    assert_eq!(names(weights(a)), names(weights(b)));
    assert_ne!(weights(a), weights(b), "differently seeded");
    assert_eq!(a.keras_model(), b.keras_model());
    copy_weights(a, b);
    let x = batch::<A>();
    let (ya, yb) = (nn::model::predict_dyn(a, x.view()).unwrap(), nn::model::predict_dyn(b, x.view()).unwrap());
    assert_eq!(ya.shape(), yb.shape());
    assert!(ya.iter().all(|v| v.is_finite()) && ya.iter().any(|v| *v != 0.0), "{ya}");
    assert_eq!(ya, yb);
}

#[test]
fn mnist_convnet_with_const_items() {
    let a = literal::MnistConvnet::seeded(1);
    let mut b = consts::MnistConvnet::seeded(2);
    assert_eq!(consts::MnistConvnet::INPUT_SHAPE, [28, 28, 1]);
    assert_eq!(consts::MnistConvnet::OUTPUT_SHAPE, [10]);
    assert_eq!(consts::MnistConvnet::PARAMS, 34_826); // Keras's count
    assert_eq!(consts::MnistConvnet::PARAMS, literal::MnistConvnet::PARAMS);
    assert_eq!(consts::MnistConvnet::TRAINABLE_PARAMS, literal::MnistConvnet::TRAINABLE_PARAMS);
    assert_eq!(consts::MnistConvnet::NON_TRAINABLE_PARAMS, literal::MnistConvnet::NON_TRAINABLE_PARAMS);
    let summary = b.summary();
    assert!(summary.contains("conv2d (Conv2D)              (None, 26, 26, 32)        320"), "{summary}");
    assert!(summary.contains("max_pooling2d_1 (MaxPooling2 (None, 5, 5, 64)          0"), "{summary}");
    same_model(&a, &mut b, [a.summary(), summary]);
    let kernels: Vec<Vec<usize>> = weights(&b).into_iter().map(|w| w.2).collect();
    assert_eq!(kernels, [vec![3, 3, 1, 32], vec![32], vec![3, 3, 32, 64], vec![64], vec![1600, 10], vec![10]]);
    // One sample as nested arrays of the const sizes, without the heap.
    let mut image = [[[0.0f32; 1]; W]; H];
    image.iter_mut().flatten().enumerate().for_each(|(i, p)| p[0] = (i % 7) as f32 / 7.0);
    assert_eq!(a.predict_one(&image), b.predict_one(&image));
}

#[test]
fn sequence_layers_with_const_items() {
    let a = literal::Sequence::seeded(1);
    let mut b = consts::Sequence::seeded(2);
    assert_eq!(consts::Sequence::PARAMS, literal::Sequence::PARAMS);
    let summary = b.summary();
    for row in [
        "conv1d (Conv1D)              (None, 32, 4)             16",
        "conv1d_1 (Conv1D)            (None, 16, 4)             52",
        "zero_padding1d (ZeroPadding1 (None, 11, 4)",
        "cropping1d (Cropping1D)      (None, 8, 4)",
        "up_sampling1d (UpSampling1D) (None, 16, 4)",
        "conv1d_2 (Conv1D)            (None, 12, 4)",
        "global_max_pooling1d (Global (None, 1, 4)",
    ] {
        assert!(summary.contains(row), "{row}\n{summary}");
    }
    same_model(&a, &mut b, [a.summary(), summary]);
}

#[test]
fn image_layers_with_const_items() {
    let a = literal::Image::seeded(1);
    let mut b = consts::Image::seeded(2);
    assert_eq!(consts::Image::PARAMS, literal::Image::PARAMS);
    let summary = b.summary();
    for row in [
        "depthwise_conv2d (DepthwiseC (None, 12, 10, 4)",
        "separable_conv2d (SeparableC (None, 5, 5, 6)",
        "conv2d_transpose (Conv2DTran (None, 10, 10, 6)",
        "zero_padding2d (ZeroPadding2 (None, 12, 12, 6)",
        "cropping2d (Cropping2D)      (None, 10, 8, 6)",
        "up_sampling2d (UpSampling2D) (None, 20, 8, 6)",
        "conv2d (Conv2D)              (None, 16, 4, 4)",
        "average_pooling2d (AveragePo (None, 8, 2, 4)",
        "max_pooling2d (MaxPooling2D) (None, 7, 2, 4)",
        "conv2d_transpose_1 (Conv2DTr (None, 14, 4, 3)",
        "global_max_pooling2d (Global (None, 1, 1, 3)",
        "global_average_pooling2d (Gl (None, 3)",
    ] {
        assert!(summary.contains(row), "{row}\n{summary}");
    }
    same_model(&a, &mut b, [a.summary(), summary]);
}

/// The runtime's const formulas agree with the macro's folding of
/// literals on awkward sizes: odd inputs with strides (TensorFlow's
/// padding split), dilation, causal strides, transposed outputs with and
/// without `output_padding`. (`n(7)` is a const expression the macro
/// cannot read.)
#[test]
fn const_formulas_agree_with_literal_ones() {
    const fn n(v: usize) -> usize {
        v
    }
    macro_rules! agree {
        ([$($lit:tt)*], [$($sym:tt)*]) => {{
            let a = nn::sequential![seed = 1; $($lit)*];
            let mut b = nn::sequential![seed = 2; $($sym)*];
            let summaries = [a.summary(), b.summary()];
            same_model(&a, &mut b, summaries);
        }};
    }
    agree!(
        [Input[7, 9, 2], Conv2D(3, (3, 2), strides = (2, 3), padding = same), MaxPooling2D(3, strides = 2, padding = same)],
        [Input[n(7), n(9), 2], Conv2D(3, (n(3), 2), strides = (n(2), n(3)), padding = same), MaxPooling2D(n(3), strides = n(2), padding = same)]
    );
    agree!(
        [Input[11, 10, 1], Conv2D(2, 3, dilation_rate = (2, 3)), AveragePooling2D((2, 3), strides = (1, 2), padding = same)],
        [Input[n(11), n(10), 1], Conv2D(2, n(3), dilation_rate = (n(2), n(3))), AveragePooling2D((n(2), n(3)), strides = (1, n(2)), padding = same)]
    );
    agree!(
        [Input[13, 3], Conv1D(2, 4, strides = 3, padding = causal), Conv1D(2, 2, strides = 2, padding = same), AveragePooling1D(2, padding = same)],
        [Input[n(13), 3], Conv1D(n(2), n(4), strides = n(3), padding = causal), Conv1D(2, n(2), strides = n(2), padding = same), AveragePooling1D(n(2), padding = same)]
    );
    agree!(
        [Input[5, 4, 2], Conv2DTranspose(3, (3, 2), strides = (3, 2)), Conv2DTranspose(2, 3, strides = 2, output_padding = (1, 0)), Conv2DTranspose(2, (2, 3), strides = 2, padding = same, output_padding = (1, 0), dilation_rate = 1)],
        [Input[n(5), n(4), 2], Conv2DTranspose(n(3), (n(3), 2), strides = (n(3), n(2))), Conv2DTranspose(2, n(3), strides = n(2), output_padding = (n(1), 0)), Conv2DTranspose(2, (2, n(3)), strides = n(2), padding = same, output_padding = (1, n(0)), dilation_rate = n(1))]
    );
    agree!(
        [Input[6, 5, 2], Conv2DTranspose(2, 3, dilation_rate = 2, padding = same), DepthwiseConv2D(2, depth_multiplier = 3, dilation_rate = (1, 2)), ZeroPadding2D((2, 1)), Cropping2D(((0, 1), (2, 0))), UpSampling2D(3)],
        [Input[n(6), n(5), n(2)], Conv2DTranspose(2, n(3), dilation_rate = n(2), padding = same), DepthwiseConv2D(n(2), depth_multiplier = n(3), dilation_rate = (1, n(2))), ZeroPadding2D((n(2), 1)), Cropping2D(((n(0), 1), (n(2), 0))), UpSampling2D(n(3))]
    );
}
