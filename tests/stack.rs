//! `predict_one` uses bounded stack: two buffers of the widest activation
//! plus the kernels' frames, whatever the depth or width of the model; and it
//! gives the same answers from threads at once (one takes the model's static
//! room, the others the stack).

use std::hint::black_box;
use std::mem::MaybeUninit;

nn::sequential! {
    /// Wide: 4096-value activations (a stack array per layer would need 48 KiB of them).
    struct Wide {
        Input[64, 64], Flatten, Dense(4096, relu), Dense(4096, relu), Dense(10, softmax),
    }
}

nn::sequential! {
    /// The seed model of API.md.
    struct SeedMlp {
        Flatten[28, 28], BatchNorm,
        Dense(300, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(100, he_normal, no_bias), Activation(elu), BatchNorm,
        Dense(10, softmax),
    }
}

#[test]
fn wide_model_runs_on_a_256_kib_stack() {
    let model = Wide::seeded(0);
    let x = Box::new([[0.5f32; 64]; 64]);
    let y = std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn_scoped(s, || model.predict_one(&x))
            .unwrap()
            .join()
            .unwrap()
    });
    assert!((y.iter().sum::<f32>() - 1.0).abs() < 1e-4);
}

/// Bytes probed below the caller's frame.
const PROBE: usize = 192 * 1024;

/// Fills the stack below the caller with a pattern.
#[inline(never)]
fn paint() {
    let mut buf = [MaybeUninit::<u8>::uninit(); PROBE];
    for b in buf.iter_mut() {
        b.write(0xA5);
    }
    black_box(&mut buf);
}

/// How many bytes below the caller's frame were written since `paint`.
#[inline(never)]
fn used() -> usize {
    let buf = [MaybeUninit::<u8>::uninit(); PROBE];
    let buf = black_box(&buf);
    // The stack grows down: the untouched pattern is at the low addresses.
    // SAFETY: reading bytes that `paint` initialized at the same depth (a
    // measurement: the compiler sees them as uninitialized, hence volatile).
    let painted = |i: usize| unsafe { std::ptr::read_volatile(buf[i].as_ptr()) } == 0xA5;
    // Stack probes of this frame's prologue write 8 bytes per 4 KiB page: a
    // 64-byte chunk counts as untouched when at least 56 of its bytes are.
    let untouched =
        (0..PROBE / 64).take_while(|&c| (c * 64..c * 64 + 64).filter(|&i| painted(i)).count() >= 56).count();
    PROBE - untouched * 64
}

/// Stack used by one `predict_one` of `f`, measured on a fresh thread.
fn stack_use(f: impl FnOnce() + Send) -> usize {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn_scoped(s, || {
                paint();
                f();
                used()
            })
            .unwrap()
            .join()
            .unwrap()
    })
}

#[test]
fn stack_use_is_two_buffers_and_the_kernels() {
    let seed = SeedMlp::seeded(0);
    let x = [[0.5f32; 28]; 28];
    let s = stack_use(|| {
        black_box(seed.predict_one(black_box(&x)));
    });
    let wide = Wide::seeded(0);
    let xw = Box::new([[0.5f32; 64]; 64]);
    let w = stack_use(|| {
        black_box(wide.predict_one(black_box(&xw)));
    });
    println!("predict_one stack use: seed model {s} bytes, 4096-wide model {w} bytes");
    // Two buffers of 300 floats (2400 bytes) plus the kernels' frames (measured: 15.6 KB).
    assert!(s < 32 * 1024, "seed model: {s} bytes of stack");
    // Two buffers of 4096 floats (32 KiB) plus the same frames.
    assert!(w < 48 * 1024, "wide model: {w} bytes of stack");
}

#[test]
fn predict_one_from_threads_at_once_agrees() {
    let model = SeedMlp::seeded(3);
    let xs: Vec<[[f32; 28]; 28]> = (0..8)
        .map(|i| std::array::from_fn(|r| std::array::from_fn(|c| ((i * 31 + r * 7 + c) % 17) as f32 / 17.0)))
        .collect();
    let want: Vec<[f32; 10]> = xs.iter().map(|x| model.predict_one(x)).collect();
    assert!(want.windows(2).any(|w| w[0] != w[1]), "the samples give different answers");
    std::thread::scope(|s| {
        for t in 0..4 {
            let (model, xs, want) = (&model, &xs, &want);
            s.spawn(move || {
                for r in 0..300 {
                    let i = (r + t) % xs.len();
                    assert_eq!(model.predict_one(&xs[i]), want[i], "thread {t}, call {r}");
                }
            });
        }
    });
}
