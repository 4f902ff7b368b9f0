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
    both_formats(stem, (900, 540), |area| draw(area, title, y_label, series), |area| draw(area, title, y_label, series))
}

/// Renders a figure into `stem.png` and `stem.svg` through temporary files, so that a failure
/// leaves no half-written figure.
fn both_formats(
    stem: &Path,
    size: (u32, u32),
    png_draw: impl FnOnce(DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<(), String>,
    svg_draw: impl FnOnce(DrawingArea<SVGBackend, plotters::coord::Shift>) -> Result<(), String>,
) -> Result<(), AgentError> {
    REGISTER.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let tmp_png = stem.with_extension("tmp.png");
    let tmp_svg = stem.with_extension("tmp.svg");
    png_draw(BitMapBackend::new(&tmp_png, size).into_drawing_area()).map_err(|e| AgentError::io(&png, e))?;
    svg_draw(SVGBackend::new(&tmp_svg, size).into_drawing_area()).map_err(|e| AgentError::io(&svg, e))?;
    std::fs::rename(&tmp_png, &png).map_err(|e| AgentError::io(&png, e))?;
    std::fs::rename(&tmp_svg, &svg).map_err(|e| AgentError::io(&svg, e))?;
    Ok(())
}

/// A flight to draw: the reference, a teacher's and a student's altitude per control step, and
/// the student's spikes (indices of the neurons that spiked at each step).
#[derive(Debug, Clone, Default)]
pub struct FlightTrace {
    /// Control period (s).
    pub dt: f64,
    pub reference: Vec<f64>,
    pub teacher: Vec<f64>,
    pub student: Vec<f64>,
    pub spikes: Vec<Vec<u32>>,
    pub n_neurons: usize,
    /// The controlled quantity's axis label ("altitude (m)" when empty) and the teacher's legend.
    pub quantity: String,
    pub teacher_label: String,
}

/// Altitude traces (top) over a spike raster (bottom), into `stem.png` and `stem.svg`.
pub fn flight_with_raster(stem: &Path, title: &str, trace: &FlightTrace) -> Result<(), AgentError> {
    both_formats(stem, (1000, 760), |a| draw_flight(a, title, trace), |a| draw_flight(a, title, trace))
}

fn draw_flight<DB: DrawingBackend>(area: DrawingArea<DB, plotters::coord::Shift>, title: &str, trace: &FlightTrace) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    let area = area.titled(title, ("sans-serif", 22)).map_err(|e| e.to_string())?;
    let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 * 3 / 5);
    let steps = trace.reference.len().max(trace.student.len()).max(1);
    let t_max = steps as f64 * trace.dt;
    let finite = |v: &&f64| v.is_finite();
    let all = trace.reference.iter().chain(&trace.teacher).chain(&trace.student).filter(finite);
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo.is_finite() { (lo - 0.1, hi + 0.1) } else { (0.0, 1.0) };
    let mut chart = ChartBuilder::on(&top)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_max, lo..hi)
        .map_err(|e| e.to_string())?;
    let quantity = if trace.quantity.is_empty() { "altitude (m)" } else { trace.quantity.as_str() };
    chart.configure_mesh().y_desc(quantity).label_style(("sans-serif", 14)).draw().map_err(|e| e.to_string())?;
    let lines = [
        ("reference", &trace.reference, RGBColor(0, 0, 0)),
        (if trace.teacher_label.is_empty() { "PID (teacher)" } else { trace.teacher_label.as_str() }, &trace.teacher, RGBColor(31, 119, 180)),
        ("SNN (evolved)", &trace.student, RGBColor(255, 127, 14)),
    ];
    for (label, values, color) in lines {
        let points = values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(k, &v)| (k as f64 * trace.dt, v));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| e.to_string())?;
    let mut raster = ChartBuilder::on(&bottom)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_max, 0.0..trace.n_neurons.max(1) as f64)
        .map_err(|e| e.to_string())?;
    raster.configure_mesh().x_desc("time (s)").y_desc("neuron").label_style(("sans-serif", 14)).draw().map_err(|e| e.to_string())?;
    let dots = trace.spikes.iter().enumerate().flat_map(|(k, ids)| ids.iter().map(move |&j| (k as f64 * trace.dt, j as f64 + 0.5)));
    raster.draw_series(dots.map(|p| Pixel::new(p, BLACK))).map_err(|e| e.to_string())?;
    area.present().map_err(|e| e.to_string())
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
