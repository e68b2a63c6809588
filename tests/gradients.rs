//! Finite-difference checks of every backward pass, in training mode.
//!
//! Model level: small `sequential!` models, one per layer kind and
//! activation, and the whole seed model; every trainable tensor's gradient
//! from `visit_grads` is compared with central differences of the loss.
//! Layer level: each layer's input gradient (which the model never computes
//! for its first layer) against central differences of `sum(r * y)`.
//!
//! Sampled layers (Dropout, AlphaDropout, RReLU, GaussianNoise, GaussianDropout) draw from a generator that
//! is re-seeded identically for every evaluation, so their masks and slopes
//! are held fixed across the differences (for RReLU the draws also depend on
//! the sign pattern, which the kink test below keeps fixed).
//!
//! Tolerances. Everything is f32: the loss of these small models carries a
//! rounding noise of about 1.3e-7 (measured: plain central differences with
//! step 5e-3 were off by ~1.3e-5 on gradients near 1e-3), so a difference
//! with step h has noise ~1.3e-7 / h, while its truncation error grows as
//! h^2 (at h = 2e-2 it reached 2e-3 relative on BatchNorm). Hence
//! Richardson's extrapolation of the central differences at h and 2h
//! (truncation O(h^4)) with h = 2e-2: noise ~7e-6 absolute, truncation
//! negligible. Relative error is measured against max(|numeric|,
//! |analytic|, FLOOR) with FLOOR = 3e-2, i.e. gradients below 3e-2 are held
//! to an absolute 3e-5, about five times the noise; the rest to relative
//! 1e-3. Measured worst relative errors are at most 5e-4 and mostly below
//! 3e-4 (the seed model, noisier, has its own tolerance: see its test).
//!
//! Piecewise-linear functions (ReLU, leaky ReLU, PReLU, RReLU, MAE) have
//! kinks: an element whose step moves some value across a kink has one-sided
//! differences that disagree; such an element, when it misses the tolerance,
//! is skipped if its two one-sided slopes differ by more than 10 % of the
//! larger plus FLOOR/10 (a wrong analytic gradient leaves them consistent),
//! and at most a quarter of a tensor may be skipped.

use nn::layers::Train;
use nn::loss::{
    BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
};
use nn::Model;
use rand::Rng as _;

/// Seed of the generator behind dropout masks and RReLU slopes, the same for every evaluation.
const MASK_SEED: u64 = 7;
/// Relative error allowed.
const RTOL: f64 = 1e-3;
/// Gradients smaller than this are compared in absolute terms (RTOL * FLOOR).
const FLOOR: f64 = 3e-2;
/// Step of the differences.
const H: f32 = 2e-2;

/// How a model is checked: the step, the relative tolerance, and how many
/// elements per tensor (`None`: all of them).
#[derive(Clone, Copy)]
struct Tol {
    h: f32,
    rtol: f64,
    per_tensor: Option<usize>,
}

/// The small models: every element, step `H`, tolerance `RTOL`.
const SMALL: Tol = Tol { h: H, rtol: RTOL, per_tensor: None };

fn uniform(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut r = nn::rng::seeded(seed);
    (0..n).map(|_| r.random_range(lo..hi)).collect()
}

/// Values in ±[0.1, 1]: away from every activation's kink at 0.
fn away_from_zero(n: usize, seed: u64) -> Vec<f32> {
    let mut r = nn::rng::seeded(seed);
    (0..n)
        .map(|_| {
            let v = r.random_range(0.1f32..1.0);
            if r.random::<bool>() {
                v
            } else {
                -v
            }
        })
        .collect()
}

/// Training-mode loss of `m` on `x`, with the mask generator re-seeded.
fn loss_value<M: Model, L: Loss>(
    m: &mut M,
    ws: &mut M::Workspace,
    x: &[f32],
    y: &[L::Elem],
    loss: &L,
    logits: bool,
) -> f64 {
    let mut rng = nn::rng::seeded(MASK_SEED);
    let out = m.forward(ws, x, &mut rng);
    let w = *M::OUTPUT_SHAPE.last().unwrap();
    f64::from(loss.compute(out, y, w, logits, None))
}

/// Adds `delta` to element `j` of trainable tensor `t` (in `visit_grads` order).
fn nudge<M: Model>(m: &mut M, ws: &mut M::Workspace, t: usize, j: usize, delta: f32) {
    let mut k = 0;
    m.visit_grads(ws, &mut |p, _| {
        if k == t {
            p.as_mut_slice()[j] += delta;
        }
        k += 1;
    });
}

/// Values of a function at `x - 2h, x - h, x, x + h, x + 2h`.
type Stencil = [f64; 5];

/// The derivative from a stencil: Richardson's extrapolation of the central
/// differences at `h` and `2h`, `(4 D(h) - D(2h)) / 3`, whose truncation
/// error is O(h^4).
fn derivative(f: &Stencil, h: f64) -> f64 {
    let d1 = (f[3] - f[1]) / (2.0 * h);
    let d2 = (f[4] - f[0]) / (4.0 * h);
    (4.0 * d1 - d2) / 3.0
}

/// Compares one analytic derivative with the stencil's; returns `None` when
/// a kink lies within the stencil (element skipped), else the relative error.
fn compare(analytic: f64, f: &Stencil, h: f64) -> Option<f64> {
    let numeric = derivative(f, h);
    let err = (numeric - analytic).abs() / numeric.abs().max(analytic.abs()).max(FLOOR);
    // A wrong analytic gradient leaves the one-sided slopes consistent; only
    // a kink inside the stencil makes them jump.
    let slopes = [(f[1] - f[0]) / h, (f[2] - f[1]) / h, (f[3] - f[2]) / h, (f[4] - f[3]) / h];
    let (lo, hi) = slopes.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    let kink = hi - lo > 0.1 * lo.abs().max(hi.abs()) + FLOOR / 10.0;
    if err >= RTOL && kink {
        None
    } else {
        Some(err)
    }
}

/// Evaluates `f` at the five stencil points of step `h` around the current value.
fn stencil(h: f32, mut f: impl FnMut(f32) -> f64) -> Stencil {
    [f(-2.0 * h), f(-h), f(0.0), f(h), f(2.0 * h)]
}

/// Checks every trainable tensor of `m` (all elements, or `per_tensor`
/// chosen ones: the largest analytic gradients and a few random ones).
fn check_model<M: Model, L: Loss>(label: &str, m: &mut M, x: &[f32], y: &[L::Elem], loss: &L, logits: bool, tol: Tol) {
    let Tol { h, rtol, per_tensor } = tol;
    let mut ws = M::Workspace::default();
    let w = *M::OUTPUT_SHAPE.last().unwrap();
    let mut rng = nn::rng::seeded(MASK_SEED);
    let out = m.forward(&mut ws, x, &mut rng).to_vec();
    let mut dy = vec![0.0; out.len()];
    loss.compute(&out, y, w, logits, Some(&mut dy));
    m.backward(&mut ws, x, &dy, logits);
    let mut grads: Vec<Vec<f32>> = Vec::new();
    m.visit_grads(&mut ws, &mut |_, g| grads.push(g.to_vec()));
    assert!(!grads.is_empty(), "{label}: no trainable tensors");

    let mut worst = 0.0f64;
    for (t, g) in grads.iter().enumerate() {
        let elements: Vec<usize> = match per_tensor {
            None => (0..g.len()).collect(),
            Some(k) => {
                let mut idx: Vec<usize> = (0..g.len()).collect();
                idx.sort_by(|&a, &b| g[b].abs().total_cmp(&g[a].abs()));
                let mut chosen: Vec<usize> = idx[..k.min(g.len())].to_vec();
                let mut r = nn::rng::seeded(t as u64);
                chosen.extend((0..k / 2).map(|_| r.random_range(0..g.len())));
                chosen
            }
        };
        let (mut skipped, mut checked) = (0, 0);
        for &j in &elements {
            let f = stencil(h, |d| {
                nudge(m, &mut ws, t, j, d);
                let v = loss_value(m, &mut ws, x, y, loss, logits);
                nudge(m, &mut ws, t, j, -d);
                v
            });
            match compare(f64::from(g[j]), &f, f64::from(h)) {
                None => skipped += 1,
                Some(err) => {
                    checked += 1;
                    worst = worst.max(err);
                    assert!(
                        err < rtol,
                        "{label}: tensor #{t} element {j}: analytic {} vs numeric {} (relative error {err:.2e})",
                        g[j],
                        derivative(&f, f64::from(h))
                    );
                }
            }
        }
        assert!(
            skipped * 4 <= elements.len(),
            "{label}: tensor #{t}: {skipped} of {} elements straddle a kink",
            elements.len()
        );
        assert!(checked > 0, "{label}: tensor #{t}: nothing checked");
    }
    eprintln!("{label}: worst relative error {worst:.2e}");
}

/// `sum(r * y)` of the layer's training-mode output `y` on `x`, the mask
/// generator re-seeded.
fn weighted_output<Ly: Train>(layer: &mut Ly, x: &[f32], r: &[f32]) -> f64 {
    let mut st = Ly::State::default();
    let mut y = vec![0.0; r.len()];
    layer.forward(&mut st, x, &mut y, &mut nn::rng::seeded(MASK_SEED));
    y.iter().zip(r).map(|(&y, &r)| f64::from(y) * f64::from(r)).sum()
}

/// Checks `sum(r * y)`'s gradient with respect to a layer's input.
fn check_layer_input<Ly: Train + Clone>(label: &str, layer: &Ly, batch: usize, h: f32) {
    let x = away_from_zero(batch * Ly::IN, 11);
    let r = uniform(batch * Ly::OUT, 12, -1.0, 1.0);
    let value = |layer: &mut Ly, x: &[f32]| weighted_output(layer, x, &r);
    let mut l = layer.clone();
    let mut st = Ly::State::default();
    let mut y = vec![0.0; batch * Ly::OUT];
    l.forward(&mut st, &x, &mut y, &mut nn::rng::seeded(MASK_SEED));
    let mut dx = vec![0.0; x.len()];
    l.backward(&mut st, &x, &y, &r, Some(&mut dx));

    let (mut worst, mut skipped) = (0.0f64, 0);
    for i in 0..x.len() {
        let f = stencil(h, |d| {
            let mut xp = x.clone();
            xp[i] += d;
            value(&mut l, &xp)
        });
        match compare(f64::from(dx[i]), &f, f64::from(h)) {
            None => skipped += 1,
            Some(err) => {
                worst = worst.max(err);
                assert!(
                    err < RTOL,
                    "{label}: dx[{i}] analytic {} vs numeric {} ({err:.2e})",
                    dx[i],
                    derivative(&f, f64::from(h))
                );
            }
        }
    }
    assert!(skipped * 4 <= x.len(), "{label}: {skipped} of {} inputs straddle a kink", x.len());
    eprintln!("{label}: input gradient worst relative error {worst:.2e}");
}

const BATCH: usize = 5;

fn data(seed: u64) -> (Vec<f32>, Vec<usize>) {
    let x = uniform(BATCH * 4, seed, -1.0, 1.0);
    let y = (0..BATCH).map(|i| (i * 7 + seed as usize) % 3).collect();
    (x, y)
}

/// One model per layer kind: `Input[4], Dense(6), <layer>, Dense(3, softmax)`,
/// checked with the fused (logits) cross-entropy gradient.
macro_rules! layer_models {
    ($($test:ident: $model:ident { $($layer:tt)* })*) => {$(
        nn::sequential! {
            struct $model {
                Input[4],
                Dense(6),
                $($layer)*,
                Dense(3, softmax),
            }
        }

        #[test]
        fn $test() {
            let mut m = $model::seeded(1);
            let (x, y) = data(3);
            check_model(stringify!($model), &mut m, &x, &y, &SparseCategoricalCrossentropy, true, SMALL);
        }
    )*};
}

layer_models! {
    dense_linear: DenseLinear { Dense(5, linear) }
    dense_relu: DenseRelu { Dense(5, relu) }
    dense_elu: DenseElu { Dense(5, elu) }
    dense_selu: DenseSelu { Dense(5, selu) }
    dense_leaky_relu: DenseLeakyRelu { Dense(5, leaky_relu) }
    dense_tanh: DenseTanh { Dense(5, tanh) }
    dense_sigmoid: DenseSigmoid { Dense(5, sigmoid) }
    dense_softmax: DenseSoftmax { Dense(5, softmax) }
    dense_softplus: DenseSoftplus { Dense(5, softplus) }
    dense_swish: DenseSwish { Dense(5, swish) }
    dense_gelu: DenseGelu { Dense(5, gelu) }
    dense_no_bias: DenseNoBias { Dense(5, tanh, no_bias) }
    batch_norm: BatchNormModel { BatchNorm }
    activation_relu: ActRelu { Activation(relu) }
    activation_elu: ActElu { Activation(elu) }
    activation_selu: ActSelu { Activation(selu) }
    activation_leaky_relu: ActLeakyRelu { Activation(leaky_relu) }
    activation_tanh: ActTanh { Activation(tanh) }
    activation_sigmoid: ActSigmoid { Activation(sigmoid) }
    activation_softmax: ActSoftmax { Activation(softmax) }
    activation_softplus: ActSoftplus { Activation(softplus) }
    activation_swish: ActSwish { Activation(swish) }
    activation_gelu: ActGelu { Activation(gelu) }
    leaky_relu_layer: LeakyReluModel { LeakyReLU(alpha = 0.2) }
    prelu_layer: PReluModel { PReLU }
    elu_layer: EluModel { ELU(alpha = 0.7) }
    dropout_layer: DropoutModel { Dropout(rate = 0.4) }
    alpha_dropout_layer: AlphaDropoutModel { AlphaDropout(rate = 0.3) }
    rrelu_layer: RReluModel { RReLU }
    relu_layer: ReluModel { ReLU(max_value = 0.8, negative_slope = 0.1) }
    relu_layer_plain: ReluPlainModel { ReLU }
    relu_layer_slope: ReluSlopeModel { ReLU(negative_slope = 0.3) }
    softmax_layer: SoftmaxModel { Softmax }
    gaussian_noise_layer: GaussianNoiseModel { GaussianNoise(0.3) }
    gaussian_dropout_layer: GaussianDropoutModel { GaussianDropout(0.3) }
}

/// PReLU starts with zero slopes (Keras); with non-zero ones the alpha
/// gradient and the input gradient through the negative side are exercised too.
#[test]
fn prelu_with_nonzero_alpha() {
    let mut m = PReluModel::seeded(2);
    let alphas = uniform(6, 5, 0.1, 0.5);
    m.p_re_lu.alpha.as_mut_slice().copy_from_slice(&alphas);
    let (x, y) = data(4);
    check_model("PReLU alpha != 0", &mut m, &x, &y, &SparseCategoricalCrossentropy, true, SMALL);
}

/// The unfused path: softmax's own backward times the clipped cross-entropy's gradient.
#[test]
fn softmax_output_unfused() {
    let mut m = DenseLinear::seeded(5);
    let (x, y) = data(6);
    check_model("unfused sparse CE", &mut m, &x, &y, &SparseCategoricalCrossentropy, false, SMALL);
    let t: Vec<f32> = uniform(BATCH * 3, 9, 0.0, 1.0);
    check_model("unfused categorical CE (soft targets)", &mut m, &x, &t, &CategoricalCrossentropy, false, SMALL);
}

#[test]
fn categorical_crossentropy_fused() {
    let mut m = DenseTanh::seeded(5);
    let (x, y) = data(6);
    let mut t = vec![0.0f32; BATCH * 3];
    for (i, &c) in y.iter().enumerate() {
        t[i * 3 + c] = 1.0;
    }
    check_model("fused categorical CE (one-hot)", &mut m, &x, &t, &CategoricalCrossentropy, true, SMALL);
    let soft: Vec<f32> = uniform(BATCH * 3, 10, 0.0, 0.7);
    check_model("fused categorical CE (soft, unnormalized)", &mut m, &x, &soft, &CategoricalCrossentropy, true, SMALL);
}

nn::sequential! {
    /// Softmax as a separate Activation at the end: the fused gradient goes through `Activation::backward_logits`.
    struct SoftmaxActivationOut {
        Input[4],
        Dense(6, tanh),
        Dense(3),
        Activation(softmax),
    }
}

#[test]
fn softmax_activation_output_fused() {
    let mut m = SoftmaxActivationOut::seeded(3);
    let (x, y) = data(8);
    const { assert!(<SoftmaxActivationOut as Model>::SOFTMAX_OUTPUT) };
    check_model("Activation(softmax) output, fused", &mut m, &x, &y, &SparseCategoricalCrossentropy, true, SMALL);
}

nn::sequential! {
    struct SigmoidOut {
        Input[4],
        Dense(6, tanh),
        Dense(3, sigmoid),
    }
}

nn::sequential! {
    struct LinearOut {
        Input[4],
        Dense(6, tanh),
        Dense(3),
    }
}

#[test]
fn binary_crossentropy() {
    let mut m = SigmoidOut::seeded(4);
    let x = uniform(BATCH * 4, 21, -1.0, 1.0);
    let t: Vec<f32> = (0..BATCH * 3).map(|i| (i % 2) as f32).collect();
    check_model("binary CE", &mut m, &x, &t, &BinaryCrossentropy, false, SMALL);
    let soft = uniform(BATCH * 3, 22, 0.0, 1.0);
    check_model("binary CE (soft targets)", &mut m, &x, &soft, &BinaryCrossentropy, false, SMALL);
}

#[test]
fn regression_losses() {
    let mut m = LinearOut::seeded(6);
    let x = uniform(BATCH * 4, 31, -1.0, 1.0);
    let t = uniform(BATCH * 3, 32, -2.0, 2.0);
    // A smaller step: MAE's and Huber's kinks (at errors 0 and ±1) are crossed less often.
    check_model("MSE", &mut m, &x, &t, &MeanSquaredError, false, SMALL);
    check_model("MAE", &mut m, &x, &t, &MeanAbsoluteError, false, Tol { h: H / 2.0, ..SMALL });
    check_model("Huber", &mut m, &x, &t, &Huber, false, Tol { h: H / 2.0, ..SMALL });
}

/// Each loss's gradient with respect to its input, directly.
fn check_loss<L: Loss>(label: &str, loss: &L, p: &[f32], y: &[L::Elem], width: usize, logits: bool) {
    let mut g = vec![0.0; p.len()];
    loss.compute(p, y, width, logits, Some(&mut g));
    let h = 1e-2f32;
    for i in 0..p.len() {
        let f = stencil(h, |d| {
            let mut q = p.to_vec();
            q[i] += d;
            f64::from(loss.compute(&q, y, width, logits, None))
        });
        let err = compare(f64::from(g[i]), &f, f64::from(h)).unwrap_or_else(|| panic!("{label}: kink at {i}"));
        assert!(
            err < RTOL,
            "{label}: d/dp[{i}] analytic {} vs numeric {} ({err:.2e})",
            g[i],
            derivative(&f, f64::from(h))
        );
    }
}

#[test]
fn losses_against_their_inputs() {
    // Probabilities inside (0.05, 0.95): no clipping within the step.
    let p = [0.2, 0.5, 0.3, 0.6, 0.3, 0.1, 0.15, 0.15, 0.7];
    let unnormalized = [0.2, 0.6, 0.3, 0.6, 0.3, 0.2, 0.15, 0.25, 0.7];
    check_loss("sparse CE", &SparseCategoricalCrossentropy, &unnormalized, &[1, 0, 2], 3, false);
    let t = [0.0, 1.0, 0.0, 0.3, 0.3, 0.4, 0.0, 0.0, 1.0];
    check_loss("categorical CE", &CategoricalCrossentropy, &unnormalized, &t, 3, false);
    check_loss("binary CE", &BinaryCrossentropy, &p, &t, 3, false);
    let r = [1.2, -0.3, 0.8, 2.5, -1.7, 0.05, -0.4, 0.9, 3.0];
    let rt = [0.0, 0.5, -1.0, 0.4, 0.2, 0.9, 0.3, -0.2, 1.1];
    check_loss("MSE", &MeanSquaredError, &r, &rt, 3, false);
    check_loss("MAE", &MeanAbsoluteError, &r, &rt, 3, false);
    check_loss("Huber", &Huber, &r, &rt, 3, false);
}

#[test]
fn fused_gradient_is_the_logits_gradient() {
    // d/dz of CE(softmax(z)) numerically, against the fused gradient the loss writes.
    let z = [0.3f32, -1.2, 0.8, 1.5, 0.1, -0.4];
    let softmax = |z: &[f32]| {
        let mut p = z.to_vec();
        for row in p.chunks_mut(3) {
            nn::kernels::activation::softmax_row(row);
        }
        p
    };
    let y = [2usize, 0];
    let mut g = vec![0.0; 6];
    SparseCategoricalCrossentropy.compute(&softmax(&z), &y, 3, true, Some(&mut g));
    let h = 1e-2f32;
    for i in 0..6 {
        let mut zp = z;
        zp[i] += h;
        let mut zm = z;
        zm[i] -= h;
        let f = |z: &[f32]| f64::from(SparseCategoricalCrossentropy.compute(&softmax(z), &y, 3, true, None));
        let numeric = (f(&zp) - f(&zm)) / (2.0 * f64::from(h));
        let err = (numeric - f64::from(g[i])).abs() / numeric.abs().max(FLOOR);
        assert!(err < RTOL, "dz[{i}]: {} vs {numeric}", g[i]);
    }
}

/// Step for the layer-level checks: their `sum(r * y)` is a short f64 sum
/// of f32 outputs, far less noisy than a model's loss, so a smaller step
/// fits; it keeps the stencil off ELU's and SELU's jump in curvature at 0
/// (they are only C1 there), where h = 2e-2 measured 1.3e-3.
const LAYER_H: f32 = 5e-3;

// Layer-level input gradients: every layer kind, on a batch of 4.
#[test]
fn layer_input_gradients() {
    use nn::activations::{Elu, Gelu, LeakyRelu, Linear, Relu, Selu, Sigmoid, Softmax, Softplus, Swish, Tanh};
    use nn::init::Initializer;
    use nn::layers::{Activation, AlphaDropout, BatchNorm, Dense, Dropout, PRelu, RRelu};
    let mut rng = nn::rng::seeded(0);
    let init = Initializer::glorot_uniform();
    let bias = Initializer::Constant(0.1);
    macro_rules! dense {
        ($($a:ident),*) => {$(
            check_layer_input(concat!("Dense ", stringify!($a)), &Dense::<5, 4, $a>::new(&init, Some(&bias), &mut rng), 4, LAYER_H);
        )*};
    }
    dense!(Linear, Relu, Elu, Selu, LeakyRelu, Tanh, Sigmoid, Softmax, Softplus, Swish, Gelu);
    macro_rules! act {
        ($($a:ident),*) => {$(
            check_layer_input(concat!("Activation ", stringify!($a)), &Activation::<$a, 5>::new(), 4, LAYER_H);
        )*};
    }
    act!(Linear, Relu, Elu, Selu, LeakyRelu, Tanh, Sigmoid, Softmax, Softplus, Swish, Gelu);
    let mut bn = BatchNorm::<5>::new(0.99, 1e-3);
    bn.gamma.as_mut_slice().copy_from_slice(&uniform(5, 40, 0.5, 1.5));
    bn.beta.as_mut_slice().copy_from_slice(&uniform(5, 41, -0.5, 0.5));
    check_layer_input("BatchNorm", &bn, 6, LAYER_H);
    check_layer_input("LeakyReLU", &nn::layers::LeakyRelu::<5>::new(0.3), 4, LAYER_H);
    let mut prelu = PRelu::<5>::new(&[5]);
    prelu.alpha.as_mut_slice().copy_from_slice(&uniform(5, 42, 0.1, 0.5));
    check_layer_input("PReLU", &prelu, 4, LAYER_H);
    check_layer_input("ELU", &nn::layers::Elu::<5>::new(1.0), 4, LAYER_H);
    check_layer_input("Dropout", &Dropout::<5>::new(0.5), 4, LAYER_H);
    check_layer_input("AlphaDropout", &AlphaDropout::<5>::new(0.3), 4, LAYER_H);
    check_layer_input("RReLU", &RRelu::<5>::new(0.125, 1.0 / 3.0), 4, LAYER_H);
    check_layer_input("ReLU", &nn::layers::Relu::<5>::new(0.8, 0.1, 0.2), 4, LAYER_H);
    check_layer_input("ReLU plain", &nn::layers::Relu::<5>::new(f32::INFINITY, 0.0, 0.0), 4, LAYER_H);
    check_layer_input("GaussianNoise", &nn::layers::GaussianNoise::<5>::new(0.3), 4, LAYER_H);
    check_layer_input("GaussianDropout", &nn::layers::GaussianDropout::<5>::new(0.3), 4, LAYER_H);
}

nn::sequential! {
    /// The seed model of API.md.
    struct SeedMlp {
        Flatten[28, 28],
        BatchNorm,
        Dense(300, he_normal, no_bias),
        Activation(elu),
        BatchNorm,
        Dense(100, he_normal, no_bias),
        Activation(elu),
        BatchNorm,
        Dense(10, softmax),
    }
}

/// The whole seed model: the 12 largest and 6 random elements of each tensor.
///
/// Tolerance 3e-3 rather than 1e-3: three BatchNorms (784, 300 and 100
/// features) over a batch of 8 make the f32 loss noisier (about 1e-6 here
/// against 1e-7 for the small models; measured worst errors were 3.5e-3,
/// 1.5e-3 and 2.1e-3 at steps 5e-3, 1e-2 and 2e-2: noise below, ELU's jump in
/// curvature at 0 above), so 1e-3 is not reachable with f32 differences.
#[test]
fn seed_model() {
    let mut m = SeedMlp::seeded(42);
    let x = uniform(8 * 784, 50, 0.0, 1.0);
    let y: Vec<usize> = (0..8).map(|i| (i * 3) % 10).collect();
    check_model(
        "seed model",
        &mut m,
        &x,
        &y,
        &SparseCategoricalCrossentropy,
        true,
        Tol { h: 1e-2, rtol: 3e-3, per_tensor: Some(12) },
    );
}

/// Convolution and pooling: `valid`/`same`, strides, dilation, no bias, and
/// the gradient through max pooling; each a small image model checked like
/// the dense ones (input values away from the kinks of relu and max).
macro_rules! image_models {
    ($($test:ident: $model:ident { $($layer:tt)* })*) => {$(
        nn::sequential! {
            struct $model {
                Input[6, 5, 2],
                $($layer)*,
                Flatten,
                Dense(3, softmax),
            }
        }

        #[test]
        fn $test() {
            let mut m = $model::seeded(1);
            let x = away_from_zero(BATCH * 6 * 5 * 2, 9);
            let y: Vec<usize> = (0..BATCH).map(|i| (i * 7 + 3) % 3).collect();
            check_model(stringify!($model), &mut m, &x, &y, &SparseCategoricalCrossentropy, true, SMALL);
        }
    )*};
}

image_models! {
    conv2d_valid: Conv2dValid { Conv2D(3, 3, tanh) }
    conv2d_same_strided: Conv2dSameStrided { Conv2D(4, (3, 2), padding = same, strides = 2, activation = sigmoid) }
    conv2d_dilated_no_bias: Conv2dDilated { Conv2D(2, 2, dilation_rate = (2, 1), use_bias = false) }
    max_pooling_same: MaxPoolSame { MaxPooling2D((2, 3), strides = (1, 2), padding = same), Conv2D(2, 1) }
    conv2d_batch_norm: Conv2dBatchNorm { Conv2D(3, 3), BatchNorm, Activation(swish) }
    average_pooling_same: AvgPoolSame { Conv2D(3, 2, activation = tanh), AveragePooling2D((2, 3), strides = (1, 2), padding = same) }
    global_average_pooling: GlobalAvgPool { Conv2D(4, 3, padding = same, activation = elu), GlobalAveragePooling2D }
    global_max_pooling_keepdims: GlobalMaxPoolKeep { GlobalMaxPooling2D(keepdims = true), Conv2D(3, 1) }
    padding_cropping_up_sampling: Remaps {
        ZeroPadding2D(((1, 0), (2, 1))), Conv2D(3, 2, activation = tanh), Cropping2D((1, 2)), UpSampling2D(2)
    }
    conv2d_grouped: Conv2dGrouped { Conv2D(4, (3, 2), groups = 2, padding = same, activation = tanh), Conv2D(2, 2, groups = 2) }
    spatial_dropout2d: SpatialDropout2dModel { Conv2D(4, 2, activation = tanh), SpatialDropout2D(0.4) }
}

/// The 1-D layers, each in a small sequence model `Input[8, 4], <layers>,
/// Flatten, Dense(3, softmax)`, checked like the image ones.
macro_rules! sequence_models {
    ($($test:ident: $model:ident { $($layer:tt)* })*) => {$(
        nn::sequential! {
            struct $model {
                Input[8, 4],
                $($layer)*,
                Flatten,
                Dense(3, softmax),
            }
        }

        #[test]
        fn $test() {
            let mut m = $model::seeded(1);
            let x = away_from_zero(BATCH * 8 * 4, 9);
            let y: Vec<usize> = (0..BATCH).map(|i| (i * 7 + 3) % 3).collect();
            check_model(stringify!($model), &mut m, &x, &y, &SparseCategoricalCrossentropy, true, SMALL);
        }
    )*};
}

sequence_models! {
    conv1d_valid: Conv1dValid { Conv1D(3, 3, tanh) }
    conv1d_same_strided: Conv1dSameStrided { Conv1D(4, 3, padding = same, strides = 2, activation = sigmoid) }
    conv1d_causal: Conv1dCausal { Conv1D(3, 3, padding = causal, activation = tanh) }
    conv1d_causal_dilated: Conv1dCausalDilated { Conv1D(3, 2, padding = causal, dilation_rate = 3, activation = sigmoid) }
    conv1d_causal_strided: Conv1dCausalStrided { Conv1D(2, 3, padding = causal, strides = 3, use_bias = false) }
    conv1d_dilated_no_bias: Conv1dDilated { Conv1D(2, 2, dilation_rate = 2, use_bias = false) }
    conv1d_grouped: Conv1dGrouped {
        Conv1D(6, 3, groups = 2, padding = same, activation = tanh), Conv1D(4, 2, groups = 2, padding = causal)
    }
    conv1d_depthwise_groups: Conv1dDepthwise { Conv1D(4, 3, groups = 4, activation = tanh), Conv1D(2, 1) }
    max_pooling1d_same: MaxPool1dSame { MaxPooling1D(3, strides = 2, padding = same), Conv1D(2, 1) }
    max_pooling1d_valid: MaxPool1dValid { MaxPool1D, Conv1D(3, 2, activation = tanh) }
    average_pooling1d_same: AvgPool1dSame { Conv1D(3, 2, activation = tanh), AveragePooling1D(3, strides = 2, padding = same) }
    average_pooling1d_valid: AvgPool1dValid { Conv1D(3, 1, activation = tanh), AvgPool1D(pool_size = 2, strides = 1) }
    global_average_pooling1d: GlobalAvgPool1d { Conv1D(4, 3, padding = same, activation = elu), GlobalAveragePooling1D }
    global_max_pooling1d_keepdims: GlobalMaxPool1dKeep { GlobalMaxPooling1D(keepdims = true), Conv1D(3, 1) }
    zero_padding1d: ZeroPad1d { ZeroPadding1D((1, 2)), Conv1D(3, 2, activation = tanh) }
    cropping1d: Crop1d { Conv1D(3, 2, activation = tanh), Cropping1D((2, 1)) }
    up_sampling1d: UpSample1d { Conv1D(3, 2, activation = tanh), UpSampling1D(3), Conv1D(2, 3, strides = 2) }
    padding_cropping_up_sampling1d: Remaps1d {
        ZeroPadding1D(1), Conv1D(3, 2, activation = tanh), Cropping1D, UpSampling1D, Conv1D(2, 2)
    }
    spatial_dropout1d: SpatialDropout1dModel { Conv1D(4, 2, activation = tanh), SpatialDropout1D(0.4) }
    conv1d_batch_norm: Conv1dBatchNorm { Conv1D(3, 3), BatchNorm, Activation(swish) }
}

/// The 1-D layers' input gradients, which their models never compute when
/// they come first: Conv1D `causal` (dilated, grouped) and `same` strided,
/// average pooling, padding, cropping and up-sampling (as the index maps of
/// height 1 they are), and the spatial dropouts (mask held fixed).
#[test]
fn one_d_layer_input_gradients() {
    use nn::layers::{AveragePooling2D, Conv2D, ConvGeometry, Remap, Remap2D, SpatialDropout};
    let init = nn::init::Initializer::glorot_uniform();
    let bias = nn::init::Initializer::Constant(0.1);
    // Causal: 2 · (3 − 1) = 4 zeros on the left; 2 groups of 2 channels and 3 filters.
    const CAUSAL: ConvGeometry = ConvGeometry::new([1, 7, 4], 6, [1, 3], [1, 1], [1, 2], [0, 4], [1, 7]).grouped(2);
    let shapes: (&'static [usize], &'static [usize]) = (&[3, 2, 6], &[6]);
    let conv =
        Conv2D::<28, 42, 84, nn::activations::Tanh>::new(CAUSAL, shapes, &init, Some(&bias), &mut nn::rng::seeded(2));
    check_layer_input("Conv1D causal dilated grouped", &conv, 3, LAYER_H);
    const SAME: ConvGeometry = ConvGeometry::new([1, 7, 4], 3, [1, 3], [1, 2], [1, 1], [0, 1], [1, 4]);
    let shapes: (&'static [usize], &'static [usize]) = (&[3, 4, 3], &[3]);
    let conv = Conv2D::<28, 12, 48, nn::activations::Linear>::new(SAME, shapes, &init, None, &mut nn::rng::seeded(3));
    check_layer_input("Conv1D same strided", &conv, 3, LAYER_H);
    let pool = AveragePooling2D::<28, 16>::new(ConvGeometry::new([1, 7, 4], 4, [1, 3], [1, 2], [1, 1], [0, 1], [1, 4]));
    check_layer_input("AveragePooling1D same strided", &pool, 3, LAYER_H);
    let pad = Remap2D::<28, 40>::new([1, 7, 4], [1, 10], Remap::Pad { top: 0, left: 1 });
    check_layer_input("ZeroPadding1D", &pad, 3, LAYER_H);
    let crop = Remap2D::<28, 16>::new([1, 7, 4], [1, 4], Remap::Crop { top: 0, left: 2 });
    check_layer_input("Cropping1D", &crop, 3, LAYER_H);
    let up = Remap2D::<28, 56>::new([1, 7, 4], [1, 14], Remap::Repeat { rows: 1, cols: 2 });
    check_layer_input("UpSampling1D", &up, 3, LAYER_H);
    check_layer_input("SpatialDropout1D", &SpatialDropout::<28, 4>::new(0.4), 4, LAYER_H);
    check_layer_input("SpatialDropout2D", &SpatialDropout::<60, 2>::new(0.5), 4, LAYER_H);
}

/// SpatialDropout drops whole channels: in training, one keep per sample and
/// channel for all its steps (kept values scaled by 1 / (1 − rate)); the
/// identity at inference; about `rate` of the channels dropped.
#[test]
fn spatial_dropout_drops_whole_channels() {
    use nn::layers::{Layer, SpatialDropout};
    let (n, steps, c) = (64, 5, 8);
    let x: Vec<f32> = (0..n * steps * c).map(|i| 1.0 + (i % 7) as f32).collect();
    let mut d = SpatialDropout::<40, 8>::new(0.25);
    let mut y = vec![0.0; x.len()];
    d.forward(&mut (), &x, &mut y, &mut nn::rng::seeded(3));
    let mut dropped = 0;
    for s in 0..n {
        for ch in 0..c {
            let at = |t: usize| (s * steps + t) * c + ch;
            let kept = y[at(0)] != 0.0;
            dropped += usize::from(!kept);
            for t in 0..steps {
                let want = if kept { x[at(t)] * (1.0 / 0.75) } else { 0.0 };
                assert_eq!(y[at(t)], want, "sample {s} channel {ch} step {t}");
            }
        }
    }
    let share = dropped as f64 / (n * c) as f64;
    assert!((share - 0.25).abs() < 0.08, "dropped {share} of the channels");
    let mut z = vec![0.0; x.len()];
    d.infer(&x, &mut z, &mut []);
    assert_eq!(z, x);
}

// The convolutions with groups, depthwise, separable and transposed: each
// after a 1×1 convolution, so that its input gradient is checked too.
image_models! {
    conv2d_groups: Conv2dGroups {
        Conv2D(4, 1, activation = tanh), Conv2D(6, (3, 2), groups = 2, padding = same, strides = 2, activation = tanh)
    }
    conv2d_groups_valid_no_bias: Conv2dGroupsValid { Conv2D(6, 1, activation = tanh), Conv2D(3, 2, groups = 3, use_bias = false) }
    depthwise_valid: DepthwiseValid { Conv2D(3, 1, activation = tanh), DepthwiseConv2D(3, activation = tanh) }
    depthwise_same_strided_multiplier: DepthwiseSameStrided {
        Conv2D(3, 1, activation = tanh),
        DepthwiseConv2D((3, 2), strides = 2, padding = same, depth_multiplier = 2, activation = sigmoid)
    }
    depthwise_dilated_multiplier_no_bias: DepthwiseDilated {
        Conv2D(3, 1, activation = tanh), DepthwiseConv2D(2, depth_multiplier = 2, dilation_rate = (2, 1), use_bias = false)
    }
    depthwise_same_multiplier_one: DepthwiseSame { Conv2D(3, 1, activation = tanh), DepthwiseConv2D(3, padding = same, activation = tanh) }
    separable_same_multiplier: SeparableSame {
        Conv2D(3, 1, activation = tanh), SeparableConv2D(4, 3, padding = same, depth_multiplier = 2, activation = tanh)
    }
    separable_valid_strided: SeparableValid { Conv2D(3, 1, activation = tanh), SeparableConv2D(3, (2, 3), strides = 2) }
    conv2d_transpose_valid_strided: TransposeValid {
        Conv2D(3, 1, activation = tanh), Conv2DTranspose(2, 3, strides = 2, activation = tanh)
    }
    conv2d_transpose_same_strided: TransposeSame { Conv2D(3, 1, activation = tanh), Conv2DTranspose(3, 3, strides = 2, padding = same) }
    conv2d_transpose_output_padding: TransposeOutputPadding {
        Conv2D(3, 1, activation = tanh),
        Conv2DTranspose(2, (3, 2), strides = 2, padding = same, output_padding = 1, activation = tanh),
        Conv2DTranspose(2, 2, strides = (2, 3), output_padding = (1, 2), use_bias = false)
    }
    conv2d_transpose_dilated: TransposeDilated {
        Conv2D(3, 1, activation = tanh), Conv2DTranspose(2, 2, dilation_rate = 2, padding = same, activation = tanh)
    }
}

/// Max pooling's input gradient, against the windows' maxima found by
/// brute force (finite differences would straddle the kink wherever two
/// values of a window are within the step): each output's gradient goes to
/// its window's largest input, `valid` and `same` windows, strided or not;
/// and a convolution's input gradient by finite differences.
#[test]
fn max_pooling_and_conv_input_gradients() {
    use nn::layers::{Conv2D, ConvGeometry, MaxPooling2D, Train};
    fn check<const I: usize, const O: usize>(g: ConvGeometry) {
        let batch = 3;
        let x = uniform(batch * I, 21, -1.0, 1.0);
        let dy = uniform(batch * O, 22, -1.0, 1.0);
        let mut pool = MaxPooling2D::<I, O>::new(g);
        let mut st = Default::default();
        let mut y = vec![0.0; batch * O];
        pool.forward(&mut st, &x, &mut y, &mut nn::rng::seeded(0));
        let mut dx = vec![0.0; x.len()];
        pool.backward(&mut st, &x, &y, &dy, Some(&mut dx));
        let mut want = vec![0.0; x.len()];
        let ([h, w, c], [ph, pw], [sh, sw]) = (g.input, g.kernel, g.strides);
        for s in 0..batch {
            for oy in 0..g.output[0] {
                for ox in 0..g.output[1] {
                    for ch in 0..c {
                        let mut best: Option<(f32, usize)> = None;
                        for ky in 0..ph {
                            for kx in 0..pw {
                                let (iy, ix) = (
                                    (oy * sh + ky) as isize - g.pad[0] as isize,
                                    (ox * sw + kx) as isize - g.pad[1] as isize,
                                );
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                    continue;
                                }
                                let i = s * I + (iy as usize * w + ix as usize) * c + ch;
                                if best.is_none_or(|(b, _)| x[i] > b) {
                                    best = Some((x[i], i));
                                }
                            }
                        }
                        let (v, i) = best.unwrap();
                        let o = s * O + (oy * g.output[1] + ox) * c + ch;
                        assert_eq!(y[o], v);
                        want[i] += dy[o];
                    }
                }
            }
        }
        assert_eq!(dx, want);
    }
    check::<90, 18>(ConvGeometry::new([6, 5, 3], 3, [2, 2], [2, 2], [1, 1], [0, 0], [3, 2]));
    check::<90, 45>(ConvGeometry::new([6, 5, 3], 3, [2, 3], [2, 1], [1, 1], [0, 1], [3, 5]));
    check::<90, 27>(ConvGeometry::new([6, 5, 3], 3, [3, 3], [2, 2], [1, 1], [0, 1], [3, 3]));
    // MaxPooling1D: height 1, `valid` and `same` strided.
    check::<28, 12>(ConvGeometry::new([1, 7, 4], 4, [1, 2], [1, 2], [1, 1], [0, 0], [1, 3]));
    check::<28, 16>(ConvGeometry::new([1, 7, 4], 4, [1, 3], [1, 2], [1, 1], [0, 1], [1, 4]));
    const C: ConvGeometry = ConvGeometry::new([6, 5, 2], 3, [2, 2], [1, 1], [1, 1], [0, 0], [5, 4]);
    let shapes: (&'static [usize], &'static [usize]) = (&[2, 2, 2, 3], &[3]);
    let init = nn::init::Initializer::glorot_uniform();
    let conv = Conv2D::<60, 60, 160, nn::activations::Tanh>::new(
        C,
        shapes,
        &init,
        Some(&nn::init::Initializer::Constant(0.1)),
        &mut nn::rng::seeded(0),
    );
    check_layer_input("Conv2D valid", &conv, 3, LAYER_H);
    const S: ConvGeometry = ConvGeometry::new([6, 5, 2], 2, [3, 2], [2, 2], [1, 1], [1, 0], [3, 3]);
    let shapes: (&'static [usize], &'static [usize]) = (&[3, 2, 2, 2], &[2]);
    let conv = Conv2D::<60, 18, 108, nn::activations::Linear>::new(S, shapes, &init, None, &mut nn::rng::seeded(1));
    check_layer_input("Conv2D same strided", &conv, 3, LAYER_H);
    // Batches of 8 or more: each half on its own thread, in pieces.
    check_layer_input("Conv2D same strided, batch of 10", &conv, 10, LAYER_H);
}

/// Conv2D's kernel and bias gradients when each half of the batch runs on
/// its own thread in several pieces (one sample's im2col rows fill a piece,
/// and the backward pass builds them again piece by piece).
#[test]
fn conv_weight_gradients_in_pieces_on_two_threads() {
    use nn::layers::{Conv2D, ConvGeometry};
    const G: ConvGeometry = ConvGeometry::new([64, 64, 2], 2, [3, 3], [1, 1], [1, 1], [0, 0], [62, 62]);
    let shapes: (&'static [usize], &'static [usize]) = (&[3, 3, 2, 2], &[2]);
    let init = nn::init::Initializer::glorot_uniform();
    let bias = nn::init::Initializer::Constant(0.1);
    let conv =
        Conv2D::<8192, 7688, 69192, nn::activations::Tanh>::new(G, shapes, &init, Some(&bias), &mut nn::rng::seeded(2));
    check_layer_weights("Conv2D, batch of 10 in pieces", &conv, &uniform(10 * 8192, 23, -1.0, 1.0), LAYER_H);
}

/// Checks `sum(r * y)`'s gradient with respect to every weight of a layer
/// (all elements), on input `x`.
fn check_layer_weights<Ly: Train + Clone>(label: &str, layer: &Ly, x: &[f32], h: f32) {
    let batch = x.len() / Ly::IN;
    let r = uniform(batch * Ly::OUT, 13, -1.0, 1.0);
    let value = |layer: &mut Ly| weighted_output(layer, x, &r);
    let mut l = layer.clone();
    let mut st = Ly::State::default();
    let mut y = vec![0.0; batch * Ly::OUT];
    l.forward(&mut st, x, &mut y, &mut nn::rng::seeded(MASK_SEED));
    l.backward(&mut st, x, &y, &r, None);
    let mut grads: Vec<Vec<f32>> = Vec::new();
    l.visit_grads(&mut st, &mut |_, g| grads.push(g.to_vec()));
    assert!(!grads.is_empty(), "{label}: no weights");
    let mut worst = 0.0f64;
    for (t, g) in grads.iter().enumerate() {
        for (j, &analytic) in g.iter().enumerate() {
            let f = stencil(h, |d| {
                let mut k = 0;
                let mut nudged = l.clone();
                nudged.visit_mut(&mut |_, p| {
                    if k == t {
                        p.as_mut_slice()[j] += d;
                    }
                    k += 1;
                });
                value(&mut nudged)
            });
            let err = compare(f64::from(analytic), &f, f64::from(h))
                .unwrap_or_else(|| panic!("{label}: tensor #{t}[{j}] straddles a kink"));
            worst = worst.max(err);
            assert!(
                err < RTOL,
                "{label}: tensor #{t}[{j}] analytic {analytic} vs numeric {} ({err:.2e})",
                derivative(&f, f64::from(h))
            );
        }
    }
    eprintln!("{label}: weight gradients worst relative error {worst:.2e}");
}

/// Recurrent layers through time, every option, both the input and the
/// weight gradients: SimpleRNN, LSTM, GRU (both `reset_after`),
/// `go_backwards`, `return_sequences`, dropout and recurrent dropout (the
/// masks fixed by the seeded generator), and Bidirectional's merge modes.
#[test]
fn recurrent_gradients_through_time() {
    use nn::activations::{Sigmoid, Softplus, Swish, Tanh};
    use nn::init::Initializer;
    use nn::layers::{merge, Bidirectional, GruCell, LstmCell, Recurrent, SimpleRnnCell};
    let mut rng = nn::rng::seeded(3);
    let (k, o, b) = (Initializer::glorot_uniform(), Initializer::orthogonal(), Initializer::random_uniform(-0.3, 0.3));
    const S: usize = 4;
    const I: usize = 3;
    const U: usize = 5;
    let x = away_from_zero(3 * S * I, 21);
    let wide = away_from_zero(10 * S * I, 22);
    macro_rules! check {
        ($label:expr, $ty:ty) => {{
            let layer = <$ty>::new(&k, &o, Some(&b), false, &mut rng);
            check_layer_input($label, &layer, 3, H);
            check_layer_weights($label, &layer, &x, H);
        }};
    }
    check!("SimpleRNN", Recurrent<SimpleRnnCell<Tanh>, S, I, U, false, false>);
    check!("SimpleRNN sequences backwards", Recurrent<SimpleRnnCell<Tanh>, S, I, U, true, true>);
    check!("SimpleRNN swish", Recurrent<SimpleRnnCell<Swish>, S, I, U, true, false>);
    check!("LSTM", Recurrent<LstmCell<Tanh, Sigmoid>, S, I, U, false, false>);
    check!("LSTM sequences", Recurrent<LstmCell<Tanh, Sigmoid>, S, I, U, true, false>);
    check!("LSTM backwards", Recurrent<LstmCell<Tanh, Sigmoid>, S, I, U, false, true>);
    check!("LSTM other activations", Recurrent<LstmCell<Softplus, Tanh>, S, I, U, true, false>);
    check!("GRU", Recurrent<GruCell<Tanh, Sigmoid, true>, S, I, U, false, false>);
    check!("GRU sequences backwards", Recurrent<GruCell<Tanh, Sigmoid, true>, S, I, U, true, true>);
    check!("GRU reset_after = false", Recurrent<GruCell<Tanh, Sigmoid, false>, S, I, U, true, false>);
    check!("GRU reset_after = false backwards", Recurrent<GruCell<Tanh, Sigmoid, false>, S, I, U, false, true>);

    // Without biases, and with both dropouts (fixed masks).
    type Lstm = Recurrent<LstmCell<Tanh, Sigmoid>, S, I, U, true, false>;
    let plain = Lstm::new(&k, &o, None, false, &mut rng);
    check_layer_weights("LSTM no bias", &plain, &x, H);
    let dropped = Lstm::new(&k, &o, Some(&b), false, &mut rng).with_dropout(0.3, 0.4);
    check_layer_input("LSTM dropout", &dropped, 3, H);
    check_layer_weights("LSTM dropout", &dropped, &x, H);
    type Gru = Recurrent<GruCell<Tanh, Sigmoid, false>, S, I, U, true, false>;
    let dropped = Gru::new(&k, &o, Some(&b), false, &mut rng).with_dropout(0.3, 0.4);
    check_layer_input("GRU reset_after = false, dropout", &dropped, 3, H);
    check_layer_weights("GRU reset_after = false, dropout", &dropped, &x, H);
    type Gru2 = Recurrent<GruCell<Tanh, Sigmoid, true>, S, I, U, false, false>;
    let dropped = Gru2::new(&k, &o, Some(&b), false, &mut rng).with_dropout(0.2, 0.5);
    check_layer_weights("GRU dropout", &dropped, &x, H);

    // Batches of 8 or more run each half of the batch on its own thread.
    let lstm = Lstm::new(&k, &o, Some(&b), true, &mut rng).with_dropout(0.2, 0.3);
    check_layer_input("LSTM on two threads", &lstm, 10, H);
    check_layer_weights("LSTM on two threads", &lstm, &wide, H);
    let gru = Gru2::new(&k, &o, Some(&b), false, &mut rng).with_dropout(0.2, 0.3);
    check_layer_input("GRU on two threads", &gru, 10, H);
    check_layer_weights("GRU on two threads", &gru, &wide, H);
    let gru = Gru::new(&k, &o, Some(&b), false, &mut rng);
    check_layer_weights("GRU reset_after = false on two threads", &gru, &wide, H);

    macro_rules! bidirectional {
        ($label:expr, $m:ty, $seq:literal) => {{
            type F = Recurrent<LstmCell<Tanh, Sigmoid>, S, I, U, $seq, false>;
            type B = Recurrent<LstmCell<Tanh, Sigmoid>, S, I, U, $seq, true>;
            const NAMES: &[&str] =
                &["f.kernel", "f.recurrent_kernel", "f.bias", "b.kernel", "b.recurrent_kernel", "b.bias"];
            let layer = Bidirectional::<F, B, $m>::new(
                F::new(&k, &o, Some(&b), true, &mut rng),
                B::new(&k, &o, Some(&b), true, &mut rng),
                NAMES,
            );
            check_layer_input($label, &layer, 3, H);
            check_layer_weights($label, &layer, &x, H);
        }};
    }
    bidirectional!("Bidirectional concat", merge::Concat, true);
    bidirectional!("Bidirectional concat, last step", merge::Concat, false);
    bidirectional!("Bidirectional sum", merge::Sum, true);
    bidirectional!("Bidirectional mul", merge::Mul, true);
    bidirectional!("Bidirectional ave", merge::Ave, false);
}

/// Embedding's table gradient: the rows of the ids in the batch, repeated ids summed.
#[test]
fn embedding_gradients() {
    use nn::init::Initializer;
    use nn::layers::Embedding;
    let e = Embedding::<4, 6, 3>::new(&Initializer::random_uniform(-0.05, 0.05), &mut nn::rng::seeded(1));
    let ids = [0.0, 5.0, 2.0, 2.0, 1.0, 1.0, 1.0, 3.0];
    check_layer_weights("Embedding", &e, &ids, H);
}
