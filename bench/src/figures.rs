//! The report's figures, drawn from `report.json`'s results (so `--report-only` redraws them), as
//! PNG and SVG (plotters; text in an embedded DejaVu Sans, so no system fonts are needed).
//!
//! | file | what |
//! |---|---|
//! | `aggregate` | rliable's interval plot: IQM, median, mean and optimality gap of the normalised return per entry (or, without references, the IQM of the primary metric per entry and env) |
//! | `profile` | performance profiles: the fraction of runs whose normalised return exceeds τ, with 95 % bands |
//! | `curves` | learning curves: the IQM of the primary metric over training seeds against env steps, with 95 % bands |
//! | `robustness-<env>` | each entry's IQM of the primary metric against the first swept config key, with 95 % intervals |

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

use crate::BenchError;

static FONT: &[u8] = include_bytes!("../../agents/assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Matplotlib's tab10, the colours rliable's figures use.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

type Drawn = Result<(), String>;

/// An axis tick: plain digits without a trailing ".0", thousands as k and millions as M.
fn tick(x: &f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{}M", trim(x / 1e6))
    } else if a >= 1e4 {
        format!("{}k", trim(x / 1e3))
    } else {
        trim(*x)
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A legend beside the plot (never over the data): a coloured line and the label per series.
fn side_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, labels: &[(String, RGBColor)]) -> Drawn
where
    DB::ErrorType: 'static,
{
    for (i, (label, c)) in labels.iter().enumerate() {
        let y = 60 + 22 * i as i32;
        area.draw(&PathElement::new(vec![(8, y), (30, y)], c.stroke_width(3))).map_err(|e| e.to_string())?;
        let style = TextStyle::from(("sans-serif", 13).into_font()).color(&BLACK).pos(plotters::style::text_anchor::Pos::new(plotters::style::text_anchor::HPos::Left, plotters::style::text_anchor::VPos::Center));
        area.draw(&Text::new(label.clone(), (36, y), style)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The plot's share of a figure's width, the legend's the rest, from the longest label.
fn legend_width(labels: impl Iterator<Item = usize>, width: u32) -> u32 {
    let longest = labels.max().unwrap_or(0) as u32;
    (44 + 7 * longest).min(width / 2)
}

fn err(path: &Path, e: impl std::fmt::Display) -> BenchError {
    BenchError(format!("{}: cannot draw: {e}", path.display()))
}

/// One interval: (point, lo, hi).
fn interval(v: &Value) -> Option<(f64, f64, f64)> {
    Some((v.get("point")?.as_f64()?, v.get("lo")?.as_f64()?, v.get("hi")?.as_f64()?))
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9 + lo.abs() * 1e-6);
    (lo - pad, hi + pad)
}

/// Renders `$draw` into `stem.png` and `stem.svg` through temporary files (a failure leaves no
/// half-written figure); the files written.
macro_rules! figure {
    ($stem:expr, $size:expr, $draw:ident, $($arg:expr),*) => {{
        REGISTER.call_once(|| {
            let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
        });
        let stem: &Path = $stem;
        // Not with_extension: a stem may hold a dot (an env label `gust-0.5`).
        let name = |ext: &str| PathBuf::from(format!("{}.{ext}", stem.display()));
        let (png, svg, tmp_png, tmp_svg) = (name("png"), name("svg"), name("tmp.png"), name("tmp.svg"));
        let result = (|| -> Result<(), BenchError> {
            $draw(BitMapBackend::new(&tmp_png, $size).into_drawing_area(), $($arg),*).map_err(|e| err(&png, e))?;
            $draw(SVGBackend::new(&tmp_svg, $size).into_drawing_area(), $($arg),*).map_err(|e| err(&svg, e))?;
            std::fs::rename(&tmp_png, &png).map_err(|e| err(&png, e))?;
            std::fs::rename(&tmp_svg, &svg).map_err(|e| err(&svg, e))?;
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp_png);
            let _ = std::fs::remove_file(&tmp_svg);
        }
        result.map(|()| vec![png, svg])
    }};
}

/// Draws every figure the results have into `out`; returns the files written.
pub fn draw_all(results: &Value, out: &Path) -> Result<Vec<PathBuf>, BenchError> {
    let mut files = Vec::new();
    let primary = results["setup"]["primary"].as_str().unwrap_or("return").to_string();
    let lower = results["setup"]["metrics"].as_array().into_iter().flatten().any(|m| m["name"] == primary.as_str() && m["lower_is_better"] == true);
    let title = results["setup"]["scenario"].as_str().unwrap_or("bench").to_string();

    // Aggregate interval plot.
    let mut rows: Vec<(String, Vec<Option<(f64, f64, f64)>>)> = Vec::new();
    let columns: Vec<String>;
    if let Some(agg) = results["aggregate"].as_object().filter(|a| !a.is_empty()) {
        columns = ["IQM", "median", "mean", "optimality gap"].iter().map(|s| s.to_string()).collect();
        for (name, o) in agg {
            rows.push((name.clone(), ["iqm", "median", "mean", "optimality_gap"].iter().map(|k| interval(&o[*k])).collect()));
        }
    } else {
        columns = results["setup"]["variants"].as_array().into_iter().flatten().filter_map(|v| v["label"].as_str().map(String::from)).collect();
        for e in results["setup"]["entries"].as_array().into_iter().flatten() {
            let name = e["name"].as_str().unwrap_or("").to_string();
            rows.push((name.clone(), columns.iter().map(|v| interval(&results["per_variant"][&primary][v][&name]["iqm"])).collect()));
        }
    }
    if !rows.is_empty() && !columns.is_empty() {
        let axis = if results["aggregate"].as_object().is_some_and(|a| !a.is_empty()) { "normalised return".to_string() } else { format!("IQM {primary}") };
        let stem = out.join("aggregate");
        let width = (260 * columns.len() as u32 + 200).min(1800);
        let height = 120 + 34 * rows.len() as u32;
        files.extend(figure!(&stem, (width, height), draw_intervals, &title, &axis, &columns, &rows)?);
    }

    // Performance profiles.
    if let Some(profiles) = results["profiles"].as_object().filter(|p| !p.is_empty()) {
        let series: Vec<Band> = profiles
            .iter()
            .map(|(name, p)| {
                let f = |k: &str| p[k].as_array().into_iter().flatten().filter_map(Value::as_f64).collect::<Vec<f64>>();
                Band { label: name.clone(), x: f("tau"), y: f("fraction"), lo: f("lo"), hi: f("hi") }
            })
            .collect();
        files.extend(figure!(&out.join("profile"), (900, 560), draw_bands, &format!("{title}: performance profiles"), "normalised return τ", "fraction of runs with score > τ", &series, false)?);
    }

    // Learning curves.
    if let Some(curves) = results["curves"].as_object().filter(|c| !c.is_empty()) {
        let mut series = Vec::new();
        let n_variants = curves.values().flat_map(|v| v.as_object().into_iter().flat_map(|o| o.keys())).collect::<std::collections::BTreeSet<_>>().len();
        for (name, per_v) in curves {
            for (v, by_metric) in per_v.as_object().into_iter().flatten() {
                let c = &by_metric[&primary];
                let steps: Vec<f64> = c["env_steps"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
                let pts: Vec<Option<(f64, f64, f64)>> = c["iqm"].as_array().into_iter().flatten().map(interval).collect();
                let mut band = Band { label: if n_variants > 1 { format!("{name} on {v}") } else { name.clone() }, x: vec![], y: vec![], lo: vec![], hi: vec![] };
                for (x, p) in steps.iter().zip(pts) {
                    if let Some((pt, lo, hi)) = p {
                        band.x.push(*x);
                        band.y.push(pt);
                        band.lo.push(lo);
                        band.hi.push(hi);
                    }
                }
                series.push(band);
            }
        }
        let dir = if lower { " (lower is better)" } else { "" };
        files.extend(figure!(&out.join("curves"), (900, 560), draw_bands, &format!("{title}: learning curves"), "env steps", &format!("IQM {primary}{dir}"), &series, true)?);
    }

    // Robustness against the first swept key.
    for (k, r) in results["robustness"].as_array().into_iter().flatten().enumerate() {
        let env = r["env"].as_str().unwrap_or("env");
        let keys: Vec<&str> = r["keys"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let Some(first) = keys.first() else { continue };
        let points = r["points"].as_array().cloned().unwrap_or_default();
        let xs: Vec<Option<f64>> = points.iter().map(|p| p["sweep"][*first].as_f64().or_else(|| p["sweep"][*first].as_i64().map(|i| i as f64))).collect();
        let numeric = xs.iter().all(Option::is_some);
        // The other keys' values name the series: one line per entry and combination of the rest.
        let rest = |p: &Value| keys[1..].iter().map(|key| format!("{key}={}", p["sweep"][*key])).collect::<Vec<_>>().join(",");
        let mut lines: Vec<Band> = Vec::new();
        for (name, pts) in r["iqm"][&primary].as_object().into_iter().flatten() {
            for (i, (p, iv)) in points.iter().zip(pts.as_array().into_iter().flatten()).enumerate() {
                let Some((pt, lo, hi)) = interval(iv) else { continue };
                let label = if keys.len() > 1 { format!("{name} ({})", rest(p)) } else { name.clone() };
                let x = if numeric { xs[i].expect("numeric") } else { i as f64 };
                match lines.iter_mut().find(|b| b.label == label) {
                    Some(b) => {
                        b.x.push(x);
                        b.y.push(pt);
                        b.lo.push(lo);
                        b.hi.push(hi);
                    }
                    None => lines.push(Band { label, x: vec![x], y: vec![pt], lo: vec![lo], hi: vec![hi] }),
                }
            }
        }
        if lines.is_empty() {
            continue;
        }
        let stem = out.join(format!("robustness-{}", if k == 0 { env.to_string() } else { format!("{env}-{k}") }).replace(['/', ' '], "_"));
        let x_label = if numeric { first.to_string() } else { format!("{first} (variant index)") };
        files.extend(figure!(&stem, (900, 560), draw_errorbars, &format!("{title}: {primary} under changed {first}"), &x_label, &format!("IQM {primary}"), &lines)?);
    }
    Ok(files)
}

/// A line with a band: y and its interval at each x.
pub struct Band {
    pub label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

fn draw_bands<DB: DrawingBackend>(area: DrawingArea<DB, Shift>, title: &str, x_label: &str, y_label: &str, series: &[Band], markers: bool) -> Drawn
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    let width = area.dim_in_pixel().0;
    let (area, legend) = area.split_horizontally(width - legend_width(series.iter().map(|s| s.label.chars().count()), width));
    side_legend(&legend, &series.iter().enumerate().map(|(i, s)| (s.label.clone(), color(i))).collect::<Vec<_>>())?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.x.iter().copied()));
    let (y0, y1) = range(series.iter().flat_map(|s| s.lo.iter().chain(&s.hi).copied()));
    let mut chart = ChartBuilder::on(&area)
        .caption(title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc(x_label).y_desc(y_label).x_label_formatter(&tick).y_label_formatter(&tick).label_style(("sans-serif", 14)).draw().map_err(|e| e.to_string())?;
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        if s.x.len() > 1 {
            let mut outline: Vec<(f64, f64)> = s.x.iter().copied().zip(s.hi.iter().copied()).collect();
            outline.extend(s.x.iter().copied().zip(s.lo.iter().copied()).rev());
            chart.draw_series(std::iter::once(Polygon::new(outline, c.mix(0.18).filled()))).map_err(|e| e.to_string())?;
        }
        let pts: Vec<(f64, f64)> = s.x.iter().copied().zip(s.y.iter().copied()).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        if markers || s.x.len() == 1 {
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn draw_errorbars<DB: DrawingBackend>(area: DrawingArea<DB, Shift>, title: &str, x_label: &str, y_label: &str, series: &[Band]) -> Drawn
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    let width = area.dim_in_pixel().0;
    let (area, legend) = area.split_horizontally(width - legend_width(series.iter().map(|s| s.label.chars().count()), width));
    side_legend(&legend, &series.iter().enumerate().map(|(i, s)| (s.label.clone(), color(i))).collect::<Vec<_>>())?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.x.iter().copied()));
    let (y0, y1) = range(series.iter().flat_map(|s| s.lo.iter().chain(&s.hi).copied()));
    let mut chart = ChartBuilder::on(&area)
        .caption(title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc(x_label).y_desc(y_label).x_label_formatter(&tick).y_label_formatter(&tick).label_style(("sans-serif", 14)).draw().map_err(|e| e.to_string())?;
    let n = series.len().max(1) as f64;
    // Offset each series a little along x so that intervals at one value do not hide each other.
    let dx = (x1 - x0) * 0.008;
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        let off = (i as f64 - (n - 1.0) / 2.0) * dx;
        let pts: Vec<(f64, f64)> = s.x.iter().map(|x| x + off).zip(s.y.iter().copied()).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(s.x.iter().enumerate().map(|(k, x)| ErrorBar::new_vertical(x + off, s.lo[k], s.y[k], s.hi[k], c.stroke_width(2), 8)))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// rliable's interval plot: a panel per column, a row per entry, the point as a tick and the
/// interval as a bar.
fn draw_intervals<DB: DrawingBackend>(area: DrawingArea<DB, Shift>, title: &str, axis: &str, columns: &[String], rows: &[(String, Vec<Option<(f64, f64, f64)>>)]) -> Drawn
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    let area = area.titled(title, ("sans-serif", 20)).map_err(|e| e.to_string())?;
    let (labels, panels) = area.split_horizontally(190);
    let n = rows.len();
    let panels = panels.split_evenly((1, columns.len()));
    // Row labels, aligned with the panels' rows.
    let label_chart = ChartBuilder::on(&labels).margin(10).x_label_area_size(50).caption(" ", ("sans-serif", 16)).build_cartesian_2d(0.0..1.0, -0.5..n as f64 - 0.5).map_err(|e| e.to_string())?;
    for (r, (name, _)) in rows.iter().enumerate() {
        let y = (n - 1 - r) as f64;
        let pos = label_chart.backend_coord(&(1.0, y));
        let style = TextStyle::from(("sans-serif", 14).into_font()).color(&BLACK).pos(plotters::style::text_anchor::Pos::new(plotters::style::text_anchor::HPos::Right, plotters::style::text_anchor::VPos::Center));
        // backend_coord is in the backend's pixels; the label area draws relative to its own origin.
        let base = labels.get_base_pixel();
        labels.draw(&Text::new(name.clone(), (pos.0 - base.0 - 4, pos.1 - base.1), style)).map_err(|e| e.to_string())?;
    }
    for (c, (panel, column)) in panels.iter().zip(columns).enumerate() {
        let (x0, x1) = range(rows.iter().filter_map(|(_, v)| v[c]).flat_map(|(p, l, h)| [p, l, h]));
        let mut chart = ChartBuilder::on(panel)
            .margin(10)
            .caption(column, ("sans-serif", 16))
            .x_label_area_size(50)
            .build_cartesian_2d(x0..x1, -0.5..n as f64 - 0.5)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(axis)
            .x_labels(4)
            .x_label_formatter(&tick)
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| e.to_string())?;
        for (r, (_, values)) in rows.iter().enumerate() {
            let Some((p, lo, hi)) = values[c] else { continue };
            let y = (n - 1 - r) as f64;
            let col = color(r);
            chart.draw_series(std::iter::once(Rectangle::new([(lo, y - 0.3), (hi, y + 0.3)], col.mix(0.55).filled()))).map_err(|e| e.to_string())?;
            chart.draw_series(std::iter::once(PathElement::new(vec![(p, y - 0.36), (p, y + 0.36)], BLACK.stroke_width(2)))).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
