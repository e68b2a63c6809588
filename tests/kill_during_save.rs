//! Interrupted saves lose nothing: a child process saves weights in a loop and
//! is killed with SIGKILL at random moments; the file on disk is always a
//! complete old or new file that loads, and the temporary files of killed
//! writers are removed by the next save.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::{Rng, SeedableRng};

nn::sequential! {
    struct Net {
        Input[64],
        Dense(256, relu),
        Dense(256, relu),
        Dense(10, softmax),
    }
}

const CHILD_ENV: &str = "NN_KILL_SAVE_CHILD";

fn kernel_bits(m: &Net) -> Vec<u32> {
    m.dense.kernel.iter().map(|v| v.to_bits()).collect()
}

/// Run by the child process only: saves the two models alternately, forever.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let models = [Net::seeded(1), Net::seeded(2)];
    for i in 0.. {
        models[i % 2].save_weights(&path).expect("save");
        if i == 0 {
            println!("first save done");
        }
    }
}

#[test]
fn kill_during_save_100_times() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("net.safetensors");
    let (a, b) = (Net::seeded(1), Net::seeded(2));
    a.save_weights(&path).unwrap();
    let valid = [kernel_bits(&a), kernel_bits(&b)];
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut seen = [0usize; 2];
    for round in 0..100 {
        let mut child = Command::new(&exe)
            .args(["--exact", "child_writer", "--nocapture", "--test-threads", "1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Somewhere between start-up and a few dozen saves.
        std::thread::sleep(Duration::from_micros(rng.random_range(2_000..40_000)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let mut m = Net::seeded(99);
        m.load_weights(&path).unwrap_or_else(|e| panic!("round {round}: file left unloadable: {e}"));
        let bits = kernel_bits(&m);
        let which = valid.iter().position(|v| *v == bits);
        let which = which.unwrap_or_else(|| panic!("round {round}: file is neither the old nor the new weights"));
        seen[which] += 1;
    }
    // The kills landed at different points of the loop: both versions were seen.
    assert!(seen[0] > 0 && seen[1] > 0, "saw old/new {seen:?}");
    // Each child's first save removed the temporary files of the killed ones
    // before it; the next save here removes the last one's.
    let litter = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect::<Vec<_>>()
    };
    let left = litter().len();
    assert!(left <= 3, "temporary files of killed writers pile up: {:?}", litter());
    a.save_weights(&path).unwrap();
    assert_eq!(litter(), Vec::<String>::new(), "a save leaves killed writers' temporary files");
    eprintln!("100 kills: old/new seen {seen:?}, temporary files left by the kills {left}, after one more save 0");
}

/// Only the temporary files of writers that are gone are removed: not a live
/// process's, not other files.
#[cfg(target_os = "linux")]
#[test]
fn a_save_removes_only_dead_writers_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let alive = std::process::id();
    let names = [
        format!(".net.safetensors.{dead}.0.tmp"),   // a killed writer's: removed
        format!(".net.safetensors.{dead}.17.tmp"),  // another of its: removed
        format!(".net.safetensors.{alive}.9.tmp"),  // a live writer's: kept
        format!(".other.safetensors.{dead}.0.tmp"), // another file's: kept
        format!(".net.safetensors.{dead}.x.tmp"),   // not our pattern: kept
        "net.safetensors.tmp".to_string(),          // not ours: kept
    ];
    for n in &names {
        std::fs::write(dir.path().join(n), b"partial").unwrap();
    }
    Net::seeded(1).save_weights(&path).unwrap();
    let mut left: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    let mut want: Vec<String> = names[2..].to_vec();
    want.push("net.safetensors".to_string());
    want.sort();
    assert_eq!(left, want);
}
