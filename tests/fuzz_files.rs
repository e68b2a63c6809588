//! A bounded mutation fuzzer for the two file readers: `load_weights` and the
//! IDX reader. Valid files are mutated (bit flips, byte writes, cuts,
//! insertions, header-length edits) with a seeded generator; every input must
//! give `Ok` or a clean `Err`, never a panic, and a failed load leaves the
//! model unchanged. `NN_FUZZ_ITERS` sets the iterations per target (CI runs
//! the default smoke pass).

use std::io::Write;
use std::path::Path;

use rand::{Rng, SeedableRng};

nn::sequential! {
    struct Tiny {
        Input[4],
        Dense(3, relu),
        BatchNorm,
        PReLU,
        Dense(2, softmax),
    }
}

fn iterations() -> usize {
    std::env::var("NN_FUZZ_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000)
}

fn mutate(rng: &mut impl Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..rng.random_range(1..4) {
        match rng.random_range(0..7) {
            0 if !v.is_empty() => {
                let i = rng.random_range(0..v.len());
                v[i] ^= 1 << rng.random_range(0..8);
            }
            1 if !v.is_empty() => {
                let i = rng.random_range(0..v.len());
                v[i] = [0, 0xff, b'"', b'{', b'}', b',', b'9', b'-'][rng.random_range(0..8)];
            }
            2 => {
                let n = rng.random_range(0..=v.len());
                v.truncate(n);
            }
            3 => {
                let i = rng.random_range(0..=v.len());
                let junk: Vec<u8> = (0..rng.random_range(1..16)).map(|_| rng.random()).collect();
                v.splice(i..i, junk);
            }
            4 if v.len() >= 8 => {
                // The 8-byte length prefix of safetensors / the dims of IDX.
                let n: u64 = [0, 1, 7, 1 << 20, 1 << 40, u64::MAX, rng.random()][rng.random_range(0..7)];
                let at = rng.random_range(0..=v.len() - 8) & !3;
                v[at..at + 8].copy_from_slice(&n.to_le_bytes());
            }
            5 if v.len() > 2 => {
                let (i, j) = (rng.random_range(0..v.len()), rng.random_range(0..v.len()));
                v.swap(i, j);
            }
            _ => v.push(rng.random()),
        }
    }
    v
}

fn weights_of(m: &Tiny) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    nn::Model::visit_weights(m, &mut |_, _, p| out.push(p.iter().map(|v| v.to_bits()).collect()));
    out
}

#[test]
fn load_weights_survives_mutations() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.safetensors");
    Tiny::seeded(1).save_weights(&good).unwrap();
    let base = std::fs::read(&good).unwrap();
    let path = dir.path().join("mutant.safetensors");
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xfeed);
    let (mut ok, mut err) = (0, 0);
    for i in 0..iterations() {
        let bytes = mutate(&mut rng, &base);
        std::fs::write(&path, &bytes).unwrap();
        let mut m = Tiny::seeded(2);
        let before = weights_of(&m);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.load_weights(&path)));
        match result {
            Ok(Ok(())) => ok += 1,
            Ok(Err(e)) => {
                assert!(!e.to_string().is_empty());
                assert_eq!(before, weights_of(&m), "iteration {i}: failed load changed the model");
                err += 1;
            }
            Err(_) => panic!(
                "iteration {i}: load_weights panicked on {} bytes: {:?}",
                bytes.len(),
                &bytes[..bytes.len().min(64)]
            ),
        }
    }
    eprintln!("load_weights: {ok} loaded, {err} rejected");
    assert!(err > 0);
}

fn idx_bytes(gzip: bool) -> Vec<u8> {
    let mut raw = vec![0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5];
    raw.extend((0..60u8).map(|i| i.wrapping_mul(37)));
    if !gzip {
        return raw;
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&raw).unwrap();
    enc.finish().unwrap()
}

fn fuzz_idx(base: &[u8], path: &Path, seed: u64) -> (usize, usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut ok, mut err) = (0, 0);
    for i in 0..iterations() {
        let bytes = mutate(&mut rng, base);
        std::fs::write(path, &bytes).unwrap();
        match std::panic::catch_unwind(|| nn::data::read_idx(path)) {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(e)) => {
                assert!(e.to_string().contains("data file"), "{e}");
                err += 1;
            }
            Err(_) => panic!("iteration {i}: read_idx panicked on {:?}", &bytes[..bytes.len().min(64)]),
        }
    }
    (ok, err)
}

#[test]
fn idx_reader_survives_mutations() {
    let dir = tempfile::tempdir().unwrap();
    for (gzip, seed) in [(false, 1), (true, 2)] {
        let (ok, err) = fuzz_idx(&idx_bytes(gzip), &dir.path().join("mutant.idx"), seed);
        eprintln!("read_idx (gzip {gzip}): {ok} read, {err} rejected");
        assert!(err > 0);
    }
}
