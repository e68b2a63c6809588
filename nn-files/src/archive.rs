//! `.keras` archives: a zip holding `config.json` (the architecture),
//! `metadata.json` (Keras's version, the date) and `model.weights.h5`, as
//! Keras 3's `model.save("model.keras")` writes them (stored, not
//! compressed; compressed members are read too).

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::Result;

/// The members of an archive that `nn` uses.
#[derive(Debug)]
pub struct Archive {
    /// `config.json`, parsed.
    pub config: serde_json::Value,
    /// The bytes of `model.weights.h5`.
    pub weights: Vec<u8>,
}

/// Largest member read, as a multiple of the archive's size: deflate can
/// shrink 1,032 to 1, and no real member comes close (a lying size header
/// must not become an allocation).
const MAX_RATIO: u64 = 1032;

/// Reads an archive's `config.json` and `model.weights.h5`.
pub fn read(bytes: &[u8]) -> Result<Archive> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a .keras archive (zip): {e}"))?;
    let limit = (bytes.len() as u64).saturating_mul(MAX_RATIO);
    let config = member(&mut zip, "config.json", limit)?;
    let config = serde_json::from_slice(&config).map_err(|e| format!("`config.json` is not valid JSON: {e}"))?;
    let weights = member(&mut zip, "model.weights.h5", limit)?;
    Ok(Archive { config, weights })
}

/// The content of member `name`, at most `limit` bytes.
fn member(zip: &mut ZipArchive<Cursor<&[u8]>>, name: &str, limit: u64) -> Result<Vec<u8>> {
    let mut f = zip.by_name(name).map_err(|e| match e {
        zip::result::ZipError::FileNotFound => format!("the archive has no `{name}`; not a Keras 3 `.keras` file"),
        e => format!("member `{name}`: {e}"),
    })?;
    let size = f.size();
    if size > limit {
        return Err(format!("member `{name}` claims {size} bytes, more than the archive can hold"));
    }
    let mut out = Vec::with_capacity(size as usize);
    f.by_ref().take(size).read_to_end(&mut out).map_err(|e| format!("member `{name}` cannot be read: {e}"))?;
    if out.len() as u64 != size {
        return Err(format!("member `{name}` is truncated: {} of {size} bytes", out.len()));
    }
    Ok(out)
}

/// The bytes of an archive with `config` and `weights` (the bytes of a
/// weights file), and `metadata.json` naming the Keras version the config
/// follows and `date_saved`.
pub fn write(config: &serde_json::Value, weights: &[u8], date_saved: &str) -> Result<Vec<u8>> {
    let metadata = serde_json::json!({ "keras_version": crate::config::KERAS_VERSION, "date_saved": date_saved });
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let bad = |e: zip::result::ZipError| format!("cannot write the archive: {e}");
    for (name, bytes) in [
        ("metadata.json", serde_json::to_vec(&metadata).map_err(|e| e.to_string())?),
        ("config.json", serde_json::to_vec(config).map_err(|e| e.to_string())?),
    ] {
        zip.start_file(name, opts).map_err(bad)?;
        zip.write_all(&bytes).map_err(|e| e.to_string())?;
    }
    zip.start_file("model.weights.h5", opts).map_err(bad)?;
    zip.write_all(weights).map_err(|e| e.to_string())?;
    Ok(zip.finish().map_err(bad)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_mistakes() {
        let cfg = serde_json::json!({"class_name": "Sequential"});
        let bytes = write(&cfg, b"\x89HDF\r\n\x1a\nweights", "2026-12-01@00:00:00").unwrap();
        let a = read(&bytes).unwrap();
        assert_eq!(a.config, cfg);
        assert_eq!(a.weights, b"\x89HDF\r\n\x1a\nweights");
        assert!(read(b"PK\x03\x04 not really").unwrap_err().contains("not a .keras archive"));
        for cut in [10, bytes.len() / 2, bytes.len() - 1] {
            assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
