//! Which kind of weights file some bytes are, by content, not by name.

/// The kinds of weights file `nn` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An HDF5 file (Keras's `.weights.h5`).
    Hdf5,
    /// A zip archive (Keras's `.keras`).
    Zip,
    /// Anything else: read as safetensors, whose own checks say what is wrong.
    Safetensors,
}

/// HDF5's signature; at offset 0, or 512, 1024, 2048... after a user block.
const HDF5_MAGIC: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// The kind of file whose first bytes are `head` (at least the first 8;
/// user blocks are looked through up to the length given).
pub fn kind(head: &[u8]) -> Kind {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    let mut at = 0;
    while at + HDF5_MAGIC.len() <= head.len() {
        if &head[at..at + HDF5_MAGIC.len()] == HDF5_MAGIC {
            return Kind::Hdf5;
        }
        at = if at == 0 { 512 } else { at * 2 };
    }
    Kind::Safetensors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_content() {
        assert_eq!(kind(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(kind(b"\x89HDF\r\n\x1a\n...."), Kind::Hdf5);
        let mut ub = vec![0u8; 512];
        ub.extend_from_slice(HDF5_MAGIC);
        assert_eq!(kind(&ub), Kind::Hdf5);
        assert_eq!(kind(&[8, 0, 0, 0, 0, 0, 0, 0, b'{']), Kind::Safetensors);
        assert_eq!(kind(b""), Kind::Safetensors);
    }
}
