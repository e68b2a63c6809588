//! `CsvLogger`'s rows survive the process being killed: a child process runs
//! `fit` with a `CsvLogger` and is killed with SIGKILL, once between epochs
//! (blocked at the start of epoch 4) and several times at random moments;
//! the file then holds the header and one whole row per finished epoch,
//! never a torn one.

use std::io::{BufRead, Read as _};
use std::process::{Command, Stdio};
use std::time::Duration;

use nn::loss::SparseCategoricalCrossentropy;
use nn::ndarray::{Array1, Array2};
use nn::optim::Sgd;
use nn::train::{Callback, Context, CsvLogger, EpochLogs};
use nn::FitOptions;
use rand::Rng as _;

nn::sequential! {
    struct Net { Input[8], Dense(16, relu), Dense(3, softmax) }
}

const CHILD_ENV: &str = "NN_CSV_KILL_CHILD";

/// Reports each finished epoch on stdout; with `block`, waits forever at the start of epoch 4.
struct Report {
    block: bool,
}

impl Callback for Report {
    fn on_epoch_begin(&mut self, epoch: usize, _: &mut Context<'_>) -> nn::Result<()> {
        if self.block && epoch == 3 {
            // Between epochs: stdin never closes until the parent kills us.
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, _: &EpochLogs, _: &mut Context<'_>) -> nn::Result<()> {
        println!("epoch {epoch}");
        Ok(())
    }
}

/// Run by the child process only.
#[test]
fn child_logger() {
    let Ok(arg) = std::env::var(CHILD_ENV) else { return };
    let (path, block) = match arg.strip_suffix(":block") {
        Some(p) => (p.to_string(), true),
        None => (arg, false),
    };
    let mut r = nn::rng::seeded(1);
    let x = Array2::from_shape_fn((512, 8), |_| r.random_range(-1.0f32..1.0));
    let y = Array1::from_shape_fn(512, |i| usize::from(x[[i, 0]] > 0.0) + usize::from(x[[i, 1]] > 0.5));
    let options: FitOptions = FitOptions {
        epochs: 100_000,
        batch_size: 8,
        verbose: 0,
        callbacks: vec![Box::new(CsvLogger::new(&path)), Box::new(Report { block })],
        ..Default::default()
    };
    let mut m = Net::seeded(2);
    m.fit(&x, &y, &SparseCategoricalCrossentropy, &mut Sgd::new(0.01), options).expect("fit");
}

/// The rows of a `CsvLogger` file: the header and every row whole.
fn check_file(text: &str) -> usize {
    assert!(text.ends_with("\r\n"), "a torn last row: {text:?}");
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines[0], "epoch,accuracy,loss,val_accuracy,val_loss");
    for (i, row) in lines[1..].iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), 5, "row {i}: {row}");
        assert_eq!(cells[0], i.to_string());
        assert!(cells[1].parse::<f64>().is_ok() && cells[2].parse::<f64>().is_ok(), "row {i}: {row}");
        assert_eq!(&cells[3..], ["NA", "NA"]);
    }
    lines.len() - 1
}

#[test]
fn csv_rows_survive_sigkill() {
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.csv");
        let block = round == 0;
        let arg = if block { format!("{}:block", path.display()) } else { path.display().to_string() };
        let mut child = Command::new(&exe)
            .args(["--exact", "child_logger", "--nocapture", "--test-threads", "1"])
            .env(CHILD_ENV, arg)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut finished = 0;
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(e) = line.strip_prefix("epoch ") {
                finished = e.trim().parse::<usize>().unwrap() + 1;
                if finished == 3 {
                    break;
                }
            }
        }
        assert_eq!(finished, 3, "round {round}: the child ended early");
        if !block {
            std::thread::sleep(Duration::from_micros(rng.random_range(0..20_000)));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let rows = check_file(&text);
        if block {
            assert_eq!(rows, 3, "killed between epochs 3 and 4: {text}");
        } else {
            assert!(rows >= 3, "round {round}: {rows} rows after 3 finished epochs: {text}");
        }
    }
}
