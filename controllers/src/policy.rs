//! The Policy trait: what every controller, learned or not, implements.

use std::fmt;

/// A controller: maps observations to actions, possibly with internal state.
///
/// `act` writes into the caller's action buffer (length = the env's action
/// dimension); it never allocates on the hot path.
pub trait Policy: Send {
    /// A short name, e.g. `ncap`.
    fn name(&self) -> &str;

    /// Clears internal state (oscillator phase, membrane potentials, integrals)
    /// at the start of an episode. Stochastic policies reseed from `seed` when given.
    fn reset(&mut self, seed: Option<u64>);

    /// Writes the action for `obs` into `action`.
    fn act(&mut self, obs: &[f32], action: &mut [f32]);

    /// The flat parameter vector, for policies that have one (any evolution strategy can train them).
    fn parameters(&self) -> Option<&[f32]> {
        None
    }

    /// Replaces the flat parameter vector.
    fn set_parameters(&mut self, _params: &[f32]) -> Result<(), PolicyError> {
        Err(PolicyError::NotParametric { policy: self.name().to_string() })
    }

    /// Names of the parameters, in the order of [`Policy::parameters`].
    fn parameter_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Non-trainable state a trained policy carries besides its parameters (PyTorch's
    /// "buffers"), e.g. an observation normaliser's mean and standard deviation.
    fn buffers(&self) -> Vec<(&'static str, Vec<f32>)> {
        Vec::new()
    }

    /// Sets buffer `name` (see [`Policy::buffers`]).
    fn set_buffer(&mut self, name: &str, _values: &[f32]) -> Result<(), PolicyError> {
        Err(PolicyError::Config { controller: self.name().to_string(), message: format!("has no buffer `{name}`") })
    }

    /// Internal activity after the latest `act` (neuron outputs, spikes), for viewers and reports.
    fn activity(&self) -> Option<Activity<'_>> {
        None
    }

    /// What the latest `act` cost in arithmetic (the quantity a neuromorphic or embedded
    /// processor pays energy for); `None` for controllers that do not count it.
    fn work(&self) -> Option<Work> {
        None
    }
}

/// The arithmetic of one control step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Work {
    /// Spikes emitted.
    pub spikes: u64,
    /// Synaptic operations: each spike's accumulate into every target it reaches.
    pub synaptic_ops: u64,
    /// Multiply-accumulate operations (encoding currents and decoders; a PID's or a network's arithmetic).
    pub macs: u64,
}

impl std::ops::AddAssign for Work {
    fn add_assign(&mut self, other: Work) {
        self.spikes += other.spikes;
        self.synaptic_ops += other.synaptic_ops;
        self.macs += other.macs;
    }
}

/// What a circuit's neurons did on the latest step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Activity<'a> {
    /// One label per value, e.g. `joint_2.b_dorsal`.
    pub labels: &'a [String],
    /// Graded outputs in [0, 1], or spikes as 0/1.
    pub values: &'a [f32],
    pub kind: ActivityKind,
    /// Membrane potentials, one per label, for spiking controllers.
    pub potentials: Option<&'a [f32]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    /// Graded (non-spiking) neuron outputs.
    Graded,
    /// Spikes (0 or 1 per neuron per step).
    Spikes,
}

/// Errors building or configuring a policy; never a panic.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyError {
    UnknownController { name: String, valid: Vec<String> },
    /// The controller does not fit the env (e.g. NCAP on a motor).
    Incompatible { controller: String, env: String, reason: String },
    Config { controller: String, message: String },
    ParameterLength { policy: String, expected: usize, got: usize },
    NonFiniteParameter { policy: String, index: usize },
    NotParametric { policy: String },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::UnknownController { name, valid } => {
                write!(f, "unknown controller `{name}`; available: {}", valid.join(", "))
            }
            PolicyError::Incompatible { controller, env, reason } => {
                write!(f, "controller `{controller}` cannot drive {env}: {reason}")
            }
            PolicyError::Config { controller, message } => write!(f, "controller `{controller}`: invalid config: {message}"),
            PolicyError::ParameterLength { policy, expected, got } => {
                write!(f, "{policy}: parameter vector has {got} entries, expected {expected}")
            }
            PolicyError::NonFiniteParameter { policy, index } => {
                write!(f, "{policy}: parameter {index} is not finite")
            }
            PolicyError::NotParametric { policy } => write!(f, "{policy} has no parameters"),
        }
    }
}

impl std::error::Error for PolicyError {}

/// The index of observation entry `key` that controller `controller` reads from `spec`; the
/// error lists the entries the env has.
pub fn observation_entry(controller: &str, spec: &envs::EnvSpec, key: &str) -> Result<usize, PolicyError> {
    spec.observation_index(key).ok_or_else(|| PolicyError::Incompatible {
        controller: controller.into(),
        env: spec.id.clone(),
        reason: format!("it has no observation entry `{key}` (it has: {})", spec.observation_names.join(", ")),
    })
}

/// Checks a parameter vector's length and finiteness.
pub fn check_parameters(policy: &str, expected: usize, params: &[f32]) -> Result<(), PolicyError> {
    if params.len() != expected {
        return Err(PolicyError::ParameterLength { policy: policy.to_string(), expected, got: params.len() });
    }
    if let Some(index) = params.iter().position(|p| !p.is_finite()) {
        return Err(PolicyError::NonFiniteParameter { policy: policy.to_string(), index });
    }
    Ok(())
}

impl fmt::Debug for dyn Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Policy({})", self.name())
    }
}
