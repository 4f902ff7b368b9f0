//! Learning curves as PNG and SVG (plotters; text drawn with an embedded DejaVu Sans, so no
//! system fonts are needed).

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use crate::run::curves::CurveGroup;
use crate::run::metrics::read_metrics;
use crate::run::Summary;
use crate::AgentError;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
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
    let x_max = all.iter().fold(1.0_f64, |x, p| x.max(p.0));
    let mut chart = steps_chart(&area, title, y_label, x_max, all.iter().map(|p| p.1))?;
    for s in series {
        let color = s.color;
        chart
            .draw_series(LineSeries::new(s.points.iter().filter(finite).copied(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(s.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    legend(&mut chart, all.iter().copied())?;
    area.present().map_err(|e| e.to_string())
}

type StepsChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

/// A white chart titled `title` with env steps (0..`x_max`, as 10k / 1.5M) on x and `y_label` on
/// y, its y range padded around `ys`.
fn steps_chart<'a, DB: DrawingBackend>(area: &'a DrawingArea<DB, plotters::coord::Shift>, title: &str, y_label: &str, x_max: f64, ys: impl Iterator<Item = f64>) -> Result<StepsChart<'a, DB>, String>
where
    DB::ErrorType: 'static,
{
    let (y_min, y_max) = ys.filter(|y| y.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let (y_min, y_max) = if y_min.is_finite() { (y_min, y_max) } else { (0.0, 1.0) };
    let pad = ((y_max - y_min) * 0.05).max(1e-6);
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max * 1.02, (y_min - pad)..(y_max + pad))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("env steps")
        .y_desc(y_label)
        .x_label_formatter(&|x: &f64| steps_label(*x))
        .y_label_formatter(&|y: &f64| value_label(*y))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// An env-step count as a tick label: 800, 1.2k, 15k, 1.25M (no more digits than it needs).
pub fn steps_label(x: f64) -> String {
    let trimmed = |v: f64, decimals: usize| {
        let s = format!("{v:.decimals$}");
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
    };
    match x.abs() {
        v if v >= 1e6 => format!("{}M", trimmed(x / 1e6, 2)),
        v if v >= 1e3 => format!("{}k", trimmed(x / 1e3, 1)),
        _ => trimmed(x, 0),
    }
}

/// A return as a tick label: whole numbers from 100 up (−1200, not −1200.0), up to three
/// decimals below.
pub fn value_label(y: f64) -> String {
    if y.abs() >= 100.0 {
        format!("{y:.0}")
    } else {
        let s = format!("{y:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.to_string() }
    }
}

/// The corner of the plot that holds the fewest of `points` (lower right on ties), so the
/// legend covers as little of the data as it can.
fn emptiest_corner(chart_x: std::ops::Range<f64>, chart_y: std::ops::Range<f64>, points: impl Iterator<Item = (f64, f64)>) -> SeriesLabelPosition {
    // Corner boxes of about the legend's size: 40% of the width, 30% of the height.
    let mut counts = [0usize; 4]; // lower right, upper right, lower left, upper left
    let (w, h) = (chart_x.end - chart_x.start, chart_y.end - chart_y.start);
    for (x, y) in points.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        let (u, v) = ((x - chart_x.start) / w, (y - chart_y.start) / h);
        let (right, left, low, high) = (u > 0.6, u < 0.4, v < 0.3, v > 0.7);
        counts[0] += (right && low) as usize;
        counts[1] += (right && high) as usize;
        counts[2] += (left && low) as usize;
        counts[3] += (left && high) as usize;
    }
    let best = (0..4).min_by_key(|&k| (counts[k], k)).unwrap_or(0);
    [SeriesLabelPosition::LowerRight, SeriesLabelPosition::UpperRight, SeriesLabelPosition::LowerLeft, SeriesLabelPosition::UpperLeft][best].clone()
}

/// The legend, in the corner with the least data.
fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut StepsChart<'a, DB>, points: impl Iterator<Item = (f64, f64)>) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (x, y) = (chart.x_range(), chart.y_range());
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(emptiest_corner(x, y, points))
        .draw()
        .map_err(|e| e.to_string())
}

/// What a run's learning curve shows: every training episode's return (light dots) and its
/// moving average, and each evaluation as its mean with a ±1 std bar.
#[derive(Debug, Clone, Default)]
pub struct RunCurves {
    /// (env step at the episode's end, return) per training episode (an evolution strategy's
    /// population member counts as one).
    pub episodes: Vec<(f64, f64)>,
    /// (env step, mean, std) per evaluation.
    pub evaluations: Vec<(f64, f64, f64)>,
    /// Episodes averaged by the moving average.
    pub window: usize,
}

impl RunCurves {
    /// The moving average of the training returns over the last `window` episodes.
    pub fn moving_average(&self) -> Vec<(f64, f64)> {
        let w = self.window.max(1);
        let mut sum = 0.0;
        let mut out = Vec::with_capacity(self.episodes.len());
        for (k, &(x, y)) in self.episodes.iter().enumerate() {
            sum += y;
            if k >= w {
                sum -= self.episodes[k - w].1;
            }
            out.push((x, sum / (k + 1).min(w) as f64));
        }
        out
    }
}

/// Draws `learning_curve.png`/`.svg` of run directory `dir` from its `episodes.csv` and
/// `metrics.csv` (runs written before `episodes.csv` existed show the evaluations alone).
pub fn run_curves(dir: &Path, summary: &Summary) -> Result<(), AgentError> {
    let (header, rows) = read_metrics(&dir.join("metrics.csv"))?;
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut curves = RunCurves::default();
    if let (Some(x), Some(m)) = (col("env_steps"), col("eval_return")) {
        let s = col("eval_return_std");
        curves.evaluations = rows.iter().filter(|r| r[m].is_finite()).map(|r| (r[x], r[m], s.map_or(0.0, |s| r[s]))).collect();
    }
    let episodes = dir.join("episodes.csv");
    if episodes.exists() {
        let (_, rows) = read_metrics(&episodes)?;
        curves.episodes = rows.iter().filter(|r| r.len() >= 2 && r[1].is_finite()).map(|r| (r[0], r[1])).collect();
    }
    curves.window = (curves.episodes.len() / 25).clamp(1, 100);
    let title = format!("{} · {} · {} · seed {}", summary.env, summary.policy, summary.agent, summary.seed);
    both_formats(&dir.join("learning_curve"), (900, 540), |a| draw_run(a, &title, &curves), |a| draw_run(a, &title, &curves))
}

fn draw_run<DB: DrawingBackend>(area: DrawingArea<DB, plotters::coord::Shift>, title: &str, curves: &RunCurves) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let ys = curves.episodes.iter().map(|p| p.1).chain(curves.evaluations.iter().flat_map(|e| [e.1 - e.2, e.1 + e.2]));
    let x_max = curves.episodes.iter().map(|p| p.0).chain(curves.evaluations.iter().map(|e| e.0)).fold(1.0_f64, f64::max);
    let mut chart = steps_chart(&area, title, "episode return", x_max, ys)?;
    let orange = RGBColor(255, 127, 14);
    let blue = RGBColor(31, 119, 180);
    if !curves.episodes.is_empty() {
        chart
            .draw_series(curves.episodes.iter().map(|&p| Circle::new(p, 2, orange.mix(0.25).filled())))
            .map_err(|e| e.to_string())?
            .label("training episode")
            .legend(move |(x, y)| Circle::new((x + 9, y), 3, orange.mix(0.4).filled()));
        let label = match curves.window {
            1 => "moving average (1 episode)".to_string(),
            w => format!("moving average ({w} episodes)"),
        };
        chart
            .draw_series(LineSeries::new(curves.moving_average(), orange.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], orange.stroke_width(2)));
    }
    if !curves.evaluations.is_empty() {
        chart
            .draw_series(curves.evaluations.iter().map(|&(x, m, s)| ErrorBar::new_vertical(x, m - s, m, m + s, blue.stroke_width(2), 8)))
            .map_err(|e| e.to_string())?
            .label("evaluation (mean ± std)")
            .legend(move |(x, y)| PathElement::new(vec![(x + 9, y - 6), (x + 9, y + 6)], blue.stroke_width(2)));
        chart.draw_series(curves.evaluations.iter().map(|&(x, m, _)| Circle::new((x, m), 4, blue.filled()))).map_err(|e| e.to_string())?;
    }
    let evaluation_ends = curves.evaluations.iter().flat_map(|&(x, m, s)| [(x, m - s), (x, m), (x, m + s)]);
    legend(&mut chart, curves.episodes.iter().copied().chain(curves.moving_average()).chain(evaluation_ends))?;
    area.present().map_err(|e| e.to_string())
}

/// Learning curves over seeds ([`crate::run::curves`]): each group's mean over its seeds (a
/// thick line with dots), the band from its worst to its best seed, each seed as a thin line,
/// and `threshold` as a dashed grey line; into `stem.png` and `stem.svg`.
pub fn seed_curves(stem: &Path, title: &str, y_label: &str, groups: &[CurveGroup], threshold: Option<f64>) -> Result<(), AgentError> {
    both_formats(stem, (960, 560), |a| draw_seed_curves(a, title, y_label, groups, threshold), |a| draw_seed_curves(a, title, y_label, groups, threshold))
}

const PALETTE: [RGBColor; 6] = [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(44, 160, 44), RGBColor(214, 39, 40), RGBColor(148, 103, 189), RGBColor(140, 86, 75)];

fn draw_seed_curves<DB: DrawingBackend>(area: DrawingArea<DB, plotters::coord::Shift>, title: &str, y_label: &str, groups: &[CurveGroup], threshold: Option<f64>) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let all_points = || groups.iter().flat_map(|g| g.runs.iter().flat_map(|r| r.points.iter().copied()));
    let x_max = all_points().map(|p| p.0).fold(1.0_f64, f64::max);
    let mut chart = steps_chart(&area, title, y_label, x_max, all_points().map(|p| p.1).chain(threshold))?;
    for (g, group) in groups.iter().enumerate() {
        let c = PALETTE[g % PALETTE.len()];
        for run in &group.runs {
            chart.draw_series(LineSeries::new(run.points.clone(), c.mix(0.45).stroke_width(1))).map_err(|e| e.to_string())?;
        }
        if group.points.len() > 1 && group.runs.len() > 1 {
            let mut outline: Vec<(f64, f64)> = group.points.iter().map(|p| (p.env_steps, p.max)).collect();
            outline.extend(group.points.iter().rev().map(|p| (p.env_steps, p.min)));
            chart.draw_series(std::iter::once(Polygon::new(outline, c.mix(0.15).filled()))).map_err(|e| e.to_string())?;
        }
        let mean: Vec<(f64, f64)> = group.points.iter().map(|p| (p.env_steps, p.mean)).collect();
        let n = group.runs.len();
        let label = if n == 1 { format!("{} (1 seed)", group.label) } else { format!("{} (mean of {n} seeds; band: worst to best)", group.label) };
        chart
            .draw_series(LineSeries::new(mean.clone(), c.stroke_width(3)))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
        chart.draw_series(mean.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(|e| e.to_string())?;
    }
    if let Some(t) = threshold {
        let grey = RGBColor(110, 110, 110);
        chart
            .draw_series(DashedLineSeries::new(vec![(0.0, t), (x_max, t)], 8, 6, grey.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(format!("threshold {}", value_label(t)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], grey.stroke_width(2)));
    }
    // The legend's corner avoids the threshold line too.
    legend(&mut chart, all_points().chain(threshold.into_iter().flat_map(|t| (0..=10).map(move |k| (x_max * k as f64 / 10.0, t)))))?;
    area.present().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_average_is_over_the_last_window_episodes() {
        let c = RunCurves { episodes: vec![(1.0, 1.0), (2.0, 3.0), (3.0, 5.0), (4.0, 7.0)], evaluations: vec![], window: 2 };
        assert_eq!(c.moving_average(), vec![(1.0, 1.0), (2.0, 2.0), (3.0, 4.0), (4.0, 6.0)]);
    }

    #[test]
    fn step_labels_carry_the_digits_they_need() {
        let labels: Vec<String> = [0.0, 800.0, 1000.0, 1200.0, 15_000.0, 1_000_000.0, 1_250_000.0].map(steps_label).into();
        assert_eq!(labels, ["0", "800", "1k", "1.2k", "15k", "1M", "1.25M"]);
        let values: Vec<String> = [-1200.0, 0.0, -0.0001, 0.25, 12.5].map(value_label).into();
        assert_eq!(values, ["-1200", "0", "0", "0.25", "12.5"]);
    }

    #[test]
    fn the_legend_goes_where_the_data_is_not() {
        // A rising curve fills the lower left and upper right: the legend goes lower right.
        let rising = (0..100).map(|k| (k as f64, k as f64));
        assert!(matches!(emptiest_corner(0.0..100.0, 0.0..100.0, rising), SeriesLabelPosition::LowerRight));
        // A falling one fills the upper left and lower right: upper right.
        let falling = (0..100).map(|k| (k as f64, 100.0 - k as f64));
        assert!(matches!(emptiest_corner(0.0..100.0, 0.0..100.0, falling), SeriesLabelPosition::UpperRight));
    }
}
