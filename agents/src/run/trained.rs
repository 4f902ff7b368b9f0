//! A trained run read back: what it trained (its `config.toml`) and the parameters of its
//! `policy.safetensors`, rebuilt into a policy for its own env or, where the policy kind allows
//! it, for another (zero-shot transfer: NCAP's circuit is the same four parameters on a swimmer
//! of any length).

use std::path::{Path, PathBuf};

use controllers::{Policy, TrainedParameters};
use envs::{Env, EnvSpec};

use crate::run::checkpoint::{load_policy, PolicyHeader};
use crate::run::directory::{read_run_file, RunFile};
use crate::AgentError;

/// A run directory's trained policy.
#[derive(Debug, Clone)]
pub struct TrainedRun {
    pub dir: PathBuf,
    pub file: RunFile,
    pub trained: TrainedParameters,
}

impl TrainedRun {
    /// Reads `dir/config.toml` and `dir/policy.safetensors`, refusing a policy file that belongs
    /// to another env or architecture than the config says.
    pub fn load(dir: &Path) -> Result<Self, AgentError> {
        let file = read_run_file(dir)?;
        let spec = envs::make_with(&file.run.env, table(&file.env))?.spec().clone();
        let untrained = controllers::make(&file.run.policy, &spec, table(&file.policy))?;
        let header = PolicyHeader { env: file.run.env.clone(), policy: file.run.policy.clone(), n_params: untrained.parameters().map_or(0, |p| p.len()) };
        let trained = load_policy(&dir.join("policy.safetensors"), &header)?;
        Ok(Self { dir: dir.to_path_buf(), file, trained })
    }

    /// The env the run trained on, with its config (or `env_config` instead, if given).
    pub fn make_env(&self, env_config: Option<&toml::Table>) -> Result<Box<dyn Env>, AgentError> {
        Ok(envs::make_with(&self.file.run.env, env_config.or(table(&self.file.env)))?)
    }

    /// The trained policy rebuilt for `spec`, its own env's or another's. For another env the
    /// policy kind must rebuild with the same number of parameters (an MLP over another
    /// observation size does not): otherwise an error saying so.
    pub fn policy_for(&self, spec: &EnvSpec) -> Result<Box<dyn Policy>, AgentError> {
        let name = &self.file.run.policy;
        let config = table(&self.file.policy);
        let rebuilt = controllers::make(name, spec, config)?;
        let n = rebuilt.parameters().map_or(0, |p| p.len());
        if n != self.trained.params.len() {
            return Err(AgentError::invalid(format!(
                "{}: policy `{name}` trained on {} has {} parameters; built for {} it has {n}: it does not rebuild for that env",
                self.dir.display(),
                self.file.run.env,
                self.trained.params.len(),
                spec.id
            )));
        }
        Ok(controllers::make_trained(name, spec, config, &self.trained)?)
    }
}

fn table(t: &toml::Table) -> Option<&toml::Table> {
    (!t.is_empty()).then_some(t)
}
