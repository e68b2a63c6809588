//! A bounded mutation fuzzer for the file readers: `load_weights`, the IDX
//! reader and `load_checkpoint`.
//!
//! Valid files are mutated with a seeded generator, two ways:
//!
//! - bytes: bit flips, interesting bytes and words (`0`, `0xff`, `u32::MAX`,
//!   `1 << 40`, ...) at random offsets, cuts, insertions, deletions,
//!   duplicated and swapped ranges, splices of another valid file, and edits
//!   of the 8-byte length prefix;
//! - structure (safetensors): the JSON header is edited as text (numbers in
//!   shapes and offsets replaced by interesting values, dtypes changed, keys
//!   renamed or duplicated, entries dropped, `__metadata__` added) and the
//!   length prefix recomputed, so the mutation gets past the length check
//!   and reaches the header's validation.
//!
//! Every input must give `Ok` or a clean `Err`, never a panic, a hang or an
//! allocation larger than the file; a failed load leaves the model (and for
//! checkpoints, the optimizer) unchanged, and a successful one loads exactly
//! the values a plain reading of the file gives.
//!
//! `NN_FUZZ_ITERS` sets the iterations per target (default 5,000: the smoke
//! pass CI runs in a few seconds) and `NN_FUZZ_SEED` the base seed. A long
//! run, one target at a time:
//!
//! ```sh
//! NN_FUZZ_ITERS=200000 cargo test --release --test fuzz_files -- --nocapture --test-threads 1
//! ```
//!
//! Each target prints its executions, outcomes and time. A failure prints
//! the iteration and the file's first bytes; the mutant stays in the
//! temporary directory printed with it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use nn::optim::{Adam, Optimizer};
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

nn::sequential! {
    /// Recurrent layers, whose Keras files nest `cell` groups.
    struct TinyRecurrent {
        Input[3, 2],
        Bidirectional(LSTM(2, return_sequences = true)),
        GRU(2),
        Dense(2, softmax),
    }
}

nn::sequential! {
    /// Another model, whose files are spliced into `Tiny`'s.
    struct Other {
        Input[4],
        Dense(5),
        Dense(2, softmax),
    }
}

fn iterations() -> usize {
    std::env::var("NN_FUZZ_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(5_000)
}

fn base_seed() -> u64 {
    std::env::var("NN_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// A scratch directory, in memory when the system has one (faster, spares the disk).
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::Builder::new().prefix("nn-fuzz-").tempdir_in(shm) {
            return d;
        }
    }
    tempfile::tempdir().unwrap()
}

const INTERESTING_U64: [u64; 12] =
    [0, 1, 7, 8, 255, 1 << 16, 1 << 20, 1 << 31, 1 << 32, 1 << 40, u64::MAX, u64::MAX / 4];
const INTERESTING_BYTES: [u8; 12] = [0, 0xff, 0x7f, 0x80, b'"', b'{', b'}', b',', b'9', b'-', b'[', b']'];

/// One byte-level mutation of `v`; `other` is another valid file to splice from.
fn mutate_bytes_once(rng: &mut impl Rng, v: &mut Vec<u8>, other: &[u8]) {
    match rng.random_range(0..12) {
        0 if !v.is_empty() => {
            let i = rng.random_range(0..v.len());
            v[i] ^= 1 << rng.random_range(0..8);
        }
        1 if !v.is_empty() => {
            let i = rng.random_range(0..v.len());
            v[i] = INTERESTING_BYTES[rng.random_range(0..INTERESTING_BYTES.len())];
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
            let n = if rng.random_bool(0.8) { INTERESTING_U64[rng.random_range(0..12)] } else { rng.random() };
            let at = if rng.random_bool(0.5) { 0 } else { rng.random_range(0..=v.len() - 8) & !3 };
            if rng.random_bool(0.5) {
                v[at..at + 8].copy_from_slice(&n.to_le_bytes());
            } else {
                v[at..at + 8].copy_from_slice(&n.to_be_bytes());
            }
        }
        5 if v.len() > 2 => {
            let (i, j) = (rng.random_range(0..v.len()), rng.random_range(0..v.len()));
            v.swap(i, j);
        }
        6 if v.len() >= 4 => {
            // An interesting 32-bit word, big-endian (IDX dimensions) or little-endian.
            let w = [0u32, 1, 0xff, 0xffff, 0x7fff_ffff, 0x8000_0000, u32::MAX, 28, 60000][rng.random_range(0..9)];
            let at = rng.random_range(0..=v.len() - 4);
            let bytes = if rng.random_bool(0.5) { w.to_be_bytes() } else { w.to_le_bytes() };
            v[at..at + 4].copy_from_slice(&bytes);
        }
        7 if !v.is_empty() => {
            // Delete a range.
            let i = rng.random_range(0..v.len());
            let j = rng.random_range(i..=v.len().min(i + 64));
            v.drain(i..j);
        }
        8 if !v.is_empty() => {
            // Duplicate a range somewhere else.
            let i = rng.random_range(0..v.len());
            let j = rng.random_range(i..=v.len().min(i + 64));
            let chunk = v[i..j].to_vec();
            let at = rng.random_range(0..=v.len());
            v.splice(at..at, chunk);
        }
        9 if !other.is_empty() => {
            // Splice: a prefix of this file and a suffix of the other, or the reverse.
            let (a, b) = (rng.random_range(0..=v.len()), rng.random_range(0..=other.len()));
            *v = if rng.random_bool(0.5) { [&v[..a], &other[b..]].concat() } else { [&other[..b], &v[a..]].concat() };
        }
        10 if v.len() >= 8 => {
            // Off-by-a-little in the length prefix.
            let n = u64::from_le_bytes(v[..8].try_into().unwrap());
            let d = rng.random_range(1..=16u64);
            let n = if rng.random_bool(0.5) { n.wrapping_add(d) } else { n.wrapping_sub(d) };
            v[..8].copy_from_slice(&n.to_le_bytes());
        }
        _ => v.push(rng.random()),
    }
}

/// One to three byte-level mutations of `base`.
fn mutate_bytes(rng: &mut impl Rng, base: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..rng.random_range(1..4) {
        mutate_bytes_once(rng, &mut v, other);
    }
    v
}

/// The header (JSON text) and data of a safetensors file, if it has that shape.
fn split_safetensors(file: &[u8]) -> Option<(String, &[u8])> {
    let n = usize::try_from(u64::from_le_bytes(file.get(..8)?.try_into().ok()?)).ok()?;
    let header = std::str::from_utf8(file.get(8..8usize.checked_add(n)?)?).ok()?;
    Some((header.to_string(), &file[8 + n..]))
}

/// Byte ranges of the runs of ASCII digits in `s`.
fn number_spans(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Byte ranges of the JSON strings in `s` (without their quotes; no escapes in our headers).
fn string_spans(s: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut open = None;
    for (i, c) in s.char_indices() {
        if c == '"' {
            match open.take() {
                None => open = Some(i + 1),
                Some(start) => spans.push((start, i)),
            }
        }
    }
    spans
}

/// One structural mutation of a safetensors header (JSON text).
fn mutate_header_once(rng: &mut impl Rng, h: &mut String) {
    match rng.random_range(0..8) {
        0 | 1 => {
            // A number (shape dimension or data offset) replaced.
            let spans = number_spans(h);
            if spans.is_empty() {
                return;
            }
            let (a, b) = spans[rng.random_range(0..spans.len())];
            let old: u64 = h[a..b].parse().unwrap_or(0);
            let new = match rng.random_range(0..8) {
                0 => old.wrapping_add(rng.random_range(1..9)).to_string(),
                1 => old.saturating_sub(rng.random_range(1..9)).to_string(),
                2 => INTERESTING_U64[rng.random_range(0..12)].to_string(),
                3 => "18446744073709551616".to_string(), // u64::MAX + 1
                4 => "99999999999999999999999999".to_string(),
                5 => "-1".to_string(),
                6 => "1e30".to_string(),
                _ => "0.5".to_string(),
            };
            h.replace_range(a..b, &new);
        }
        2 => {
            // A string (key, dtype, metadata) replaced.
            let spans = string_spans(h);
            if spans.is_empty() {
                return;
            }
            let (a, b) = spans[rng.random_range(0..spans.len())];
            let new = ["F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "F8_E4M3", "XX", "", "dense.kernel", "dtype"]
                [rng.random_range(0..12)];
            h.replace_range(a..b, new);
        }
        3 => {
            // Two numbers swapped (shapes transposed, offsets reversed).
            let spans = number_spans(h);
            if spans.len() < 2 {
                return;
            }
            let (i, j) = (rng.random_range(0..spans.len()), rng.random_range(0..spans.len()));
            let (x, y) = (spans[i.min(j)], spans[i.max(j)]);
            if x == y {
                return;
            }
            let (sx, sy) = (h[x.0..x.1].to_string(), h[y.0..y.1].to_string());
            h.replace_range(y.0..y.1, &sx);
            h.replace_range(x.0..x.1, &sy);
        }
        4 => {
            // A shape with a dimension added or removed.
            if let Some(at) = h.find("\"shape\":[") {
                let at = at + "\"shape\":[".len();
                if rng.random_bool(0.5) {
                    h.insert_str(at, "1,");
                } else if let Some(end) = h[at..].find(']') {
                    h.replace_range(at..at + end, "");
                }
            }
        }
        5 => {
            // A metadata entry, or a duplicated tensor entry.
            let spans = string_spans(h);
            if rng.random_bool(0.5) || spans.is_empty() {
                h.insert_str(1, "\"__metadata__\":{\"format\":\"pt\"},");
            } else {
                // The first entry, `"key":{...}`, inserted again at the front.
                let (a, _) = spans[0];
                if let Some(end) = h.find('}') {
                    let entry = h[a - 1..=end].to_string();
                    h.insert_str(1, &format!("{entry},"));
                }
            }
        }
        6 => {
            // A character deleted or inserted (broken JSON, still a valid length).
            if h.is_empty() {
                return;
            }
            let i = rng.random_range(0..h.len());
            if h.is_char_boundary(i) && h.is_char_boundary(i + 1) {
                if rng.random_bool(0.5) {
                    h.remove(i);
                } else {
                    h.insert(i, [' ', ',', '"', '{', '}', '[', ']', '0', ':'][rng.random_range(0..9)]);
                }
            }
        }
        _ => {
            // A whole tensor entry dropped.
            let spans = string_spans(h);
            if let Some(&(a, _)) = spans.first() {
                if let Some(end) = h[a..].find('}') {
                    let end = a + end + 1;
                    let end = if h[end..].starts_with(',') { end + 1 } else { end };
                    h.replace_range(a - 1..end, "");
                }
            }
        }
    }
}

/// A structural mutation of a safetensors file: the header edited as JSON
/// text, the length prefix recomputed (mostly), the data kept or cut.
fn mutate_structure(rng: &mut impl Rng, base: &[u8], other: &[u8]) -> Vec<u8> {
    let Some((mut header, data)) = split_safetensors(base) else { return mutate_bytes(rng, base, other) };
    for _ in 0..rng.random_range(1..3) {
        mutate_header_once(rng, &mut header);
    }
    let mut data = data.to_vec();
    if rng.random_bool(0.2) {
        let n = rng.random_range(0..=data.len());
        data.truncate(n);
    }
    // Real files pad the header with spaces to a multiple of 8.
    if rng.random_bool(0.5) {
        while header.len() % 8 != 0 {
            header.push(' ');
        }
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    if rng.random_bool(0.15) {
        mutate_bytes_once(rng, &mut out, other);
    }
    out
}

/// A mutant of `base`: byte-level or, for safetensors, structural (half each).
fn mutant(rng: &mut impl Rng, base: &[u8], other: &[u8], structured: bool) -> Vec<u8> {
    if structured && rng.random_bool(0.5) {
        mutate_structure(rng, base, other)
    } else {
        mutate_bytes(rng, base, other)
    }
}

fn weights_of<M: nn::Model>(m: &M) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    m.visit_weights(&mut |_, _, p| out.push(p.iter().map(|v| v.to_bits()).collect()));
    out
}

fn opt_state_of(opt: &impl Optimizer) -> Vec<(String, Vec<u32>)> {
    opt.state().into_iter().map(|(k, v)| (k, v.iter().map(|x| x.to_bits()).collect())).collect()
}

/// The counts a target reports.
#[derive(Default)]
struct Tally {
    ok: usize,
    rejected: usize,
}

fn report(target: &str, t: &Tally, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{target}: {} executions in {secs:.1} s ({:.0}/s): {} loaded, {} rejected, 0 panics",
        t.ok + t.rejected,
        (t.ok + t.rejected) as f64 / secs.max(1e-9),
        t.ok,
        t.rejected
    );
}

/// Writes `bytes` to `path` and names the mutant in any failure message.
fn write_mutant(path: &Path, bytes: &[u8]) -> PathBuf {
    std::fs::write(path, bytes).unwrap();
    path.to_path_buf()
}

fn head(bytes: &[u8]) -> String {
    format!("{} bytes: {:?}", bytes.len(), String::from_utf8_lossy(&bytes[..bytes.len().min(160)]))
}

#[test]
fn load_weights_survives_mutations() {
    let dir = scratch_dir();
    let good = dir.path().join("good.safetensors");
    Tiny::seeded(1).save_weights(&good).unwrap();
    let base = std::fs::read(&good).unwrap();
    let other_path = dir.path().join("other.safetensors");
    Other::seeded(1).save_weights(&other_path).unwrap();
    let other = std::fs::read(&other_path).unwrap();
    let path = dir.path().join("mutant.safetensors");
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xfeed ^ base_seed());
    let started = Instant::now();
    let mut t = Tally::default();
    let mut m = Tiny::seeded(2);
    for i in 0..iterations() {
        let bytes = mutant(&mut rng, &base, &other, true);
        let p = write_mutant(&path, &bytes);
        let before = weights_of(&m);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.load_weights(&p)));
        match result {
            Ok(Ok(())) => {
                // What loaded is what the file holds: a plain reading agrees.
                let mut expected = Vec::new();
                nn::Model::visit_weights(&m, &mut |l, w, p| expected.push((format!("{l}.{w}"), p.shape().to_vec())));
                let refs: Vec<(String, &[usize])> = expected.iter().map(|(k, s)| (k.clone(), &s[..])).collect();
                let values = nn::io::load(&p, &refs).unwrap();
                let bits: Vec<Vec<u32>> = values.iter().map(|v| v.iter().map(|x| x.to_bits()).collect()).collect();
                assert_eq!(bits, weights_of(&m), "iteration {i}: loaded values differ from the file");
                t.ok += 1;
                m = Tiny::seeded(2);
            }
            Ok(Err(e)) => {
                assert!(matches!(e, nn::Error::Weights { .. }), "iteration {i}: {e:?}");
                assert!(e.to_string().starts_with("weights file "), "{e}");
                assert_eq!(before, weights_of(&m), "iteration {i}: failed load changed the model: {e}");
                t.rejected += 1;
            }
            Err(_) => panic!("iteration {i}: load_weights panicked on {}", head(&bytes)),
        }
    }
    report("load_weights", &t, started);
    assert!(t.rejected > 0);
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

fn fuzz_idx(base: &[u8], other: &[u8], path: &Path, seed: u64) -> Tally {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ base_seed());
    let mut t = Tally::default();
    for i in 0..iterations() {
        let bytes = mutant(&mut rng, base, other, false);
        std::fs::write(path, &bytes).unwrap();
        match std::panic::catch_unwind(|| nn::data::read_idx(path)) {
            Ok(Ok(a)) => {
                // What was read fits the file: never more elements than bytes.
                assert!(a.len() <= bytes.len(), "iteration {i}: {} elements from {}", a.len(), head(&bytes));
                t.ok += 1;
            }
            Ok(Err(e)) => {
                assert!(matches!(e, nn::Error::Data { .. }), "iteration {i}: {e:?}");
                assert!(e.to_string().starts_with("data file "), "{e}");
                t.rejected += 1;
            }
            Err(_) => panic!("iteration {i}: read_idx panicked on {}", head(&bytes)),
        }
    }
    t
}

#[test]
fn idx_reader_survives_mutations() {
    let dir = scratch_dir();
    let (plain, gzip) = (idx_bytes(false), idx_bytes(true));
    for (name, base, other, seed) in [("read_idx (plain)", &plain, &gzip, 1), ("read_idx (gzip)", &gzip, &plain, 2)] {
        let started = Instant::now();
        let t = fuzz_idx(base, other, &dir.path().join("mutant.idx"), seed);
        report(name, &t, started);
        assert!(t.rejected > 0);
    }
}

#[test]
fn load_checkpoint_survives_mutations() {
    use nn::loss::SparseCategoricalCrossentropy;
    use nn::ndarray::{Array1, Array2};

    let dir = scratch_dir();
    // A real checkpoint: Adam's state, BatchNorm's statistics, a generator.
    let x = Array2::from_shape_fn((8, 4), |(i, j)| (i * 4 + j) as f32 * 0.1 - 1.0);
    let y = Array1::from_shape_fn(8, |i| i % 2);
    let mut m = Tiny::seeded(1);
    let mut opt = Adam::new(1e-2);
    m.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut opt).unwrap();
    let good = dir.path().join("good.safetensors");
    nn::train::save_checkpoint(&mut m, &opt, &good, 3).unwrap();
    let base = std::fs::read(nn::train::optimizer_path(&good)).unwrap();
    let mut o = Other::seeded(1);
    let mut o_opt = Adam::new(1e-2);
    o.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut o_opt).unwrap();
    let other_path = dir.path().join("other.safetensors");
    nn::train::save_checkpoint(&mut o, &o_opt, &other_path, 1).unwrap();
    let other = std::fs::read(nn::train::optimizer_path(&other_path)).unwrap();

    let path = dir.path().join("mutant.safetensors");
    let state_path = nn::train::optimizer_path(&path);
    std::fs::copy(&good, &path).unwrap(); // the weights file, for the older format
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xc4ec ^ base_seed());
    let started = Instant::now();
    let mut t = Tally::default();
    let fresh = || {
        let mut f = Tiny::seeded(2);
        let mut fo = Adam::new(1e-3);
        f.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut fo).unwrap();
        (f, fo)
    };
    let (mut f, mut fo) = fresh();
    for i in 0..iterations() {
        let bytes = mutant(&mut rng, &base, &other, true);
        std::fs::write(&state_path, &bytes).unwrap();
        let (before, before_opt) = (weights_of(&f), opt_state_of(&fo));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            nn::train::load_checkpoint(&mut f, &mut fo, &path)
        }));
        match result {
            Ok(Ok(_)) => {
                // A loaded checkpoint must train without panicking.
                let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    f.train_on_batch(&x, &y, &SparseCategoricalCrossentropy, &mut fo)
                }));
                assert!(step.is_ok(), "iteration {i}: training after a loaded checkpoint panicked: {}", head(&bytes));
                t.ok += 1;
                (f, fo) = fresh();
            }
            Ok(Err(e)) => {
                assert!(matches!(e, nn::Error::Weights { .. }), "iteration {i}: {e:?}");
                assert_eq!(before, weights_of(&f), "iteration {i}: failed load changed the model: {e}");
                assert_eq!(before_opt, opt_state_of(&fo), "iteration {i}: failed load changed the optimizer: {e}");
                t.rejected += 1;
            }
            Err(_) => panic!("iteration {i}: load_checkpoint panicked on {}", head(&bytes)),
        }
    }
    report("load_checkpoint", &t, started);
    assert!(t.rejected > 0);
}

/// Keras's files (`.weights.h5`, and `.keras` archives around one) of the
/// model `fresh` seeds: every mutant is `Ok` or a clean `Err` that leaves
/// the model unchanged.
fn fuzz_keras<M: nn::Model>(ext: &str, seed: u64, fresh: impl Fn(u64) -> M) {
    let dir = scratch_dir();
    let good = dir.path().join(format!("good.{ext}"));
    nn::model::save_weights(&fresh(1), &good).unwrap();
    let base = std::fs::read(&good).unwrap();
    let other_path = dir.path().join(format!("other.{ext}"));
    Other::seeded(1).save_weights(&other_path).unwrap();
    let other = std::fs::read(&other_path).unwrap();
    let path = dir.path().join(format!("mutant.{ext}"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ base_seed());
    let started = Instant::now();
    let mut t = Tally::default();
    let mut m = fresh(2);
    for i in 0..iterations() {
        let bytes = mutant(&mut rng, &base, &other, false);
        let p = write_mutant(&path, &bytes);
        let before = weights_of(&m);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| nn::model::load_weights(&mut m, &p))) {
            Ok(Ok(())) => {
                t.ok += 1;
                m = fresh(2);
            }
            Ok(Err(e)) => {
                assert!(matches!(e, nn::Error::Weights { .. } | nn::Error::Io { .. }), "iteration {i}: {e:?}");
                assert_eq!(before, weights_of(&m), "iteration {i}: failed load changed the model: {e}");
                t.rejected += 1;
            }
            Err(_) => panic!("iteration {i}: load_weights panicked on {}", head(&bytes)),
        }
    }
    report(&format!("load_weights (.{ext}, {})", M::NAME), &t, started);
    assert!(t.rejected > 0);
}

#[test]
fn keras_weights_h5_survives_mutations() {
    fuzz_keras("weights.h5", 0x4844, Tiny::seeded);
}

#[test]
fn keras_archive_survives_mutations() {
    fuzz_keras("keras", 0x4b45, Tiny::seeded);
}

#[test]
fn recurrent_keras_weights_h5_survives_mutations() {
    fuzz_keras("weights.h5", 0x524e, TinyRecurrent::seeded);
}

#[test]
fn recurrent_keras_archive_survives_mutations() {
    fuzz_keras("keras", 0x524b, TinyRecurrent::seeded);
}
