//! Policies a learner can train, by name: the controllers crate's parametric ones and the MLP.

use controllers::Policy;
use envs::EnvSpec;

use crate::mlp::{MlpConfig, MlpPolicy};
use crate::AgentError;

/// Policy names the learners accept.
pub const POLICIES: &[(&str, &str)] = &[
    ("ncap", "NCAP circuit, 4 shared weights (swimmers); `ncap-unshared`, `ncap-unconstrained`, `ncap-random-init` too"),
    ("mlp", "multilayer perceptron, tanh, hidden [64, 64] by default; on switching states (Discrete) it acts by its largest logit"),
    ("travelling-wave", "open-loop travelling wave, parameters [A, T, φ]"),
    ("snn", "spiking PD-like + integral-like LIF networks, 160 neurons (`snn-pd`: PD network only)"),
    ("pid", "PID gains [kp, ki, kd] (tuning by evolution)"),
];

/// Builds policy `name` for `spec`, its options from `config`.
pub fn make_policy(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, AgentError> {
    if name == "mlp" {
        return Ok(Box::new(MlpPolicy::new(spec, &MlpConfig::parse(config)?)?));
    }
    Ok(controllers::make(name, spec, config)?)
}
