//! Helpers shared by the learners' integration tests (and, by `#[path]`, the CLI's in `tests/`).

use std::path::Path;

/// A run's `metrics.csv`, header included, without its `wall_time_s` column: what must be equal
/// between two runs that should train identically.
pub fn curve_without_wall_time(run_dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run_dir.join("metrics.csv")).unwrap();
    let wall = text.lines().next().unwrap().split(',').position(|c| c == "wall_time_s").expect("metrics.csv has a wall_time_s column");
    text.lines().map(|l| l.split(',').enumerate().filter(|(i, _)| *i != wall).map(|(_, c)| c).collect::<Vec<_>>().join(",")).collect()
}

/// One numeric column of a run's `metrics.csv` (empty cells skipped), read by the runs' own
/// reader.
#[allow(dead_code)]
pub fn column(metrics_csv: &Path, name: &str) -> Vec<f64> {
    let (header, rows) = agents::run::metrics::read_metrics(metrics_csv).unwrap();
    let k = header.iter().position(|c| c == name).unwrap_or_else(|| panic!("{} has no column {name}", metrics_csv.display()));
    rows.iter().map(|r| r[k]).filter(|v| !v.is_nan()).collect()
}
