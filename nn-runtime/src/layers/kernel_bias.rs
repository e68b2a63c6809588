//! What the layers with one kernel and an optional bias share (Dense,
//! Conv2D, DepthwiseConv2D, Conv2DTranspose): drawing them in Keras's order
//! and visiting them, with their gradients, under Keras's names.

#[cfg(feature = "std")]
use crate::init::Initializer;
use crate::Param;
#[cfg(feature = "std")]
use crate::Rng;

/// The kernel of `shapes.0` drawn from `kernel_init`, then the bias of
/// `shapes.1` from `bias_init` (`None`: no bias, Keras's `use_bias=False`).
#[cfg(feature = "std")]
pub(crate) fn draw(
    shapes: (&'static [usize], &'static [usize]),
    kernel_init: &Initializer,
    bias_init: Option<&Initializer>,
    rng: &mut Rng,
) -> (Param, Option<Param>) {
    let kernel = kernel_init.draw(shapes.0, rng);
    let bias = bias_init.map(|init| init.draw(shapes.1, rng));
    (kernel, bias)
}

/// `f("kernel", kernel)`, then `f("bias", bias)` if there is one.
pub(crate) fn visit(kernel: &Param, bias: Option<&Param>, f: &mut dyn FnMut(&'static str, &Param)) {
    f("kernel", kernel);
    if let Some(b) = bias {
        f("bias", b);
    }
}

/// [`visit`], writable.
pub(crate) fn visit_mut(kernel: &mut Param, bias: Option<&mut Param>, f: &mut dyn FnMut(&'static str, &mut Param)) {
    f("kernel", kernel);
    if let Some(b) = bias {
        f("bias", b);
    }
}

/// Each tensor with its gradient: the first `kernel.len()` floats of
/// `dkernel`, the first `bias.len()` of `dbias`.
#[cfg(feature = "std")]
pub(crate) fn visit_grads(
    kernel: &mut Param,
    bias: Option<&mut Param>,
    (dkernel, dbias): (&mut [f32], &mut [f32]),
    f: &mut dyn FnMut(&mut Param, &mut [f32]),
) {
    let nk = kernel.len();
    f(kernel, &mut dkernel[..nk]);
    if let Some(b) = bias {
        let nb = b.len();
        f(b, &mut dbias[..nb]);
    }
}
