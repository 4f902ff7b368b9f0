//! The learners' one error type: every failure below a learner (an env's, a policy's, a tensor
//! computation's, a file's) converts into it with `?`.

use std::fmt;
use std::path::Path;

/// A learner's error: says what went wrong and with which file, key or value.
#[derive(Debug)]
pub enum AgentError {
    Io { path: String, message: String },
    /// A run directory, checkpoint or config that cannot be used, and why.
    Invalid(String),
    Env(envs::EnvError),
    Policy(controllers::PolicyError),
}

impl AgentError {
    pub fn io(path: &Path, e: impl fmt::Display) -> Self {
        AgentError::Io { path: path.display().to_string(), message: e.to_string() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        AgentError::Invalid(message.into())
    }
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentError::Io { path, message } => write!(f, "{path}: {message}"),
            AgentError::Invalid(m) => f.write_str(m),
            AgentError::Env(e) => write!(f, "{e}"),
            AgentError::Policy(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AgentError {}

impl From<envs::EnvError> for AgentError {
    fn from(e: envs::EnvError) -> Self {
        AgentError::Env(e)
    }
}

impl From<envs::ConfigError> for AgentError {
    fn from(e: envs::ConfigError) -> Self {
        AgentError::invalid(e.to_string())
    }
}

/// A tensor computation failed (shapes, dtypes): candle's message.
impl From<candle_core::Error> for AgentError {
    fn from(e: candle_core::Error) -> Self {
        AgentError::invalid(format!("tensor computation: {e}"))
    }
}

impl From<controllers::PolicyError> for AgentError {
    fn from(e: controllers::PolicyError) -> Self {
        AgentError::Policy(e)
    }
}
