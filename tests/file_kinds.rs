//! Paths that are not plain files: every writer (weights, checkpoints,
//! History CSV/JSON/SVG) writes through a symbolic link to its target and
//! refuses a directory, a FIFO or a device; every reader (weights,
//! checkpoints, IDX data) refuses them up front instead of blocking on a
//! FIFO or reading `/dev/zero`. Each error names the path and what it is.

#![cfg(unix)]

use std::os::unix::fs::{symlink, FileTypeExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use nn::loss::MeanSquaredError;
use nn::ndarray::Array2;
use nn::optim::Sgd;
use nn::train::{load_checkpoint, optimizer_path, save_checkpoint};
use nn::FitOptions;

nn::sequential! {
    struct Net {
        Input[3],
        Dense(2, relu),
    }
}

fn kernel_bits(m: &Net) -> Vec<u32> {
    m.dense.kernel.iter().map(|v| v.to_bits()).collect()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn is_fifo(path: &Path) -> bool {
    std::fs::symlink_metadata(path).map(|m| m.file_type().is_fifo()).unwrap_or(false)
}

/// Runs `f` on another thread; a call still blocked after 10 s fails the test
/// (and `unblock` releases it).
fn within_10s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static, unblock: impl FnOnce()) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(v) => v,
        Err(_) => {
            unblock();
            panic!("the call blocked for 10 s");
        }
    }
}

/// Opens a FIFO for writing without blocking the test forever (releases a reader blocked in open).
fn release_fifo(path: PathBuf) {
    std::thread::spawn(move || drop(std::fs::OpenOptions::new().write(true).open(path)));
    std::thread::sleep(Duration::from_millis(200));
}

#[test]
fn save_weights_writes_through_a_symlink_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("real");
    std::fs::create_dir(&real_dir).unwrap();
    let target = real_dir.join("net.safetensors");
    let link = dir.path().join("link.safetensors");
    Net::seeded(1).save_weights(&target).unwrap();
    symlink(&target, &link).unwrap();

    let b = Net::seeded(2);
    b.save_weights(&link).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
    let mut back = Net::seeded(3);
    back.load_weights(&target).unwrap();
    assert_eq!(kernel_bits(&back), kernel_bits(&b), "the target has the new weights");
    // No temporary file left beside the link or the target.
    for d in [dir.path(), real_dir.as_path()] {
        let litter: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(litter.is_empty(), "{litter:?}");
    }

    // A relative link, and a dangling one (its target is created).
    let rel = dir.path().join("rel.safetensors");
    symlink("real/net.safetensors", &rel).unwrap();
    Net::seeded(4).save_weights(&rel).unwrap();
    back.load_weights(&target).unwrap();
    assert_eq!(kernel_bits(&back), kernel_bits(&Net::seeded(4)));
    let dangling = dir.path().join("dangling.safetensors");
    symlink(real_dir.join("new.safetensors"), &dangling).unwrap();
    Net::seeded(5).save_weights(&dangling).unwrap();
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    back.load_weights(real_dir.join("new.safetensors")).unwrap();
    assert_eq!(kernel_bits(&back), kernel_bits(&Net::seeded(5)));
}

#[test]
fn save_weights_refuses_a_fifo_and_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.safetensors");
    mkfifo(&fifo);
    let err = Net::seeded(1).save_weights(&fifo).unwrap_err().to_string();
    assert!(err.contains(&fifo.display().to_string()) && err.contains("is a FIFO"), "{err}");
    assert!(is_fifo(&fifo), "the FIFO is still there");

    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let err = Net::seeded(1).save_weights(&sub).unwrap_err().to_string();
    assert!(err.contains(&sub.display().to_string()) && err.contains("is a directory"), "{err}");
    assert!(sub.is_dir());

    // Through a symlink, the message names both.
    let link = dir.path().join("to-fifo");
    symlink(&fifo, &link).unwrap();
    let err = Net::seeded(1).save_weights(&link).unwrap_err().to_string();
    assert!(err.contains("is a symbolic link to") && err.contains("is a FIFO"), "{err}");
}

/// A character device node made in a temporary directory (root only: `mknod`),
/// so that a broken writer could only replace that copy, never `/dev/full`.
#[test]
fn save_weights_refuses_a_character_device() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("full");
    let made = Command::new("mknod").arg(&dev).args(["c", "1", "7"]).status().map(|s| s.success()).unwrap_or(false);
    if !made {
        println!("skipped: cannot mknod here (not root?)");
        return;
    }
    let err = Net::seeded(1).save_weights(&dev).unwrap_err().to_string();
    assert!(err.contains(&dev.display().to_string()) && err.contains("is a character device"), "{err}");
    assert!(std::fs::symlink_metadata(&dev).unwrap().file_type().is_char_device(), "the node is still a device");
}

#[test]
fn load_weights_refuses_a_fifo_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.safetensors");
    mkfifo(&fifo);
    let path = fifo.clone();
    let err = within_10s(
        move || {
            let mut m = Net::seeded(1);
            let err = m.load_weights(&path).unwrap_err().to_string();
            assert_eq!(kernel_bits(&m), kernel_bits(&Net::seeded(1)), "unchanged");
            err
        },
        || release_fifo(fifo.clone()),
    );
    assert!(err.contains(&fifo.display().to_string()) && err.contains("is a FIFO"), "{err}");
}

#[test]
fn load_weights_refuses_devices_and_directories() {
    let mut m = Net::seeded(1);
    let err = m.load_weights("/dev/zero").unwrap_err().to_string();
    assert!(err.contains("/dev/zero") && err.contains("is a character device"), "{err}");
    assert!(!err.contains("empty"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let err = m.load_weights(dir.path()).unwrap_err().to_string();
    assert!(err.contains("is a directory"), "{err}");
    assert_eq!(kernel_bits(&m), kernel_bits(&Net::seeded(1)));
}

#[test]
fn checkpoints_write_through_symlinks_and_refuse_fifos() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let (target, link) = (real.join("ckpt.safetensors"), dir.path().join("ckpt.safetensors"));
    let mut m = Net::seeded(1);
    let opt = Sgd::new(0.1);
    save_checkpoint(&mut m, &opt, &target, 1).unwrap();
    symlink(&target, &link).unwrap();
    symlink(optimizer_path(&target), optimizer_path(&link)).unwrap();
    let mut b = Net::seeded(2);
    save_checkpoint(&mut b, &opt, &link, 2).unwrap();
    for p in [link.clone(), optimizer_path(&link)] {
        assert!(std::fs::symlink_metadata(&p).unwrap().file_type().is_symlink(), "{} is still a link", p.display());
    }
    let mut back = Net::seeded(3);
    assert_eq!(load_checkpoint(&mut back, &mut Sgd::new(0.1), &target).unwrap(), 2);
    assert_eq!(kernel_bits(&back), kernel_bits(&b));

    // A FIFO where the state file goes: refused, and reading it does not block.
    let fifo = dir.path().join("f.safetensors");
    mkfifo(&optimizer_path(&fifo));
    let err = save_checkpoint(&mut m, &opt, &fifo, 1).unwrap_err().to_string();
    assert!(err.contains("is a FIFO"), "{err}");
    let state = optimizer_path(&fifo);
    let err = within_10s(
        move || load_checkpoint(&mut Net::seeded(1), &mut Sgd::new(0.1), &fifo).unwrap_err().to_string(),
        || release_fifo(state),
    );
    assert!(err.contains("is a FIFO"), "{err}");
}

#[test]
fn history_files_write_through_symlinks_and_refuse_fifos() {
    let x = Array2::from_shape_fn((8, 3), |(i, j)| (i + j) as f32 * 0.1);
    let y = Array2::from_shape_fn((8, 2), |(i, _)| i as f32 * 0.1);
    let mut m = Net::seeded(1);
    let h = m
        .fit(&x, &y, &MeanSquaredError, &mut Sgd::new(0.01), FitOptions { epochs: 2, verbose: 0, ..Default::default() })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    type Writer = fn(&nn::History, &Path) -> nn::Result<()>;
    let writers: [(&str, Writer, String); 3] = [
        ("csv", |h, p| h.to_csv(p), h.csv()),
        ("json", |h, p| h.to_json(p), h.json()),
        ("svg", |h, p| h.plot_svg(p), h.svg()),
    ];
    for (ext, write, text) in writers {
        let target = dir.path().join(format!("history.{ext}"));
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join(format!("link.{ext}"));
        symlink(&target, &link).unwrap();
        write(&h, &link).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), text, "{ext}");

        let fifo = dir.path().join(format!("fifo.{ext}"));
        mkfifo(&fifo);
        let path = fifo.clone();
        let h2 = h.clone();
        let err = within_10s(move || write(&h2, &path).unwrap_err().to_string(), || release_fifo(fifo.clone()));
        assert!(err.contains("is a FIFO") && err.contains(&fifo.display().to_string()), "{ext}: {err}");
        assert!(is_fifo(&fifo));
    }
}

#[test]
fn idx_reader_refuses_a_fifo_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("train-images-idx3-ubyte");
    mkfifo(&fifo);
    let path = fifo.clone();
    let err = within_10s(move || nn::data::read_idx(&path).unwrap_err().to_string(), || release_fifo(fifo.clone()));
    assert!(err.contains("is a FIFO"), "{err}");
    let err = nn::data::read_idx(Path::new("/dev/zero")).unwrap_err().to_string();
    assert!(err.contains("is a character device"), "{err}");
}
