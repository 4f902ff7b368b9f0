//! Benchmark scenarios for `nerve bench`, and the statistics their reports use.
//!
//! | module | concept |
//! |---|---|
//! | [`scenario`] | scenario files (`scenarios/*.toml`): the question, envs with sweeps, entries (controllers, learners, transfers), seeds and what to report, checked whole before anything runs |
//! | [`grid`] | a scenario expanded into cells (entry × env variant × seed), each keyed by a hash of everything that determines it and the build |
//! | [`cell`] | running one cell and its files under `cells/<key>/`: evaluation episodes, a learner's run directory and its learning-curve points |
//! | [`runner`] | running a grid's unfinished cells on `--jobs` threads, resumable after a stop |
//! | [`figures`] | the report's figures (PNG and SVG): aggregate intervals, performance profiles, learning curves, robustness to swept config keys |
//! | [`report`] | the report computed from the cells: `report.json`, `report.md`, score matrices |
//! | [`stats`] | Agarwal et al. (2021)'s aggregate metrics (IQM, median, mean, optimality gap), stratified-bootstrap confidence intervals, probability of improvement and performance profiles, as `rliable` computes them |

pub mod cell;
pub mod figures;
pub mod grid;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod stats;

use std::path::Path;

pub use scenario::Scenario;

/// A scenario that cannot run, or a bench that failed: the message names the file and key.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchError(pub String);

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

/// Writes the report of a finished grid into `out`: `report.json`, `report.md`, `scores.csv`,
/// `scores.json`, `curves.csv` and the figures ([`figures`]), each atomically. Returns the
/// report's JSON.
pub fn write_report(
    scenario: &Scenario,
    grid: &grid::Grid,
    records: &[cell::CellRecord],
    out: &Path,
    provenance: &report::Provenance,
) -> Result<serde_json::Value, BenchError> {
    std::fs::create_dir_all(out).map_err(|e| BenchError(format!("{}: cannot create: {e}", out.display())))?;
    let mut value = report::results(scenario, grid, records);
    let md = report::markdown(scenario, &value, provenance);
    value["provenance"] = serde_json::to_value(provenance).expect("plain struct");
    let (csv, scores, curves) = report::score_exports(scenario, grid, records);
    let write = |name: &str, text: String| agents::write_atomic(&out.join(name), text.as_bytes()).map_err(|e| BenchError(e.to_string()));
    write("report.json", format!("{}\n", serde_json::to_string_pretty(&value).expect("JSON")))?;
    write("report.md", md)?;
    write("scores.csv", csv)?;
    write("scores.json", format!("{}\n", serde_json::to_string_pretty(&scores).expect("JSON")))?;
    write("curves.csv", curves)?;
    figures::draw_all(&value, out)?;
    Ok(value)
}

/// blake3 of `bytes`, hex.
pub fn hash_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}
