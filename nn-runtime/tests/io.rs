//! safetensors weight files: round trip, hand-made files, and every kind of bad file.

use std::path::Path;

use nn_runtime::io::{load, save};
use nn_runtime::Error;

/// A safetensors file built by hand: 8-byte LE header length, JSON, data.
fn st_bytes(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn f32_bytes(xs: &[f32]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The tensors of a Dense(3 -> 2) layer.
fn dense_expected() -> Vec<(String, &'static [usize])> {
    vec![("dense.kernel".to_string(), &[3, 2]), ("dense.bias".to_string(), &[2])]
}

/// A valid hand-made file for `dense_expected`, bias first in the data (as
/// another writer may order it).
fn dense_file() -> Vec<u8> {
    let header = r#"{"__metadata__":{"format":"pt"},"dense.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"dense.kernel":{"dtype":"F32","shape":[3,2],"data_offsets":[8,32]}}"#;
    let mut data = f32_bytes(&[0.5, -0.5]);
    data.extend(f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    st_bytes(header, &data)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// Loads `bytes` against `dense_expected` and returns the error message.
fn load_err(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "w.safetensors", bytes);
    match load(&path, &dense_expected()) {
        Ok(v) => panic!("expected an error, loaded {v:?}"),
        Err(e) => {
            assert!(matches!(e, Error::Weights { .. }), "not a Weights error: {e:?}");
            let msg = e.to_string();
            assert!(msg.contains("w.safetensors"), "message does not name the file: {msg}");
            msg
        }
    }
}

fn assert_contains(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
    }
}

#[test]
fn round_trip_is_bit_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.safetensors");
    let kernel: Vec<f32> = (0..12).map(|i| (i as f32 - 5.5) / 7.0).collect();
    let special = [f32::MIN_POSITIVE, -0.0, f32::MAX, 1e-45, f32::INFINITY, f32::NAN];
    let gamma = [1.0f32];
    let tensors: Vec<(String, &[usize], &[f32])> = vec![
        ("dense.kernel".into(), &[4, 3], &kernel),
        ("odd.values".into(), &[2, 3], &special),
        ("batch_normalization.gamma".into(), &[1], &gamma),
    ];
    save(&path, &tensors).expect("save");
    // Read back in another order than written.
    let expected: Vec<(String, &[usize])> = vec![
        ("odd.values".into(), &[2, 3]),
        ("batch_normalization.gamma".into(), &[1]),
        ("dense.kernel".into(), &[4, 3]),
    ];
    let back = load(&path, &expected).expect("load");
    let bits = |xs: &[f32]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back[0]), bits(&special));
    assert_eq!(bits(&back[1]), bits(&gamma));
    assert_eq!(bits(&back[2]), bits(&kernel));

    // Saving again replaces the file.
    let kernel2 = vec![0.25f32; 12];
    save(&path, &[("dense.kernel".into(), &[4, 3], &kernel2)]).expect("save again");
    let back = load(&path, &[("dense.kernel".into(), &[4, 3])]).expect("load again");
    assert_eq!(back, vec![kernel2]);
}

#[test]
fn atomic_save_leaves_no_temp_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.safetensors");
    let data = [1.0f32, 2.0];
    for _ in 0..3 {
        save(&path, &[("dense.bias".into(), &[2], &data)]).expect("save");
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["w.safetensors".to_string()]);
}

#[test]
fn save_rejects_bad_input_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.safetensors");
    let good = [1.0f32, 2.0];
    save(&path, &[("dense.bias".into(), &[2], &good)]).expect("save");
    let before = std::fs::read(&path).expect("read");

    let short = [1.0f32; 5];
    let err = save(&path, &[("dense.kernel".into(), &[3, 2], &short)]).unwrap_err();
    assert_contains(&err.to_string(), &["`dense.kernel`", "5 values", "[3, 2]", "6"]);
    let err = save(&path, &[("a.b".into(), &[2], &good), ("a.b".into(), &[2], &good)]).unwrap_err();
    assert_contains(&err.to_string(), &["`a.b`", "twice"]);

    assert_eq!(std::fs::read(&path).expect("read"), before);
    assert_eq!(std::fs::read_dir(dir.path()).expect("read_dir").count(), 1);

    // A directory that does not exist is an I/O error naming the path.
    let missing = dir.path().join("no/such/dir/w.safetensors");
    let err = save(&missing, &[("dense.bias".into(), &[2], &good)]).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}

#[test]
fn hand_made_file_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "keras.safetensors", &dense_file());
    let values = load(&path, &dense_expected()).expect("load");
    assert_eq!(values, vec![vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], vec![0.5, -0.5]]);
}

#[test]
fn hand_made_file_with_unaligned_data_loads() {
    // A header padded to 59 bytes puts the data at offset 67: not a multiple of 4.
    let dir = tempfile::tempdir().expect("tempdir");
    let header = r#"{"x.y":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}  "#;
    assert_eq!((8 + header.len()) % 4, 3);
    let bytes = st_bytes(header, &f32_bytes(&[1.5, -2.25, 3.0e-7]));
    let path = write(dir.path(), "u.safetensors", &bytes);
    let values = load(&path, &[("x.y".into(), &[3])]).expect("load");
    assert_eq!(values, vec![vec![1.5, -2.25, 3.0e-7]]);
}

#[test]
fn missing_tensor_is_named() {
    let header = r#"{"dense.kernel":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]}}"#;
    let msg = load_err(&st_bytes(header, &[0; 24]));
    assert_contains(&msg, &["tensor `dense.bias` is missing"]);
}

#[test]
fn extra_tensor_is_named() {
    let header = r#"{"dense.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"dense.kernel":{"dtype":"F32","shape":[3,2],"data_offsets":[8,32]},"dense_1.bias":{"dtype":"F32","shape":[1],"data_offsets":[32,36]}}"#;
    let msg = load_err(&st_bytes(header, &[0; 36]));
    assert_contains(&msg, &["unexpected tensor `dense_1.bias`"]);
}

#[test]
fn misshaped_tensor_is_named() {
    let header = r#"{"dense.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"dense.kernel":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}"#;
    let msg = load_err(&st_bytes(header, &[0; 32]));
    assert_contains(&msg, &["tensor `dense.kernel` has shape [2, 3], expected [3, 2]"]);
}

#[test]
fn wrong_dtype_is_named() {
    let header = r#"{"dense.bias":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"dense.kernel":{"dtype":"F16","shape":[3,2],"data_offsets":[16,28]}}"#;
    let msg = load_err(&st_bytes(header, &[0; 28]));
    assert_contains(
        &msg,
        &["tensor `dense.bias` has dtype F64, expected F32", "tensor `dense.kernel` has dtype F16, expected F32"],
    );
}

#[test]
fn truncated_file_is_an_error_at_every_cut() {
    let full = dense_file();
    for cut in [0, 1, 7, 8, 9, 20, full.len() - 33, full.len() - 32, full.len() - 5, full.len() - 1] {
        let msg = load_err(&full[..cut]);
        let named = ["empty", "too short", "truncated"].iter().any(|p| msg.contains(p));
        assert!(named, "cut at {cut}: message does not say the file is truncated: {msg}");
    }
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut bytes = dense_file();
    bytes.extend_from_slice(&[0; 4]);
    assert_contains(&load_err(&bytes), &["data section is 36 bytes", "trailing bytes"]);
}

#[test]
fn garbage_is_an_error() {
    // A plausible header length, then no JSON.
    let mut bytes = 16u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"\x00\xff garbage!! \x01\x02\x03 more bytes");
    assert_contains(&load_err(&bytes), &["not a safetensors file"]);
    // JSON, but not a safetensors header.
    assert_contains(&load_err(&st_bytes(r#"{"a": 1}"#, &[])), &["not a safetensors file"]);
    assert_contains(&load_err(&st_bytes("[1, 2, 3]", &[])), &["not a safetensors file"]);
    // Offsets that do not cover the data.
    let header = r#"{"dense.bias":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#;
    assert_contains(&load_err(&st_bytes(header, &[0; 12])), &["dense.bias"]);
    // Offsets whose sum is near u64::MAX (eight tensors of 2^61 - 1 bytes).
    let size = (1u64 << 61) - 1;
    let entries: Vec<String> = (0..8u64)
        .map(|i| {
            let (start, end) = (i * size, (i + 1) * size);
            format!(r#""t{i}":{{"dtype":"U8","shape":[{size}],"data_offsets":[{start},{end}]}}"#)
        })
        .collect();
    load_err(&st_bytes(&format!("{{{}}}", entries.join(",")), &[]));
    // Random bytes of several lengths never panic.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for len in [8usize, 9, 15, 64, 300] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        load_err(&bytes);
    }
}

#[test]
fn header_length_larger_than_the_file_is_caught_before_allocating() {
    let mut bytes = (u64::MAX - 3).to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    assert_contains(&load_err(&bytes), &["header length 18446744073709551612 is larger than the 2 bytes"]);
    let mut bytes = (1u64 << 40).to_le_bytes().to_vec();
    bytes.extend_from_slice(&dense_file()[8..]);
    assert_contains(&load_err(&bytes), &["header length 1099511627776"]);
}

#[test]
fn empty_file_is_an_error() {
    assert_contains(&load_err(&[]), &["empty"]);
}

#[test]
fn missing_file_is_an_io_error_with_the_os_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("absent.safetensors");
    let err = load(&path, &dense_expected()).unwrap_err();
    assert!(matches!(&err, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound), "{err:?}");
    assert!(err.to_string().contains("absent.safetensors"), "{err}");
}
