//! `metrics.csv`: one row per iteration, written line by line so a run can be watched (and
//! plotted) while it trains. On resume the file is cut back to the checkpoint's last row.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::AgentError;

pub struct MetricsWriter {
    path: PathBuf,
    columns: Vec<&'static str>,
    file: std::fs::File,
}

impl MetricsWriter {
    /// Starts `path` afresh with a header row.
    pub fn create(path: &Path, columns: &[&'static str]) -> Result<Self, AgentError> {
        let mut file = std::fs::File::create(path).map_err(|e| AgentError::io(path, e))?;
        writeln!(file, "{}", columns.join(",")).map_err(|e| AgentError::io(path, e))?;
        Ok(Self { path: path.to_path_buf(), columns: columns.to_vec(), file })
    }

    /// Reopens `path` for appending after keeping its header and first `rows` data rows
    /// (the rows the checkpoint being resumed had written).
    pub fn resume(path: &Path, columns: &[&'static str], rows: usize) -> Result<Self, AgentError> {
        let text = std::fs::read_to_string(path).map_err(|e| AgentError::io(path, e))?;
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        if header != columns.join(",") {
            return Err(AgentError::invalid(format!("{}: columns `{header}` are not this learner's", path.display())));
        }
        let kept: Vec<&str> = lines.take(rows).collect();
        if kept.len() != rows {
            return Err(AgentError::invalid(format!("{}: has {} rows, the checkpoint expects {rows}", path.display(), kept.len())));
        }
        let mut out = String::with_capacity(text.len());
        out.push_str(header);
        out.push('\n');
        for l in kept {
            out.push_str(l);
            out.push('\n');
        }
        crate::fsutil::write_atomic(path, out.as_bytes())?;
        let file = std::fs::OpenOptions::new().append(true).open(path).map_err(|e| AgentError::io(path, e))?;
        Ok(Self { path: path.to_path_buf(), columns: columns.to_vec(), file })
    }

    /// Appends one row; `values` in the order of the columns (NaN for "not measured").
    pub fn write(&mut self, values: &[f64]) -> Result<(), AgentError> {
        assert_eq!(values.len(), self.columns.len(), "one value per column");
        let line: Vec<String> = values.iter().map(|v| if v.is_nan() { String::new() } else { format!("{v}") }).collect();
        let mut row = line.join(",");
        row.push('\n');
        self.file.write_all(row.as_bytes()).map_err(|e| AgentError::io(&self.path, e))?;
        self.file.flush().map_err(|e| AgentError::io(&self.path, e))
    }
}

/// Rows of `metrics.csv` an off-policy run (TD3, DDPG, SAC) keeps when resumed at env step `step` with budget
/// `budget`: one per `eval_every` steps, plus the final row of a completed run (dropped when the
/// budget was raised, since that row no longer ends the run).
pub(crate) fn off_policy_rows(step: u64, budget: u64, eval_every: u64) -> usize {
    let off_boundary_end = step >= budget && step % eval_every != 0;
    (step / eval_every) as usize + off_boundary_end as usize
}

/// Reads a metrics file back: the header and the rows as numbers (empty cells as NaN).
pub fn read_metrics(path: &Path) -> Result<(Vec<String>, Vec<Vec<f64>>), AgentError> {
    let text = std::fs::read_to_string(path).map_err(|e| AgentError::io(path, e))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap_or_default().split(',').map(String::from).collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|c| if c.is_empty() { f64::NAN } else { c.parse().unwrap_or(f64::NAN) }).collect())
        .collect();
    Ok((header, rows))
}
