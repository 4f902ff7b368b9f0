//! The registry of policy kinds: every controller and every learnable policy, listed once.
//!
//! Each [`PolicyEntry`] says what the policy is, which envs it fits, whether it has a parameter
//! vector (so that evolution strategies can train it, and a checkpoint can hold it), and how to
//! build it: from a config table ([`make`]) and, for a trained policy, from a checkpoint's
//! tensors ([`make_trained`]). `nerve list`, `nerve eval --controller`, the learners and the
//! benchmark scenarios all build policies here. A new policy kind is one file and one entry in
//! [`POLICIES`].

use envs::{EnvSpec, Space};

use crate::baselines::{Constant, ConstantConfig, Replay, ReplayConfig, TravellingWave, TravellingWaveConfig, UniformRandom, Zero};
use crate::linear::{LinearConfig, LinearPolicy};
use crate::mlp::{MlpConfig, MlpPolicy};
use crate::ncap::{Ncap, NcapConfig, NcapInit};
use crate::pid::{PidController, PidControllerConfig};
use crate::policy::{Policy, PolicyError};
use crate::snn::{SnnConfig, SnnController};
use crate::spiking_cascade::{SpeedCascade, SpikingCascade};

type Build = fn(&str, &EnvSpec, Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError>;

/// One policy kind.
#[derive(Debug, Clone, Copy)]
pub struct PolicyEntry {
    pub name: &'static str,
    /// What it is, in a line.
    pub summary: &'static str,
    /// Which envs it fits (building it for another env is an [`PolicyError::Incompatible`]).
    pub fits: &'static str,
    /// Whether it has a flat parameter vector (trainable by evolution, saved in checkpoints).
    pub has_parameters: bool,
    build: Build,
}

impl PolicyEntry {
    /// Builds this policy for `spec`, its options from `config` (unknown keys are errors).
    pub fn build(&self, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
        (self.build)(self.name, spec, config)
    }
}

/// Every policy kind, in the order `nerve list` shows them.
pub const POLICIES: &[PolicyEntry] = &[
    PolicyEntry { name: "ncap", summary: "C. elegans swimming circuit, 4 shared sign-constrained weights at +1/−1", fits: "swimmers", has_parameters: true, build: build_ncap },
    PolicyEntry { name: "ncap-unshared", summary: "NCAP with per-hinge weights (ablation)", fits: "swimmers", has_parameters: true, build: build_ncap },
    PolicyEntry { name: "ncap-unconstrained", summary: "NCAP without the excitatory/inhibitory sign constraints (ablation)", fits: "swimmers", has_parameters: true, build: build_ncap },
    PolicyEntry { name: "ncap-random-init", summary: "NCAP with random initial weights (ablation)", fits: "swimmers", has_parameters: true, build: build_ncap },
    PolicyEntry { name: "mlp", summary: "multilayer perceptron, tanh, hidden [64, 64] by default, squashed into the action box (train with any learner)", fits: "bounded Box or Discrete actions (acts by its largest logit)", has_parameters: true, build: build_mlp },
    PolicyEntry { name: "linear", summary: "linear feedback a = clip(W·obs + b), from zero gains (Mania et al. 2018's ARS baseline)", fits: "bounded Box actions", has_parameters: true, build: build_linear },
    PolicyEntry { name: "pid", summary: "discrete PID on a measurement and a reference (gains tuned for BlimpAltitude-v0)", fits: "envs observing a measurement and its reference (blimp)", has_parameters: true, build: build_pid },
    PolicyEntry { name: "pd", summary: "the PID without its integral (K_i = 0): what non-neutral buoyancy defeats", fits: "envs observing a measurement and its reference (blimp)", has_parameters: true, build: build_pid },
    PolicyEntry { name: "cascaded-pi", summary: "current and speed PI, symmetric optimum (a = 4), anti-windup: DC drives with EMF feed-forward, the PMSM field-oriented with MTPA and decoupling", fits: "motor speed tasks (Dc…Speed-v0, PmsmSpeed-v0)", has_parameters: false, build: build_cascaded_pi },
    PolicyEntry { name: "snn", summary: "spiking PD-like + integral-like LIF networks, 160 neurons (train with --agent mimic-pid); on motor speed tasks the cascade's speed loop", fits: "blimp; motor speed tasks", has_parameters: true, build: build_snn },
    PolicyEntry { name: "snn-pd", summary: "the spiking PD-like network alone (no integral network)", fits: "blimp; motor speed tasks", has_parameters: true, build: build_snn },
    PolicyEntry { name: "travelling-wave", summary: "open-loop CPG u_i = A·sin(2πt/T − φ·i), parameters [A, T, φ]", fits: "bounded Box actions", has_parameters: true, build: build_travelling_wave },
    PolicyEntry { name: "constant", summary: "holds a fixed action (`--action 0.02,0.05`): for checking a model against a datasheet or another simulator", fits: "any", has_parameters: false, build: build_constant },
    PolicyEntry { name: "replay", summary: "replays actions from a CSV file (`file = \"actions.csv\"`), open loop", fits: "any", has_parameters: false, build: build_replay },
    PolicyEntry { name: "random", summary: "uniform random actions in the action box (or switching states)", fits: "bounded Box or Discrete actions", has_parameters: false, build: build_random },
    PolicyEntry { name: "zero", summary: "all-zero actions", fits: "any", has_parameters: false, build: build_zero },
];

/// The entry of policy `name`; the error lists the valid names.
pub fn entry(name: &str) -> Result<&'static PolicyEntry, PolicyError> {
    POLICIES.iter().find(|p| p.name == name).ok_or_else(|| PolicyError::UnknownController { name: name.to_string(), valid: POLICIES.iter().map(|c| c.name.to_string()).collect() })
}

/// Builds policy `name` for the env described by `spec`; `config` overrides the policy's
/// options key by key (unknown keys are errors).
pub fn make(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    entry(name)?.build(spec, config)
}

/// A trained policy's contents, as a checkpoint stores them: the flat parameters, and the
/// buffers (non-trainable state such as an observation normaliser's mean and std) by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainedParameters {
    pub params: Vec<f32>,
    pub buffers: Vec<(String, Vec<f32>)>,
}

impl TrainedParameters {
    /// Puts the parameters and buffers into `policy` (built with the same architecture).
    pub fn apply(&self, policy: &mut dyn Policy) -> Result<(), PolicyError> {
        policy.set_parameters(&self.params)?;
        for (name, values) in &self.buffers {
            policy.set_buffer(name, values)?;
        }
        Ok(())
    }
}

/// Rebuilds a trained policy: policy `name` built from its `config` for `spec`, then given the
/// checkpoint's parameters and buffers (a length mismatch means another architecture: an error).
pub fn make_trained(name: &str, spec: &EnvSpec, config: Option<&toml::Table>, trained: &TrainedParameters) -> Result<Box<dyn Policy>, PolicyError> {
    let entry = entry(name)?;
    if !entry.has_parameters {
        return Err(PolicyError::NotParametric { policy: name.to_string() });
    }
    let mut policy = entry.build(spec, config)?;
    trained.apply(policy.as_mut())?;
    Ok(policy)
}

/// Reads policy `name`'s config from a table over its defaults, with the same error wording as
/// every other config ([`envs::config`]).
pub fn parse_config<T: serde::de::DeserializeOwned + Default>(name: &str, config: Option<&toml::Table>) -> Result<T, PolicyError> {
    envs::config::parse(name, config).map_err(|e| PolicyError::Config { controller: name.to_string(), message: e.message })
}

/// NCAP's options for policy name `name` (a variant name sets its option) and a config table.
pub fn ncap_config(name: &str, config: Option<&toml::Table>) -> Result<NcapConfig, PolicyError> {
    let mut cfg: NcapConfig = parse_config(name, config)?;
    match name {
        "ncap-unshared" => cfg.shared = false,
        "ncap-unconstrained" => cfg.sign_constrained = false,
        "ncap-random-init" => cfg.init = NcapInit::Random,
        _ => {}
    }
    Ok(cfg)
}

/// The spiking controller's options for policy name `name` (`snn-pd` has no integral network).
pub fn snn_config(name: &str, config: Option<&toml::Table>) -> Result<SnnConfig, PolicyError> {
    let mut cfg: SnnConfig = parse_config(name, config)?;
    if name == "snn-pd" {
        fixed_at_zero(name, config, "i_neurons", "snn")?;
        cfg.i_neurons = 0;
    }
    Ok(cfg)
}

/// A swimmer's hinge count and range (rad), which NCAP needs; an error for any other env.
pub fn ncap_dimensions(name: &str, spec: &EnvSpec) -> Result<(usize, f32), PolicyError> {
    match (spec.attr("n_links"), spec.attr("joint_range")) {
        (Some(n_links), Some(range)) => Ok((n_links as usize - 1, range as f32)),
        _ => Err(PolicyError::Incompatible {
            controller: name.into(),
            env: spec.id.clone(),
            reason: "NCAP drives a swimmer (Swimmer{N}-v0): the env has no `n_links`/`joint_range`".into(),
        }),
    }
}

/// Variant `name` fixes option `key` at zero: an error if `config` sets it, naming `full`, the
/// policy where it can be set.
fn fixed_at_zero(name: &str, config: Option<&toml::Table>, key: &str, full: &str) -> Result<(), PolicyError> {
    if config.is_some_and(|c| c.contains_key(key)) {
        return Err(PolicyError::Config { controller: name.into(), message: format!("`{key}` is fixed at 0 for `{name}`; use `{full}` to set it") });
    }
    Ok(())
}

fn no_config(name: &str, config: Option<&toml::Table>) -> Result<(), PolicyError> {
    match config {
        Some(c) if !c.is_empty() => Err(PolicyError::Config {
            controller: name.into(),
            message: format!("takes no options, got: {}", c.keys().cloned().collect::<Vec<_>>().join(", ")),
        }),
        _ => Ok(()),
    }
}

/// The env's action box, or an error for a discrete action space: every policy but the
/// open-loop ones, the random one and the MLP computes continuous actions.
fn continuous<'a>(name: &str, spec: &'a EnvSpec) -> Result<&'a envs::BoxSpace, PolicyError> {
    match &spec.action_space {
        Space::Box(b) => Ok(b),
        Space::Discrete { .. } => Err(PolicyError::Incompatible { controller: name.into(), env: spec.id.clone(), reason: "it has a discrete action space".into() }),
    }
}

fn build_ncap(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    continuous(name, spec)?;
    let (n_joints, range) = ncap_dimensions(name, spec)?;
    Ok(Box::new(Ncap::new(n_joints, range, ncap_config(name, config)?)?))
}

fn build_mlp(_name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    Ok(Box::new(MlpPolicy::new(spec, &MlpConfig::parse(config)?)?))
}

fn build_linear(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    Ok(Box::new(LinearPolicy::new(spec, &parse_config::<LinearConfig>(name, config)?)?))
}

fn build_pid(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    continuous(name, spec)?;
    let mut cfg: PidControllerConfig = parse_config(name, config)?;
    if name == "pd" {
        fixed_at_zero(name, config, "ki", "pid")?;
        cfg.ki = 0.0;
    }
    Ok(Box::new(PidController::new(name, spec, &cfg)?))
}

fn build_cascaded_pi(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    continuous(name, spec)?;
    match SpeedCascade::new(spec, &parse_config(name, config)?)? {
        SpeedCascade::Dc(c) => Ok(Box::new(c)),
        SpeedCascade::Pmsm(c) => Ok(Box::new(c)),
    }
}

fn build_snn(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    continuous(name, spec)?;
    if SpeedCascade::is_motor(spec) {
        return Ok(Box::new(SpikingCascade::new(name, spec, snn_config(name, config)?)?));
    }
    Ok(Box::new(SnnController::new(name, spec, snn_config(name, config)?)?))
}

fn build_travelling_wave(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    continuous(name, spec)?;
    let cfg: TravellingWaveConfig = parse_config(name, config)?;
    Ok(Box::new(TravellingWave::new(cfg, spec.dt as f32)?))
}

fn build_constant(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    Ok(Box::new(Constant::new(parse_config::<ConstantConfig>(name, config)?, spec)?))
}

fn build_replay(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    Ok(Box::new(Replay::new(parse_config::<ReplayConfig>(name, config)?, spec)?))
}

fn build_random(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    no_config(name, config)?;
    match &spec.action_space {
        Space::Discrete { n } => Ok(Box::new(UniformRandom::discrete(*n))),
        Space::Box(b) if b.is_bounded() => Ok(Box::new(UniformRandom::new(b.low.clone(), b.high.clone()))),
        Space::Box(_) => Err(PolicyError::Incompatible { controller: name.into(), env: spec.id.clone(), reason: "its action space is unbounded".into() }),
    }
}

fn build_zero(name: &str, _spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    no_config(name, config)?;
    Ok(Box::new(Zero))
}
