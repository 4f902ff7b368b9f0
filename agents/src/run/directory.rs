//! `config.toml`, the file that makes a directory a run: `[run]` (env, policy, agent, budget,
//! seed), then `[env]`, `[policy]` (the options given) and `[agent]` (every hyperparameter,
//! defaults filled in). `nerve train --resume DIR` reads it back, so a resumed run is the same
//! run ([`crate::learners::resume`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::run::{write_atomic, RunSpec};
use crate::AgentError;

/// The contents of `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFile {
    pub run: RunSpec,
    #[serde(default)]
    pub env: toml::Table,
    #[serde(default)]
    pub policy: toml::Table,
    #[serde(default)]
    pub agent: toml::Table,
    /// The tuned preset laid under the user's `[agent]` and `[policy]` keys, if any
    /// ([`crate::presets`]); `[agent]` and `[policy]` above already hold the merged values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<crate::presets::PresetRecord>,
}


/// Writes `dir/config.toml` atomically.
pub fn write_run_file(dir: &Path, file: &RunFile) -> Result<(), AgentError> {
    let text = toml::to_string(file).map_err(|e| AgentError::invalid(format!("config.toml: {e}")))?;
    write_atomic(&dir.join("config.toml"), text.as_bytes())
}

/// Reads `dir/config.toml`.
pub fn read_run_file(dir: &Path) -> Result<RunFile, AgentError> {
    let path = dir.join("config.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AgentError::invalid(format!(
            "{}: not a run directory of `nerve train` (it has no config.toml); pass a directory that `nerve train --out` wrote",
            dir.display()
        )),
        _ => AgentError::io(&path, e),
    })?;
    toml::from_str(&text).map_err(|e| AgentError::invalid(format!("{}: {}", path.display(), e.message())))
}

/// The default run directory: `results/runs/{env}-{policy}-{agent}-seed{seed}`.
pub fn default_dir(run: &RunSpec) -> PathBuf {
    PathBuf::from("results").join("runs").join(format!("{}-{}-{}-seed{}", run.env, run.policy, run.agent, run.seed))
}
