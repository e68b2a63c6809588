"""Writes the Keras reference of the other 2-D convolutions for
tests/keras_parity.rs, in the format of tools/keras_reference.py (whose `run`
writes the files): the initial weights with nn's keys, and a data file with
the batch, Keras's inference predictions, the training-mode loss and
gradients of one batch, and the weights after one `train_on_batch` step with
SGD(0.1).

    python tools/keras_conv_more_reference.py   # writes tests/reference/keras/conv_more*.safetensors

Model `conv_more`: Conv2D with `groups = 2`, DepthwiseConv2D with
`depth_multiplier = 2` (`same`, strided: TF's extra row at the bottom),
SeparableConv2D (`depth_multiplier = 2`), Conv2DTranspose (`strides = 2`,
`same`) and a Dense softmax head; every bias starts non-zero so that the
bias layouts are tested too. Model `conv_more_args`: the other arguments
of those layers (grouped, strided, `same` and without bias; depthwise
dilated with `depth_multiplier = 3`; separable strided without bias;
transposed `valid` with `output_padding` and unequal strides, and
transposed `same` with a dilation).
"""
import numpy as np
import keras

from keras_reference import run


def main():
    L = keras.layers
    keras.utils.set_random_seed(19)
    x = np.random.default_rng(20).normal(0, 1, (8, 9, 8, 4)).astype("float32")
    y = np.random.default_rng(21).integers(0, 5, 8)
    model = keras.Sequential([
        keras.Input((9, 8, 4)),
        L.Conv2D(6, 3, groups=2, activation="tanh", name="conv2d"),
        L.DepthwiseConv2D((3, 2), strides=2, padding="same", depth_multiplier=2, activation="relu",
                          name="depthwise_conv2d"),
        L.SeparableConv2D(5, 2, padding="same", depth_multiplier=2, activation="elu", name="separable_conv2d"),
        L.Conv2DTranspose(3, 3, strides=2, padding="same", activation="tanh", name="conv2d_transpose"),
        L.Flatten(name="flatten"),
        L.Dense(5, activation="softmax", name="dense"),
    ])
    rng = np.random.default_rng(22)
    for layer in model.layers:
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(0, 0.1, layer.bias.shape))
    run("conv_more", model, x, y)

    keras.utils.set_random_seed(23)
    x = np.random.default_rng(24).normal(0, 1, (8, 10, 9, 4)).astype("float32")
    y = np.random.default_rng(25).integers(0, 3, 8)
    model = keras.Sequential([
        keras.Input((10, 9, 4)),
        L.Conv2D(8, (2, 3), strides=2, groups=4, padding="same", use_bias=False, activation="elu",
                 name="conv2d"),  # (5, 5, 8)
        L.DepthwiseConv2D(2, dilation_rate=2, depth_multiplier=3, activation="tanh",
                          name="depthwise_conv2d"),  # (3, 3, 24)
        L.SeparableConv2D(6, 2, strides=2, padding="same", use_bias=False, activation="sigmoid",
                          name="separable_conv2d"),  # (2, 2, 6)
        L.Conv2DTranspose(4, (3, 2), strides=(2, 3), output_padding=(1, 2), activation="tanh",
                          name="conv2d_transpose"),  # (6, 7, 4)
        L.Conv2DTranspose(2, 3, padding="same", dilation_rate=2, name="conv2d_transpose_1"),  # (6, 7, 2)
        L.Flatten(name="flatten"),
        L.Dense(3, activation="softmax", name="dense"),
    ])
    rng = np.random.default_rng(26)
    for layer in model.layers:
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(0, 0.1, layer.bias.shape))
    run("conv_more_args", model, x, y)


if __name__ == "__main__":
    main()
