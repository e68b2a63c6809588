//! The deployed model: the seed MLP with the main job's trained weights baked
//! in (`examples/deploy/seed_mlp.safetensors`, checked against the
//! declaration at compile time), and what the command line does with it.
//! Shared with `tests/deploy.rs`, which checks `eval` against `predict`.

use std::path::{Path, PathBuf};

nn::sequential! {
    /// Chapter-11 classifier: BatchNorm before each activation, no biases.
    #[weights = "examples/deploy/seed_mlp.safetensors"]
    pub struct SeedMlp {
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

/// The model, built at compile time: nothing is read, parsed or allocated to get it.
pub static MODEL: SeedMlp = SeedMlp::embedded();

/// A 28x28 grayscale image, one byte per pixel, row by row.
pub type Image = [[u8; 28]; 28];

/// The class and the ten probabilities of one image (pixels scaled by 1/255
/// as in training; no heap allocation).
pub fn classify(image: &Image) -> (usize, [f32; 10]) {
    let x: [[f32; 28]; 28] = image.map(|row| row.map(|v| f32::from(v) / 255.0));
    let p = MODEL.predict_one(&x);
    (argmax(&p), p)
}

/// The index of the largest value (the first one on ties).
pub fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in p.iter().enumerate() {
        if *v > p[best] {
            best = i;
        }
    }
    best
}

/// Reads a 28x28 PGM (binary `P5` or ASCII `P2`, any maxval up to 65535),
/// scaled to 0..=255. MNIST's convention: a light digit on a dark ground.
pub fn read_pgm(bytes: &[u8]) -> Result<Image, String> {
    let mut pos = 0;
    let mut token = || -> Option<&[u8]> {
        loop {
            while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
                pos += 1;
            }
            if bytes.get(pos) == Some(&b'#') {
                while bytes.get(pos).is_some_and(|&c| c != b'\n') {
                    pos += 1;
                }
                continue;
            }
            let start = pos;
            while bytes.get(pos).is_some_and(|c| !c.is_ascii_whitespace()) {
                pos += 1;
            }
            return (pos > start).then(|| &bytes[start..pos]);
        }
    };
    let magic = token().ok_or("empty file, not a PGM")?;
    let ascii = match magic {
        b"P5" => false,
        b"P2" => true,
        _ => return Err("not a PGM (expected P5 or P2)".into()),
    };
    let mut number = |what: &str| -> Result<usize, String> {
        let t = token().ok_or_else(|| format!("PGM header: missing {what}"))?;
        std::str::from_utf8(t).ok().and_then(|s| s.parse().ok()).ok_or_else(|| format!("PGM header: bad {what}"))
    };
    let (w, h, max) = (number("width")?, number("height")?, number("maxval")?);
    if (w, h) != (28, 28) {
        return Err(format!("expected a 28x28 image, found {w}x{h}"));
    }
    if !(1..=65535).contains(&max) {
        return Err(format!("PGM maxval {max} is not in 1..=65535"));
    }
    let mut values = [0u32; 28 * 28];
    if ascii {
        for v in values.iter_mut() {
            *v = number("pixel")? as u32;
        }
    } else {
        // One whitespace byte after maxval, then the raster.
        let data = bytes.get(pos + 1..).unwrap_or(&[]);
        let width = if max < 256 { 1 } else { 2 };
        if data.len() < 28 * 28 * width {
            return Err(format!("PGM raster is truncated: {} bytes for {}", data.len(), 28 * 28 * width));
        }
        for (v, c) in values.iter_mut().zip(data.chunks_exact(width)) {
            *v = c.iter().fold(0, |a, &b| a << 8 | u32::from(b));
        }
    }
    let mut image = [[0u8; 28]; 28];
    for (i, v) in values.iter().enumerate() {
        if *v as usize > max {
            return Err(format!("pixel {i} is {v}, above maxval {max}"));
        }
        image[i / 28][i % 28] = ((v * 255 + max as u32 / 2) / max as u32) as u8;
    }
    Ok(image)
}

/// The bundled MNIST: `data/mnist` under the current directory, else the
/// repository's.
pub fn default_data_dir() -> PathBuf {
    let here = PathBuf::from("data/mnist");
    if here.is_dir() {
        here
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist")
    }
}

/// The test images and labels of MNIST in `dir` (`.gz` or not).
///
/// A small reader of its own rather than `nn::data`'s: gzip through
/// miniz_oxide without flate2's CRC tables keeps the binary small (the
/// gzip length field is still checked); `tests/deploy.rs` checks that it
/// reads the same images as `nn::data`.
pub fn test_set(dir: &Path) -> Result<(Vec<Image>, Vec<u8>), String> {
    let images = read_idx(dir, "t10k-images-idx3-ubyte", &[28, 28])?;
    let labels = read_idx(dir, "t10k-labels-idx1-ubyte", &[])?;
    let images: Vec<Image> = images
        .chunks_exact(28 * 28)
        .map(|im| std::array::from_fn(|i| std::array::from_fn(|j| im[i * 28 + j])))
        .collect();
    if images.len() != labels.len() {
        return Err(format!("{}: {} images but {} labels", dir.display(), images.len(), labels.len()));
    }
    Ok((images, labels))
}

/// The bytes of an IDX file of unsigned bytes whose dimensions after the
/// first are `inner`: `dir/stem.gz`, else `dir/stem`.
fn read_idx(dir: &Path, stem: &str, inner: &[u32]) -> Result<Vec<u8>, String> {
    let gz = dir.join(format!("{stem}.gz"));
    let (path, raw) = match std::fs::read(&gz) {
        Ok(b) => (gz, b),
        Err(_) => {
            let plain = dir.join(stem);
            let b = std::fs::read(&plain).map_err(|e| format!("{}: {e}", plain.display()))?;
            (plain, b)
        }
    };
    let bad = |what: &str| format!("{}: {what}", path.display());
    let data = if raw.starts_with(&[0x1f, 0x8b]) { gunzip(&raw).map_err(|e| bad(&e))? } else { raw };
    let rank = usize::from(*data.get(3).ok_or_else(|| bad("truncated"))?);
    if data[..3] != [0, 0, 8] || rank != inner.len() + 1 {
        return Err(bad(&format!("not an IDX file of u8 with {} dimensions", inner.len() + 1)));
    }
    let header = 4 + 4 * rank;
    let dims: Vec<u32> = data
        .get(4..header)
        .ok_or_else(|| bad("truncated"))?
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if dims[1..] != *inner {
        return Err(bad(&format!("dimensions {dims:?}, expected [n, {inner:?}]")));
    }
    let len = dims.iter().map(|&d| d as usize).product::<usize>();
    if data.len() != header + len {
        return Err(bad(&format!("{} data bytes for dimensions {dims:?}", data.len() - header)));
    }
    Ok(data[header..].to_vec())
}

/// Decompresses a one-member gzip file (RFC 1952), checking its length field.
fn gunzip(raw: &[u8]) -> Result<Vec<u8>, String> {
    let flags = *raw.get(3).ok_or("truncated gzip header")?;
    if raw[2] != 8 {
        return Err("gzip: not deflate".into());
    }
    let mut pos = 10;
    let skip_zero_terminated = |pos: &mut usize| {
        while raw.get(*pos).is_some_and(|&b| b != 0) {
            *pos += 1;
        }
        *pos += 1;
    };
    if flags & 4 != 0 {
        let n = raw.get(pos..pos + 2).ok_or("truncated gzip header")?;
        pos += 2 + usize::from(u16::from_le_bytes([n[0], n[1]]));
    }
    if flags & 8 != 0 {
        skip_zero_terminated(&mut pos);
    }
    if flags & 16 != 0 {
        skip_zero_terminated(&mut pos);
    }
    if flags & 2 != 0 {
        pos += 2;
    }
    let body = raw.get(pos..raw.len().saturating_sub(8)).ok_or("truncated gzip file")?;
    let size = raw[raw.len() - 4..].try_into().map(u32::from_le_bytes).map_err(|_| "truncated gzip file")?;
    let out = miniz_oxide::inflate::decompress_to_vec_with_limit(body, 1 << 26).map_err(|e| format!("gzip: {e}"))?;
    if out.len() as u32 != size {
        return Err(format!("gzip: {} bytes, but the trailer says {size}", out.len()));
    }
    Ok(out)
}

/// The class of every image, and the accuracy against `labels`.
pub fn eval(images: &[Image], labels: &[u8]) -> (Vec<usize>, f64) {
    let predictions: Vec<usize> = images.iter().map(|im| classify(im).0).collect();
    let correct = predictions.iter().zip(labels).filter(|(p, l)| **p == usize::from(**l)).count();
    let accuracy = correct as f64 / labels.len().max(1) as f64;
    (predictions, accuracy)
}
