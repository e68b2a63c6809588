//! A file whose header claims more than the file holds is rejected before
//! anything of the claimed size is allocated: a global allocator records the
//! largest single allocation while each bad file is read.

use std::io::Write;

#[path = "common/alloc.rs"]
mod alloc;

use alloc::largest_allocation;

nn::sequential! {
    struct Net {
        Input[4],
        Dense(3),
    }
}

/// Bytes that a read may allocate for bookkeeping (paths, messages, buffers).
const SMALL: usize = 64 * 1024;

#[test]
fn safetensors_header_longer_than_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");
    let before = {
        let m = Net::seeded(1);
        m.dense.kernel.to_vec()
    };
    for (claimed, tail) in [(1u64 << 40, &b"{}"[..]), (u64::MAX, b""), (u64::MAX / 2, b"{\"a\":1}"), (100, b"{}")] {
        let mut file = claimed.to_le_bytes().to_vec();
        file.extend_from_slice(tail);
        std::fs::write(&path, &file).unwrap();
        let mut m = Net::seeded(1);
        let (result, largest) = largest_allocation(|| m.load_weights(&path));
        let err = result.unwrap_err();
        assert!(matches!(err, nn::Error::Weights { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("header length {claimed} is larger than the {} ", tail.len()))
                || msg.contains("too short"),
            "{msg}"
        );
        assert!(largest < SMALL, "claimed {claimed}: allocated {largest} bytes at once");
        assert_eq!(m.dense.kernel.to_vec(), before, "the model is unchanged");

        let (result, largest) = largest_allocation(|| nn::io::load_all(&path));
        assert!(matches!(result, Err(nn::Error::Weights { .. })));
        assert!(largest < SMALL, "load_all, claimed {claimed}: allocated {largest} bytes at once");
    }
}

#[test]
fn safetensors_tensor_offsets_beyond_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");
    // A valid header length whose tensors claim terabytes of data.
    let header = r#"{"dense.kernel":{"dtype":"F32","shape":[4,3],"data_offsets":[0,1099511627776]},"dense.bias":{"dtype":"F32","shape":[3],"data_offsets":[1099511627776,1099511627788]}}"#;
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header.as_bytes());
    file.extend_from_slice(&[0u8; 60]);
    std::fs::write(&path, &file).unwrap();
    let mut m = Net::seeded(1);
    let (result, largest) = largest_allocation(|| m.load_weights(&path));
    let err = result.unwrap_err();
    assert!(matches!(err, nn::Error::Weights { .. }), "{err:?}");
    assert!(largest < SMALL, "allocated {largest} bytes at once: {err}");
}

#[test]
fn idx_dimensions_larger_than_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // (dimensions, data bytes really present)
    let cases: [(&[u32], usize); 4] =
        [(&[u32::MAX, u32::MAX, u32::MAX], 10), (&[60000, 28, 28], 784), (&[1 << 30], 3), (&[u32::MAX; 255], 0)];
    for (dims, present) in cases {
        let mut raw = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            raw.extend_from_slice(&d.to_be_bytes());
        }
        raw.extend(std::iter::repeat_n(7u8, present));
        for gzip in [false, true] {
            let bytes = if gzip {
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(&raw).unwrap();
                enc.finish().unwrap()
            } else {
                raw.clone()
            };
            let path = dir.path().join("bad.idx");
            std::fs::write(&path, &bytes).unwrap();
            let (result, largest) = largest_allocation(|| nn::data::read_idx(&path));
            let err = result.unwrap_err();
            assert!(matches!(err, nn::Error::Data { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(msg.contains("truncated") || msg.contains("too large"), "{msg}");
            assert!(largest < SMALL + 1032 * bytes.len(), "{dims:?} (gzip {gzip}): allocated {largest} bytes at once");
        }
    }
}
