//! The model summary table exactly as tf.keras 2 prints it.

use crate::error::shape_string;

/// One row of the summary: a layer.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// The layer's name (`"dense_1"`).
    pub name: &'a str,
    /// Keras's class name (`"BatchNormalization"`).
    pub class: &'a str,
    /// Output shape without the batch dimension.
    pub output_shape: &'a [usize],
    /// Number of weights of the layer.
    pub params: usize,
}

/// Column ends of tf.keras 2's sequential summary (line length 65).
const POSITIONS: [usize; 3] = [29, 55, 65];
const LINE: usize = 65;

/// Keras's `print_row`: each field cut and padded to its column end, with at
/// least one space before the next field.
fn print_row(out: &mut String, fields: [&str; 3]) {
    let mut line = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.pop();
            line.push(' ');
        }
        line.push_str(field);
        let cut: String = line.chars().take(POSITIONS[i]).collect();
        line = cut;
        let len = line.chars().count();
        line.extend(std::iter::repeat_n(' ', POSITIONS[i] - len));
    }
    out.push_str(&line);
    out.push('\n');
}

/// `1234567` as `"1,234,567"`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The whole table: header, one row per layer, totals.
pub fn render(model: &str, rows: &[Row<'_>], trainable: usize, non_trainable: usize) -> String {
    let rule = |c: char| c.to_string().repeat(LINE) + "\n";
    let mut out = format!("Model: \"{model}\"\n");
    out += &rule('_');
    print_row(&mut out, ["Layer (type)", "Output Shape", "Param #"]);
    out += &rule('=');
    for (i, r) in rows.iter().enumerate() {
        let name = format!("{} ({})", r.name, r.class);
        let shape = shape_string(None, r.output_shape);
        print_row(&mut out, [&name, &shape, &r.params.to_string()]);
        out += &rule(if i + 1 == rows.len() { '=' } else { '_' });
    }
    if rows.is_empty() {
        out += &rule('=');
    }
    out += &format!("Total params: {}\n", thousands(trainable + non_trainable));
    out += &format!("Trainable params: {}\n", thousands(trainable));
    out += &format!("Non-trainable params: {}\n", thousands(non_trainable));
    out += &rule('_');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_commas() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(270946), "270,946");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn long_cells_are_cut_with_a_space() {
        let mut s = String::new();
        print_row(&mut s, ["batch_normalization (BatchNormalization)", "(None, 784)", "3136"]);
        assert_eq!(s, format!("{:<65}\n", "batch_normalization (BatchNo (None, 784)               3136"));
    }
}
