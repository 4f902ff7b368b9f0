//! `metrics.csv`: one row per iteration, written line by line so a run can be watched (and
//! plotted) while it trains; `episodes.csv`: every training episode's return and length, at the
//! env step it ended. On resume both are cut back to what the checkpoint had written.

use std::io::{BufWriter, Write};
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
        let file = cut_back(path, &columns.join(","), rows)?;
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

/// Keeps `path`'s header (which must be `header`) and first `rows` data rows, then opens it for
/// appending.
fn cut_back(path: &Path, header: &str, rows: usize) -> Result<std::fs::File, AgentError> {
    let text = std::fs::read_to_string(path).map_err(|e| AgentError::io(path, e))?;
    let mut lines = text.lines();
    let found = lines.next().unwrap_or_default();
    if found != header {
        return Err(AgentError::invalid(format!("{}: columns `{found}` are not this learner's (`{header}`)", path.display())));
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
    crate::run::write_atomic(path, out.as_bytes())?;
    std::fs::OpenOptions::new().append(true).open(path).map_err(|e| AgentError::io(path, e))
}

const EPISODE_COLUMNS: &str = "env_steps,episode_return,length";

/// `episodes.csv`: one row per finished training episode (buffered; flushed with each metrics row
/// and checkpoint).
pub struct EpisodeLog {
    path: PathBuf,
    file: BufWriter<std::fs::File>,
}

impl EpisodeLog {
    pub fn create(path: &Path) -> Result<Self, AgentError> {
        let mut file = std::fs::File::create(path).map_err(|e| AgentError::io(path, e))?;
        writeln!(file, "{EPISODE_COLUMNS}").map_err(|e| AgentError::io(path, e))?;
        Ok(Self { path: path.to_path_buf(), file: BufWriter::new(file) })
    }

    /// Keeps the first `rows` episodes of `path` (a run directory from before this log gets a new one).
    pub fn resume(path: &Path, rows: usize) -> Result<Self, AgentError> {
        if rows == 0 && !path.exists() {
            return Self::create(path);
        }
        Ok(Self { path: path.to_path_buf(), file: BufWriter::new(cut_back(path, EPISODE_COLUMNS, rows)?) })
    }

    pub fn write(&mut self, env_steps: u64, episode_return: f64, length: u64) -> Result<(), AgentError> {
        writeln!(self.file, "{env_steps},{episode_return},{length}").map_err(|e| AgentError::io(&self.path, e))
    }

    pub fn flush(&mut self) -> Result<(), AgentError> {
        self.file.flush().map_err(|e| AgentError::io(&self.path, e))
    }
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
