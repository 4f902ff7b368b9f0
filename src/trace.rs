//! `nerve eval --trace FILE.csv`: every step's action, reward and the env's physical state.
//!
//! Columns: `episode, seed, step, time_s, action_0 … action_{n−1}, reward`, then the env's
//! [`envs::Env::physical_state`] names in SI units (for a motor: ω, torque, currents, voltages
//! as gym-electric-motor names them). Step 0 is the state after reset (its action and reward
//! empty). The file is written beside its final path and renamed at the end, so an interrupted
//! run leaves nothing half-written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::CliError;

pub struct Trace {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<File>,
    dt: f64,
    n_actions: usize,
    /// The physical state's names, fixed by the first row.
    names: Option<Vec<String>>,
    state: Vec<(String, f64)>,
    error: Option<String>,
}

impl Trace {
    pub fn new(path: &Path, spec: &envs::EnvSpec) -> Result<Self, CliError> {
        if path.extension().and_then(|e| e.to_str()) != Some("csv") {
            return Err(CliError(format!("--trace {}: expected a .csv file name", path.display())));
        }
        let tmp = path.with_extension("csv.tmp");
        let file = File::create(&tmp).map_err(|e| CliError(format!("--trace {}: {e}", path.display())))?;
        Ok(Self { path: path.to_path_buf(), tmp, out: BufWriter::new(file), dt: spec.dt, n_actions: spec.act_dim(), names: None, state: Vec::new(), error: None })
    }

    /// One row: the env as it is now, after `step` steps of the episode; `taken` is the action
    /// and reward of the step that led here (`None` right after reset).
    pub fn row(&mut self, env: &dyn envs::Env, episode: u64, seed: u64, step: usize, taken: Option<(&[f32], f64)>) {
        if self.error.is_some() {
            return;
        }
        env.physical_state(&mut self.state);
        let mut line = String::new();
        if self.names.is_none() {
            let names: Vec<String> = self.state.iter().map(|(n, _)| n.clone()).collect();
            let mut header = vec!["episode".to_string(), "seed".into(), "step".into(), "time_s".into()];
            header.extend((0..self.n_actions).map(|i| format!("action_{i}")));
            header.push("reward".into());
            header.extend(names.iter().cloned());
            line.push_str(&header.join(","));
            line.push('\n');
            self.names = Some(names);
        }
        let names = self.names.as_ref().map_or(&[][..], |n| &n[..]);
        if self.state.len() != names.len() || self.state.iter().zip(names).any(|((a, _), b)| a != b) {
            self.error = Some(format!("{}: the env's physical state changed its names mid-run", self.path.display()));
            return;
        }
        line.push_str(&format!("{episode},{seed},{step},{}", step as f64 * self.dt));
        match taken {
            Some((action, reward)) => {
                for a in action {
                    line.push_str(&format!(",{a}"));
                }
                line.push_str(&format!(",{reward}"));
            }
            None => line.push_str(&",".repeat(self.n_actions + 1)),
        }
        for (_, v) in &self.state {
            line.push_str(&format!(",{v}"));
        }
        line.push('\n');
        if let Err(e) = self.out.write_all(line.as_bytes()) {
            self.error = Some(format!("{}: {e}", self.tmp.display()));
        }
    }

    /// Flushes and moves the file into place; on any earlier error, removes it and reports.
    pub fn finish(mut self) -> Result<PathBuf, CliError> {
        let flushed = self.out.flush().map_err(|e| format!("{}: {e}", self.tmp.display()));
        if let Some(e) = self.error.take().or(flushed.err()) {
            let _ = std::fs::remove_file(&self.tmp);
            return Err(CliError(e));
        }
        std::fs::rename(&self.tmp, &self.path).map_err(|e| CliError(format!("{}: {e}", self.path.display())))?;
        Ok(self.path)
    }
}
