//! IDX reader: the bundled MNIST, small hand-made files, and every kind of bad file.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use nn_runtime::data::{labels_usize, read_idx, read_images, read_labels, to_f32, Mnist};
use nn_runtime::ndarray::{arr1, Array3};
use nn_runtime::Error;

const MNIST_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist");

/// An IDX file: magic `00 00 type rank`, big-endian dims, then `data`.
fn idx_bytes(type_code: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, type_code, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// Reads `bytes` as an IDX file, plain and gzipped, and returns both errors'
/// messages after checking they are `Error::Data` naming the file.
fn idx_errs(bytes: &[u8]) -> [String; 2] {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = write(dir.path(), "bad-idx1-ubyte", bytes);
    let gz = write(dir.path(), "bad-idx1-ubyte.gz", &gzip(bytes));
    [plain, gz].map(|path| match read_idx(&path) {
        Ok(a) => panic!("{}: expected an error, read shape {:?}", path.display(), a.shape()),
        Err(e) => {
            assert!(matches!(e, Error::Data { .. }), "not a Data error: {e:?}");
            let msg = e.to_string();
            assert!(msg.contains("bad-idx1-ubyte"), "message does not name the file: {msg}");
            msg
        }
    })
}

fn assert_contains(msgs: &[String], parts: &[&str]) {
    for msg in msgs {
        for p in parts {
            assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
        }
    }
}

#[test]
fn bundled_mnist_loads() {
    let mnist = Mnist::load(MNIST_DIR).expect("load bundled MNIST");
    assert_eq!(mnist.train_images.shape(), &[60000, 28, 28]);
    assert_eq!(mnist.train_labels.len(), 60000);
    assert_eq!(mnist.test_images.shape(), &[10000, 28, 28]);
    assert_eq!(mnist.test_labels.len(), 10000);
    assert_eq!(mnist.train_labels[0], 5);
    assert_eq!(mnist.test_labels[0], 7);
    assert!(mnist.train_labels.iter().chain(&mnist.test_labels).all(|&l| l < 10));
    // Every class appears; the pixels span the full byte range.
    for class in 0..10u8 {
        assert!(mnist.train_labels.iter().any(|&l| l == class), "class {class} missing");
    }
    assert_eq!(mnist.train_images.iter().max(), Some(&255));
    assert_eq!(mnist.train_images.iter().min(), Some(&0));
    assert_eq!(labels_usize(&mnist.train_labels)[0], 5);
}

#[test]
fn plain_and_gzip_small_files_read_alike() {
    let pixels: Vec<u8> = (0..2 * 3 * 4).map(|i| (i * 10) as u8).collect();
    let bytes = idx_bytes(0x08, &[2, 3, 4], &pixels);
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = write(dir.path(), "imgs-idx3-ubyte", &bytes);
    let gz = write(dir.path(), "imgs-idx3-ubyte.gz", &gzip(&bytes));
    for path in [&plain, &gz] {
        let images = read_images(path).expect("read images");
        assert_eq!(images.shape(), &[2, 3, 4]);
        assert_eq!(images[[1, 2, 3]], 230);
        assert_eq!(images.iter().copied().collect::<Vec<_>>(), pixels);
        let any = read_idx(path).expect("read idx");
        assert_eq!(any.shape(), &[2, 3, 4]);
    }

    let labels = write(dir.path(), "labels-idx1-ubyte.gz", &gzip(&idx_bytes(0x08, &[3], &[7, 0, 9])));
    assert_eq!(read_labels(&labels).expect("labels"), arr1(&[7, 0, 9]));
    // Rank 0: one scalar.
    let scalar = write(dir.path(), "scalar-idx0", &idx_bytes(0x08, &[], &[42]));
    assert_eq!(read_idx(&scalar).expect("scalar").iter().copied().collect::<Vec<_>>(), vec![42]);
    // Zero images.
    let empty = write(dir.path(), "empty-idx3", &idx_bytes(0x08, &[0, 28, 28], &[]));
    assert_eq!(read_images(&empty).expect("no images").shape(), &[0, 28, 28]);
}

#[test]
fn conversions_match_the_book() {
    let images = Array3::from_shape_vec((1, 1, 4), vec![0u8, 1, 128, 255]).expect("shape");
    let x = to_f32(&images);
    assert_eq!(x.shape(), &[1, 1, 4]);
    for (&v, &f) in images.iter().zip(x.iter()) {
        // NumPy: (X / 255.).astype(float32), i.e. the f64 quotient rounded to f32.
        assert_eq!(f, (f64::from(v) / 255.0) as f32);
    }
    assert_eq!(x[[0, 0, 3]], 1.0);
    assert_eq!(labels_usize(&arr1(&[3u8, 255])), arr1(&[3usize, 255]));
}

#[test]
fn bad_magic_is_an_error() {
    let mut bytes = idx_bytes(0x08, &[2], &[1, 2]);
    bytes[0] = 0x12;
    bytes[1] = 0x34;
    assert_contains(&idx_errs(&bytes), &["bad magic number 0x12340801", "not an IDX file"]);
    assert_contains(&idx_errs(&[0, 0]), &["too short"]);
    assert_contains(&idx_errs(b"PK\x03\x04 a zip file, not IDX"), &["bad magic number"]);
}

#[test]
fn wrong_type_code_is_an_error() {
    let bytes = idx_bytes(0x0D, &[1], &[0, 0, 128, 63]);
    assert_contains(&idx_errs(&bytes), &["type code 0x0d (f32)", "only unsigned bytes (0x08)"]);
}

#[test]
fn truncated_file_is_an_error() {
    let bytes = idx_bytes(0x08, &[2, 2, 2], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_contains(&idx_errs(&bytes[..bytes.len() - 1]), &["truncated", "[2, 2, 2]", "need 8 bytes", "found 7"]);
    assert_contains(&idx_errs(&bytes[..6]), &["truncated header", "rank 3"]);
}

#[test]
fn trailing_bytes_are_an_error() {
    let bytes = idx_bytes(0x08, &[2, 2], &[1, 2, 3, 4, 5]);
    assert_contains(&idx_errs(&bytes), &["trailing bytes", "[2, 2]", "need 4 bytes"]);
}

#[test]
fn huge_dimensions_in_a_tiny_file_are_an_error() {
    // 2^31 images of 28x28 claimed by a file of a few bytes: refused, not allocated.
    let bytes = idx_bytes(0x08, &[1 << 31, 28, 28], &[0; 16]);
    assert_contains(&idx_errs(&bytes), &["truncated", "[2147483648, 28, 28]", "need 1683627180032 bytes", "found 16"]);
    // A product that overflows u64.
    let bytes = idx_bytes(0x08, &[u32::MAX, u32::MAX, u32::MAX], &[]);
    assert_contains(&idx_errs(&bytes), &["too large"]);
}

#[test]
fn corrupt_gzip_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = gzip(&idx_bytes(0x08, &[64], &[7; 64]));
    let mut corrupt = good.clone();
    // Flip bits in the deflate stream and in the CRC.
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0xff;
    let mut bad_crc = good.clone();
    let n = bad_crc.len();
    bad_crc[n - 6] ^= 0x01;
    let cut = &good[..good.len() - 10];
    let garbage = [0x1f, 0x8b, 0xde, 0xad, 0xbe, 0xef];
    for (name, bytes) in [("corrupt", &corrupt[..]), ("bad-crc", &bad_crc), ("cut", cut), ("garbage", &garbage)] {
        let path = write(dir.path(), &format!("{name}.gz"), bytes);
        let err = read_idx(&path).expect_err(name);
        let msg = err.to_string();
        assert!(matches!(err, Error::Data { .. }), "{name}: {err:?}");
        assert!(msg.contains(&format!("{name}.gz")), "{name}: {msg}");
        assert!(msg.contains("gzip") || msg.contains("truncated"), "{name}: {msg}");
    }
}

#[test]
fn rank_mismatch_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let labels = write(dir.path(), "labels", &idx_bytes(0x08, &[3], &[1, 2, 3]));
    let msg = read_images(&labels).unwrap_err().to_string();
    assert!(msg.contains("rank 3") && msg.contains("found rank 1"), "{msg}");
    let images = write(dir.path(), "images", &idx_bytes(0x08, &[1, 1, 1], &[1]));
    let msg = read_labels(&images).unwrap_err().to_string();
    assert!(msg.contains("rank 1") && msg.contains("found rank 3"), "{msg}");
}

#[test]
fn missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = read_idx(&dir.path().join("absent")).unwrap_err();
    assert!(matches!(&err, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound), "{err:?}");
}

#[test]
fn mnist_load_checks_files_and_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let images = idx_bytes(0x08, &[2, 2, 2], &[0; 8]);
    // Plain training files, gzipped test files.
    write(dir.path(), "train-images-idx3-ubyte", &images);
    write(dir.path(), "train-labels-idx1-ubyte", &idx_bytes(0x08, &[2], &[1, 2]));
    write(dir.path(), "t10k-images-idx3-ubyte.gz", &gzip(&images));
    let err = Mnist::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("t10k-labels-idx1-ubyte"), "{err}");

    write(dir.path(), "t10k-labels-idx1-ubyte.gz", &gzip(&idx_bytes(0x08, &[3], &[1, 2, 3])));
    let err = Mnist::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("3 labels for 2 images") && err.contains("t10k-labels"), "{err}");

    write(dir.path(), "t10k-labels-idx1-ubyte.gz", &gzip(&idx_bytes(0x08, &[2], &[3, 4])));
    let mnist = Mnist::load(dir.path()).expect("load");
    assert_eq!(mnist.train_labels, arr1(&[1, 2]));
    assert_eq!(mnist.test_labels, arr1(&[3, 4]));
    assert_eq!(mnist.test_images.shape(), &[2, 2, 2]);
}
