//! The one way the crate reads and writes files: every writer (weights,
//! checkpoints, histories, plots) goes through [`write_atomic`], every reader
//! (weights, checkpoints, IDX data) through [`open_regular`].
//!
//! Both refuse a path that exists and is not a regular file (a directory, a
//! FIFO, a device, a socket) with an error that names the path and says
//! what it is, before anything is read or written: reading a FIFO would block
//! forever, and renaming over a device node would replace it.
//!
//! A symbolic link is written through: the file it points to is replaced
//! (its temporary file created in the target's directory, so the rename stays
//! atomic), and the link is left as it was.

use std::fs::{self, File, FileType, Metadata};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// Symbolic links followed before giving up (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// Replaces the file at `path` atomically with the bytes `write` produces.
///
/// A temporary file beside the target (`.<name>.<pid>.<n>.tmp`) is written,
/// flushed to disk and renamed over the target, and the directory is flushed
/// too (on unix), so a crash leaves either the old file or the new one. The
/// target is `path`, or the file a symbolic link at `path` points to (a
/// dangling link's target is created); a replaced file keeps its
/// permissions. A writer killed mid-save leaves its temporary file; the next
/// successful write of the same file removes those of dead writers.
///
/// A target that exists and is not a regular file is an [`Error::Io`] naming
/// `path` and what it is (`is a directory`, `is a FIFO`, `is a character
/// device`, ...); nothing is written then, nor when `write` fails.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let io_err = |source: std::io::Error| Error::Io { path: path.to_path_buf(), source };
    let target = resolve_links(path).map_err(io_err)?;
    let existing = match fs::metadata(&target) {
        Ok(meta) => {
            check_regular(path, &target, &meta)?;
            Some(meta)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(e)),
    };

    let (tmp_path, file) = create_temp_beside(&target).map_err(io_err)?;
    let written = (|| {
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        if let Some(meta) = &existing {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp_path, &target)
    })();
    if let Err(e) = written {
        // Best effort: the write already failed, the temporary file is litter.
        let _ = fs::remove_file(&tmp_path);
        return Err(io_err(e));
    }
    sync_dir(&target).map_err(io_err)?;
    remove_stale_temps(&target);
    Ok(())
}

/// Opens `path` for reading, refusing anything but a regular file (or a
/// symbolic link to one) before opening it: an [`Error::Io`] naming the path
/// and what it is. A path that cannot be opened is an [`Error::Io`] with the
/// operating system's reason.
pub fn open_regular(path: &Path) -> Result<File> {
    let io_err = |source: std::io::Error| Error::Io { path: path.to_path_buf(), source };
    check_regular(path, path, &fs::metadata(path).map_err(io_err)?)?;
    let file = File::open(path).map_err(io_err)?;
    // The path may have been replaced between the check and the open.
    check_regular(path, path, &file.metadata().map_err(io_err)?)?;
    Ok(file)
}

/// The whole content of the regular file at `path` ([`open_regular`]),
/// read up to the length the file had when opened (a file that grows while
/// being read cannot make the read unbounded).
pub fn read_regular(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let io_err = |source: std::io::Error| Error::Io { path: path.to_path_buf(), source };
    let file = open_regular(path)?;
    let len = file.metadata().map_err(io_err)?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(len).read_to_end(&mut bytes).map_err(io_err)?;
    Ok(bytes)
}

/// An error unless `meta` (of `target`, which `path` leads to) is a regular file.
fn check_regular(path: &Path, target: &Path, meta: &Metadata) -> Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    let what = kind(meta.file_type());
    let reason = if target == path {
        format!("is {what}, not a regular file")
    } else {
        format!("is a symbolic link to {}, which is {what}, not a regular file", target.display())
    };
    Err(Error::Io { path: path.to_path_buf(), source: std::io::Error::new(std::io::ErrorKind::InvalidInput, reason) })
}

/// What a file that is not a regular one is, in words.
fn kind(t: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// The file `path` names once every symbolic link at its end is followed
/// (relative links from the link's directory); `path` itself if it is not a
/// link or does not exist.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = if link.is_absolute() { link } else { parent_dir(&p).join(link) };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other(format!("more than {MAX_LINKS} levels of symbolic links")))
}

/// Creates a new, exclusive temporary file in `path`'s directory.
fn create_temp_beside(path: &Path) -> std::io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy());
    let dir = parent_dir(path);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Removes the temporary files that writers killed mid-save left beside
/// `path` (`.<name>.<pid>.<n>.tmp`, see [`create_temp_beside`]).
///
/// Only files whose writer process no longer exists are removed: the pid in
/// the name must be another process's and absent from `/proc`. Linux only
/// (elsewhere there is no cheap, reliable liveness check and litter stays).
/// Best effort: any error is ignored, the save itself already succeeded.
/// Caveat: a writer in another pid namespace (a container sharing the
/// directory) looks dead; its rename would then fail with an error, never
/// corrupt the target.
#[cfg(target_os = "linux")]
fn remove_stale_temps(path: &Path) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}.");
    let own = std::process::id();
    let Ok(entries) = fs::read_dir(parent_dir(path)) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let Some(rest) = file_name.strip_prefix(&prefix).and_then(|r| r.strip_suffix(".tmp")) else { continue };
        let Some((pid, n)) = rest.split_once('.') else { continue };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(n) {
            continue;
        }
        let Some(pid) = pid.parse::<u32>().ok().filter(|_| digits(pid)) else { continue };
        if pid != own && pid != 0 && !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// No cheap liveness check of a writer here: stale temporary files stay.
#[cfg(not(target_os = "linux"))]
fn remove_stale_temps(_path: &Path) {}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes the directory entry of a rename to disk.
#[cfg(unix)]
fn sync_dir(path: &Path) -> std::io::Result<()> {
    File::open(parent_dir(path))?.sync_all()
}

/// Directories cannot be opened for syncing on this platform; the rename is
/// as durable as the platform makes it.
#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
