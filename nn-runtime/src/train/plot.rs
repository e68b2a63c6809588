//! The learning-curve plot (the book's figure: loss and accuracy per epoch,
//! training solid, validation dashed), drawn with `plotters` into SVG.

use plotters::prelude::*;

use super::History;

/// (series, color, dashed) in the book's colors.
const STYLES: [(&str, RGBColor, bool); 4] = [
    ("loss", RGBColor(0x1f, 0x77, 0xb4), false),
    ("val_loss", RGBColor(0x1f, 0x77, 0xb4), true),
    ("accuracy", RGBColor(0xd6, 0x27, 0x28), false),
    ("val_accuracy", RGBColor(0xd6, 0x27, 0x28), true),
];

/// The SVG document of [`History::svg`].
pub(super) fn learning_curves(h: &History) -> String {
    let mut svg = String::new();
    // Drawing into a String cannot fail for I/O reasons; a plotting error
    // (e.g. no finite value at all) leaves whatever was drawn.
    let _ = draw(h, &mut svg);
    svg
}

fn draw<'a>(h: &History, svg: &'a mut String) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let series: Vec<(&str, &[f32], RGBColor, bool)> = STYLES
        .iter()
        .filter_map(|&(name, color, dashed)| {
            h.series().into_iter().find(|(s, _)| *s == name).map(|(_, v)| (name, v, color, dashed))
        })
        .collect();
    let max = series.iter().flat_map(|s| s.1.iter()).filter(|v| v.is_finite()).fold(1.0f32, |m, &v| m.max(v));
    let epochs = h.len().max(2) as f32;

    let root = SVGBackend::with_string(svg, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Learning curves", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(1f32..epochs, 0f32..max * 1.05)?;
    // Whole epochs only on the x axis.
    let whole = |x: &f32| if x.fract() == 0.0 { format!("{x:.0}") } else { String::new() };
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_labels(h.len().clamp(2, 11))
        .x_label_formatter(&whole)
        .light_line_style(TRANSPARENT)
        .draw()?;
    for (name, values, color, dashed) in series {
        let points: Vec<(f32, f32)> =
            values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, &v)| ((i + 1) as f32, v)).collect();
        let style = color.stroke_width(2);
        let drawn = if dashed {
            chart.draw_series(DashedLineSeries::new(points.iter().copied(), 6, 4, style))?
        } else {
            chart.draw_series(LineSeries::new(points.iter().copied(), style))?
        };
        // The legend sample: two segments, with a gap when the curve is dashed.
        let gap = if dashed { 6 } else { 0 };
        drawn.label(name).legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (9, 0)], color.stroke_width(2))
                + PathElement::new(vec![(9 + gap, 0), (24, 0)], color.stroke_width(2))
        });
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.9)).draw()?;
    root.present()?;
    Ok(())
}
