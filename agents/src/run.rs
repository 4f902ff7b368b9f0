//! What every learner shares: the run's description, its directory, stopping and progress.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use controllers::Policy;
use envs::{Env, EnvSpec};
use serde::{Deserialize, Serialize};

use crate::policies::make_policy;
use crate::AgentError;

/// The `[run]` table of `config.toml`: what is trained, on what, for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    pub env: String,
    pub policy: String,
    pub agent: String,
    /// Budget in env steps (training episodes only; evaluation episodes are extra).
    pub steps: u64,
    pub seed: u64,
}

/// Everything a learner gets: the run, the env and policy options, and where to write.
#[derive(Debug, Clone)]
pub struct TrainContext {
    pub run: RunSpec,
    pub env_config: Option<toml::Table>,
    pub policy_config: Option<toml::Table>,
    pub dir: PathBuf,
    /// Set (e.g. by Ctrl-C) to stop after the current iteration with a checkpoint.
    pub stop: Arc<AtomicBool>,
}

impl TrainContext {
    pub fn make_env(&self) -> Result<Box<dyn Env>, AgentError> {
        Ok(envs::make_with(&self.run.env, self.env_config.as_ref())?)
    }

    pub fn make_policy(&self, spec: &EnvSpec) -> Result<Box<dyn Policy>, AgentError> {
        make_policy(&self.run.policy, spec, self.policy_config.as_ref())
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// One iteration's headline numbers, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub iteration: u64,
    pub env_steps: u64,
    /// Mean return of the latest training episodes.
    pub recent_return: f64,
    /// Latest evaluation return, if one was run.
    pub eval_return: Option<f64>,
}

/// How a training run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub env: String,
    pub policy: String,
    pub agent: String,
    pub seed: u64,
    pub n_params: usize,
    pub iterations: u64,
    pub env_steps: u64,
    pub wall_time_s: f64,
    pub env_steps_per_s: f64,
    /// Mean and sample std of the final policy's return over the evaluation episodes.
    pub final_eval_return: f64,
    pub final_eval_return_std: f64,
    pub best_eval_return: f64,
    /// Whether the run finished its budget (false: stopped early, resumable).
    pub completed: bool,
}

/// Mean and sample standard deviation.
pub fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len().max(1) as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = if x.len() > 1 { x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (mean, var.sqrt())
}
