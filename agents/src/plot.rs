//! Learning curves as PNG and SVG (plotters; text drawn with an embedded DejaVu Sans, so no
//! system fonts are needed).

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use crate::AgentError;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// One curve: its label and (x, y) points; NaN points are skipped.
pub struct Series<'a> {
    pub label: &'a str,
    pub points: Vec<(f64, f64)>,
    pub color: RGBColor,
}

/// Draws `series` against env steps into `stem.png` and `stem.svg`.
pub fn learning_curve(stem: &Path, title: &str, y_label: &str, series: &[Series]) -> Result<(), AgentError> {
    REGISTER.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let tmp_png = stem.with_extension("tmp.png");
    let tmp_svg = stem.with_extension("tmp.svg");
    draw(BitMapBackend::new(&tmp_png, (900, 540)).into_drawing_area(), title, y_label, series)
        .map_err(|e| AgentError::io(&png, e))?;
    draw(SVGBackend::new(&tmp_svg, (900, 540)).into_drawing_area(), title, y_label, series).map_err(|e| AgentError::io(&svg, e))?;
    std::fs::rename(&tmp_png, &png).map_err(|e| AgentError::io(&png, e))?;
    std::fs::rename(&tmp_svg, &svg).map_err(|e| AgentError::io(&svg, e))?;
    Ok(())
}

fn draw<DB: DrawingBackend>(area: DrawingArea<DB, plotters::coord::Shift>, title: &str, y_label: &str, series: &[Series]) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.points.iter().filter(finite).copied()).collect();
    let (x_max, y_min, y_max) = all.iter().fold((1.0_f64, f64::INFINITY, f64::NEG_INFINITY), |(x, lo, hi), p| (x.max(p.0), lo.min(p.1), hi.max(p.1)));
    let (y_min, y_max) = if y_min.is_finite() { (y_min, y_max) } else { (0.0, 1.0) };
    let pad = ((y_max - y_min) * 0.05).max(1e-6);
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, (y_min - pad)..(y_max + pad))
        .map_err(|e| e.to_string())?;
    let steps_label = |x: &f64| match x.abs() {
        v if v >= 1e6 => format!("{:.1}M", x / 1e6),
        v if v >= 1e3 => format!("{:.0}k", x / 1e3),
        _ => format!("{x:.0}"),
    };
    chart
        .configure_mesh()
        .x_desc("env steps")
        .y_desc(y_label)
        .x_label_formatter(&steps_label)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())?;
    for s in series {
        let color = s.color;
        chart
            .draw_series(LineSeries::new(s.points.iter().filter(finite).copied(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(s.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| e.to_string())?;
    area.present().map_err(|e| e.to_string())
}
