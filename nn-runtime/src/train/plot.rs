//! The learning-curve plot, written as plain SVG (no plotting dependency:
//! a few lines, axes, a grid and a legend are all it takes).

use std::fmt::Write as _;

use super::History;

const W: f64 = 800.0;
const H: f64 = 500.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// (series, color, dashed) in the book's colors: training solid, validation dashed.
const STYLES: [(&str, &str, bool); 4] = [
    ("loss", "#1f77b4", false),
    ("val_loss", "#1f77b4", true),
    ("accuracy", "#d62728", false),
    ("val_accuracy", "#d62728", true),
];

/// A round tick step giving about `target` ticks over `span`.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let step = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    step * mag
}

/// The SVG document of [`History::svg`].
pub(super) fn learning_curves(h: &History) -> String {
    let n = h.len();
    let series: Vec<(&str, &[f32], &str, bool)> = STYLES
        .iter()
        .filter_map(|&(name, color, dashed)| {
            h.series().into_iter().find(|(s, _)| *s == name).map(|(_, v)| (name, v, color, dashed))
        })
        .collect();
    let max = series.iter().flat_map(|s| s.1.iter()).filter(|v| v.is_finite()).fold(1.0f32, |m, &v| m.max(v));
    let y_step = nice_step(f64::from(max), 10.0);
    let y_max = (f64::from(max) / y_step).ceil() * y_step;
    let (x_min, x_max) = if n <= 1 { (0.5, 1.5) } else { (1.0, n as f64) };
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let px = |e: f64| LEFT + (e - x_min) / (x_max - x_min) * pw;
    let py = |v: f64| TOP + ph - v / y_max * ph;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">Learning curves</text>"#,
        LEFT + pw / 2.0
    );

    // Grid and ticks.
    let mut v = 0.0;
    while v <= y_max + y_step * 1e-6 {
        let y = py(v);
        let _ = writeln!(s, r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/>"##, LEFT + pw);
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y + 4.0,
            (v * 1e6).round() / 1e6
        );
        v += y_step;
    }
    let x_step = nice_step(n.max(1) as f64, 10.0).max(1.0) as usize;
    for e in (1..=n.max(1)).filter(|e| (e - 1) % x_step == 0 || *e == n) {
        let x = px(e as f64);
        let _ = writeln!(s, r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#dddddd"/>"##, TOP + ph);
        let _ = writeln!(s, r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{e}</text>"#, TOP + ph + 18.0);
    }
    let _ = writeln!(s, r#"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#);
    let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">epoch</text>"#, LEFT + pw / 2.0, H - 12.0);

    // Curves and legend.
    for (i, (name, vals, color, dashed)) in series.iter().enumerate() {
        let dash = if *dashed { r#" stroke-dasharray="6,4""# } else { "" };
        let points: Vec<String> = vals
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(j, &v)| format!("{:.1},{:.1}", px((j + 1) as f64), py(f64::from(v))))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{}"/>"#,
            points.join(" ")
        );
        for p in &points {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(s, r#"<circle cx="{x}" cy="{y}" r="3" fill="{color}"/>"#);
        }
        let ly = TOP + 16.0 + 20.0 * i as f64;
        let lx = LEFT + pw + 15.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/><text x="{}" y="{}">{name}</text>"#,
            lx + 30.0,
            lx + 36.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}
