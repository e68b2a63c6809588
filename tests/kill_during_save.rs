//! Interrupted saves lose nothing: a child process saves weights in a loop and
//! is killed with SIGKILL at random moments; the file on disk is always a
//! complete old or new file that loads.

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
    // The kills landed at different points of the loop: both versions were seen,
    // and killed writers left their unfinished temporary files beside the target.
    assert!(seen[0] > 0 && seen[1] > 0, "saw old/new {seen:?}");
    let litter = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp"));
    eprintln!("old/new seen {seen:?}, unfinished temporary files {}", litter.count());
}
