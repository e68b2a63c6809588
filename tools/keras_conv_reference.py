"""Writes Keras references of convolutional models for tests/keras_parity.rs,
in the format of tools/keras_reference.py (whose `run` writes the files):
the initial weights with nn's keys, and a data file with the batch, Keras's
inference predictions, the training-mode loss and gradients of one batch,
and the weights after one `train_on_batch` step with SGD(0.1).

    python tools/keras_conv_reference.py   # writes tests/reference/keras/{mnist_convnet,conv_zoo}*.safetensors

Models: Keras's mnist_convnet on 16 MNIST test images (as (28, 28, 1));
`pool_zoo` (average pooling, `same` and strided, global max pooling with
`keepdims`) and `global_average` (GlobalAveragePooling2D); and
`conv_zoo`, every argument of Conv2D and MaxPooling2D nn has: `same` padding
with an odd total (TF's extra row at the bottom), strides, a non-square
kernel, dilation, no bias, a strided `same` max pooling, then BatchNorm on the
channel axis.
"""
import numpy as np
import keras

from keras_reference import mnist_test, run


def main():
    L = keras.layers
    keras.utils.set_random_seed(5)
    x, y = mnist_test(16)
    convnet = keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(32, 3, activation="relu", name="conv2d"),
        L.MaxPooling2D(2, name="max_pooling2d"),
        L.Conv2D(64, 3, activation="relu", name="conv2d_1"),
        L.MaxPooling2D(2, name="max_pooling2d_1"),
        L.Flatten(name="flatten"),
        L.Dense(10, activation="softmax", name="dense"),
    ])
    run("mnist_convnet", convnet, x[..., None], y)

    keras.utils.set_random_seed(6)
    xz = np.random.default_rng(7).normal(0, 1, (8, 9, 8, 2)).astype("float32")
    yz = np.random.default_rng(8).integers(0, 5, 8)
    zoo = keras.Sequential([
        keras.Input((9, 8, 2)),
        L.Conv2D(4, (3, 2), strides=2, padding="same", activation="tanh", name="conv2d"),
        L.MaxPooling2D((2, 2), strides=1, padding="same", name="max_pooling2d"),
        L.Conv2D(3, 2, dilation_rate=(2, 1), use_bias=False, activation="relu", name="conv2d_1"),
        L.BatchNormalization(name="batch_normalization"),
        L.MaxPooling2D((2, 3), strides=(1, 2), padding="same", name="max_pooling2d_1"),
        L.Flatten(name="flatten"),
        L.Dense(5, activation="softmax", name="dense"),
    ])
    bn = zoo.get_layer("batch_normalization")
    rng = np.random.default_rng(9)
    bn.moving_mean.assign(rng.normal(0, 0.2, 3))
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, 3))
    run("conv_zoo", zoo, xz, yz)

    keras.utils.set_random_seed(10)
    xp = np.random.default_rng(11).normal(0, 1, (8, 7, 6, 3)).astype("float32")
    yp = np.random.default_rng(12).integers(0, 5, 8)
    pools = keras.Sequential([
        keras.Input((7, 6, 3)),
        L.AveragePooling2D((2, 3), strides=(2, 1), padding="same", name="average_pooling2d"),
        L.Conv2D(4, 2, activation="elu", name="conv2d"),
        L.AveragePooling2D(2, name="average_pooling2d_1"),
        L.GlobalMaxPooling2D(keepdims=True, name="global_max_pooling2d"),
        L.Flatten(name="flatten"),
        L.Dense(5, activation="softmax", name="dense"),
    ])
    run("pool_zoo", pools, xp, yp)

    keras.utils.set_random_seed(13)
    xg = np.random.default_rng(14).normal(0, 1, (8, 5, 5, 2)).astype("float32")
    yg = np.random.default_rng(15).integers(0, 4, 8)
    gap = keras.Sequential([
        keras.Input((5, 5, 2)),
        L.Conv2D(3, 3, padding="same", activation="relu", name="conv2d"),
        L.GlobalAveragePooling2D(name="global_average_pooling2d"),
        L.Dense(4, activation="softmax", name="dense"),
    ])
    run("global_average", gap, xg, yg)

    keras.utils.set_random_seed(16)
    xr = np.random.default_rng(17).normal(0, 1, (8, 5, 4, 2)).astype("float32")
    yr = np.random.default_rng(18).integers(0, 4, 8)
    remaps = keras.Sequential([
        keras.Input((5, 4, 2)),
        L.ZeroPadding2D(((1, 2), (0, 1)), name="zero_padding2d"),
        L.Conv2D(3, 2, activation="tanh", name="conv2d"),
        L.Cropping2D(((1, 0), (1, 1)), name="cropping2d"),
        L.UpSampling2D((2, 1), name="up_sampling2d"),
        L.ZeroPadding2D(1, name="zero_padding2d_1"),
        L.Flatten(name="flatten"),
        L.Dense(4, activation="softmax", name="dense"),
    ])
    run("remap_zoo", remaps, xr, yr)


if __name__ == "__main__":
    main()
