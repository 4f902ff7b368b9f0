//! Helpers shared by the learners' integration tests (and, by `#[path]`, the CLI's in `tests/`).

use std::path::Path;

/// A run's `metrics.csv`, header included, without its `wall_time_s` column: what must be equal
/// between two runs that should train identically.
pub fn curve_without_wall_time(run_dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run_dir.join("metrics.csv")).unwrap();
    let wall = text.lines().next().unwrap().split(',').position(|c| c == "wall_time_s").expect("metrics.csv has a wall_time_s column");
    text.lines().map(|l| l.split(',').enumerate().filter(|(i, _)| *i != wall).map(|(_, c)| c).collect::<Vec<_>>().join(",")).collect()
}
