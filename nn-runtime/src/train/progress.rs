//! Keras's per-epoch progress display.
//!
//! On a terminal (`verbose = 1`, stdout and stderr both terminals) an
//! `indicatif` bar on stderr shows the running loss and accuracy; when the
//! epoch ends it is replaced by Keras's final line on stdout:
//!
//! ```text
//! 1719/1719 [==============================] - 2s 1ms/step - loss: 0.4321 - accuracy: 0.8765 - val_loss: 0.3684 - val_accuracy: 0.8712
//! ```
//!
//! Elsewhere (a pipe, a log file) only that line is printed, once per epoch.
//! `verbose = 2` prints Keras's short line (`1719/1719 - 2s - loss: ...`),
//! `verbose = 0` nothing.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::callbacks::EpochLogs;

/// How often the running metrics on the bar are refreshed.
const REFRESH: Duration = Duration::from_millis(100);

pub(super) struct Progress {
    verbose: u8,
    interactive: bool,
    bar: Option<ProgressBar>,
    steps: usize,
    start: Instant,
    last: Instant,
}

/// Keras 2's `_format_time` for the time per step.
fn per_step(secs: f64) -> String {
    if secs >= 1.0 || secs == 0.0 {
        format!("{secs:.0}s/step")
    } else if secs >= 1e-3 {
        format!("{:.0}ms/step", secs * 1e3)
    } else {
        format!("{:.0}us/step", secs * 1e6)
    }
}

/// ` - loss: 0.4321 - accuracy: 0.8765[ - val_loss: .. - val_accuracy: ..]`,
/// each metric only when the epoch has it (no accuracy for a regression).
fn metrics(logs: &EpochLogs) -> String {
    let mut s = String::new();
    let named = [
        ("loss", Some(logs.loss)),
        ("accuracy", logs.accuracy),
        ("val_loss", logs.val_loss),
        ("val_accuracy", logs.val_accuracy),
    ];
    for (name, value) in named {
        if let Some(v) = value {
            s.push_str(&format!(" - {name}: {v:.4}"));
        }
    }
    s
}

impl Progress {
    pub(super) fn new(verbose: u8) -> Self {
        let interactive = verbose == 1 && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let now = Instant::now();
        Progress { verbose, interactive, bar: None, steps: 0, start: now, last: now }
    }

    pub(super) fn epoch_begin(&mut self, epoch: usize, epochs: usize, steps: usize) {
        self.steps = steps;
        self.start = Instant::now();
        self.last = self.start;
        if self.verbose == 0 {
            return;
        }
        println!("Epoch {}/{}", epoch + 1, epochs);
        if self.interactive {
            let width = steps.to_string().len();
            let template = format!("{{pos:>{width}}}/{{len}} [{{bar:30}}] {{msg}}");
            let style = ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=>.");
            let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr()).with_style(style);
            self.bar = Some(bar);
        }
    }

    /// After batch `step` (counted from 1) with the epoch's running means
    /// (the accuracy `None` for a loss without one).
    pub(super) fn batch_end(&mut self, step: usize, loss: f64, accuracy: Option<f64>) {
        let Some(bar) = &self.bar else { return };
        bar.set_position(step as u64);
        let now = Instant::now();
        if now.duration_since(self.last) >= REFRESH || step == self.steps {
            self.last = now;
            let elapsed = now.duration_since(self.start).as_secs_f64();
            let eta = elapsed / step as f64 * (self.steps - step) as f64;
            let accuracy = accuracy.map_or_else(String::new, |a| format!(" - accuracy: {a:.4}"));
            bar.set_message(format!("- ETA: {eta:.0}s - loss: {loss:.4}{accuracy}"));
        }
    }

    pub(super) fn epoch_end(&mut self, logs: &EpochLogs) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let secs = self.start.elapsed().as_secs_f64();
        let n = self.steps;
        match self.verbose {
            0 => {}
            2 => println!("{n}/{n} - {secs:.0}s{}", metrics(logs)),
            _ => println!(
                "{n}/{n} [{}] - {secs:.0}s {}{}",
                "=".repeat(30),
                per_step(secs / n.max(1) as f64),
                metrics(logs)
            ),
        }
    }

    /// Clears the bar when an epoch ends early (a stop on a non-finite loss or an error).
    pub(super) fn abort(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
