//! Keras's `History`: the metrics of every epoch, written as CSV, JSON or an
//! SVG plot of the learning curves.

use std::fmt::Write as _;
use std::path::Path;

use super::callbacks::EpochLogs;
use crate::{io, Error, Result};

/// Why `fit` stopped before its last epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct StopReason {
    /// The epoch (counted from 0) during or after which training stopped.
    pub epoch: usize,
    /// The batch (counted from 0) whose loss was not finite, for `TerminateOnNaN`.
    pub batch: Option<usize>,
    /// What happened, in words.
    pub reason: String,
}

/// The metrics of each epoch `fit` ran, as Keras's `history.history`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Epoch numbers, counted from 0 as Keras's `history.epoch`.
    pub epoch: Vec<usize>,
    /// Mean training loss per epoch.
    pub loss: Vec<f32>,
    /// Training accuracy per epoch (empty for a loss without an accuracy).
    pub accuracy: Vec<f32>,
    /// Validation loss per epoch (empty without validation data).
    pub val_loss: Vec<f32>,
    /// Validation accuracy per epoch (empty without validation data or an accuracy).
    pub val_accuracy: Vec<f32>,
    /// Learning rate of each epoch (Keras's `learning_rate`).
    pub lr: Vec<f32>,
    /// Set when training stopped early (EarlyStopping, TerminateOnNaN, ...).
    pub stopped: Option<StopReason>,
}

/// Writes `text` to `path` (creating its directory) with the crate's one
/// safe writer, [`io::write_atomic`].
fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    }
    io::write_atomic(path, |w| w.write_all(text.as_bytes()))
}

/// A float for JSON: shortest round-trip text, `null` when not finite.
fn json_num(v: f32) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".to_string()
    }
}

impl History {
    /// Appends one epoch's metrics.
    pub fn push(&mut self, epoch: usize, logs: &EpochLogs) {
        self.epoch.push(epoch);
        self.loss.push(logs.loss);
        self.accuracy.extend(logs.accuracy);
        self.val_loss.extend(logs.val_loss);
        self.val_accuracy.extend(logs.val_accuracy);
        self.lr.push(logs.learning_rate);
    }

    /// Number of epochs recorded.
    pub fn len(&self) -> usize {
        self.epoch.len()
    }

    /// Whether no epoch was recorded.
    pub fn is_empty(&self) -> bool {
        self.epoch.is_empty()
    }

    /// The named series (`loss`, `accuracy`, `val_loss`, `val_accuracy`, `learning_rate`) that have values.
    pub fn series(&self) -> Vec<(&'static str, &[f32])> {
        let all: [(&'static str, &[f32]); 5] = [
            ("loss", &self.loss),
            ("accuracy", &self.accuracy),
            ("val_loss", &self.val_loss),
            ("val_accuracy", &self.val_accuracy),
            ("learning_rate", &self.lr),
        ];
        all.into_iter().filter(|(_, v)| v.len() == self.len() && !v.is_empty()).collect()
    }

    /// The history as CSV, Keras's `CSVLogger` layout: `epoch` then the
    /// metrics in alphabetical order, one row per epoch.
    pub fn csv(&self) -> String {
        let mut cols = self.series();
        cols.sort_by_key(|(name, _)| *name);
        let mut s = String::from("epoch");
        for (name, _) in &cols {
            s.push(',');
            s.push_str(name);
        }
        s.push('\n');
        for (i, e) in self.epoch.iter().enumerate() {
            let _ = write!(s, "{e}");
            for (_, v) in &cols {
                let _ = write!(s, ",{}", v[i]);
            }
            s.push('\n');
        }
        s
    }

    /// The history as a JSON object of lists, as `json.dump(history.history)` (non-finite values as `null`).
    pub fn json(&self) -> String {
        let mut s = String::from("{");
        let mut first = true;
        for (name, v) in self.series() {
            if !first {
                s.push_str(", ");
            }
            first = false;
            let vals: Vec<String> = v.iter().map(|&x| json_num(x)).collect();
            let _ = write!(s, "\"{name}\": [{}]", vals.join(", "));
        }
        let epochs: Vec<String> = self.epoch.iter().map(ToString::to_string).collect();
        let _ = write!(s, "{}\"epoch\": [{}]}}", if first { "" } else { ", " }, epochs.join(", "));
        s.push('\n');
        s
    }

    /// Writes [`csv`](History::csv) to `path` (creating its directory), atomically.
    pub fn to_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.csv())
    }

    /// Writes [`json`](History::json) to `path` (creating its directory), atomically.
    pub fn to_json(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.json())
    }

    /// The learning curves (loss, accuracy and their validation twins per
    /// epoch) as a standalone SVG document, like the book's
    /// `pd.DataFrame(history.history).plot(grid=True)`.
    pub fn svg(&self) -> String {
        super::plot::learning_curves(self)
    }

    /// Writes [`svg`](History::svg) to `path` (creating its directory), atomically.
    pub fn plot_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.svg())
    }
}
