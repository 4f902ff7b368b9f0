//! Controllers that are not learned by gradient RL: the NCAP circuit, an
//! open-loop travelling wave, and the zero and random baselines. All implement
//! [`Policy`]; [`make`] builds one by name for an env. [`pid`] is the discrete PID
//! the blimp's controllers (and the spiking networks that mimic it) build on.

pub mod baselines;
pub mod cascaded_pi;
pub mod foc;
pub mod lif;
pub mod ncap;
pub mod pid;
pub mod policy;
pub mod rollout;
pub mod snn;
pub mod speed_loop;
pub mod spiking_cascade;

pub use cascaded_pi::{CascadedPi, CascadedPiConfig};
pub use foc::FieldOrientedPi;
pub use baselines::{Constant, ConstantConfig, Replay, ReplayConfig, TravellingWave, TravellingWaveConfig, UniformRandom, Zero};
pub use ncap::{Ncap, NcapConfig, NcapInit};
pub use pid::{Pid, PidConfig, PidController, PidControllerConfig};
pub use policy::{check_parameters, observation_entry, Activity, ActivityKind, Policy, PolicyError, Work};
pub use rollout::{run_episode, run_episode_observed, Episode};
pub use snn::{SnnConfig, SnnController};
pub use speed_loop::SpeedLoop;
pub use spiking_cascade::{SpeedCascade, SpikingCascade};

use envs::{EnvSpec, Space};

/// A controller that [`make`] can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControllerEntry {
    pub name: &'static str,
    pub summary: &'static str,
}

/// Every controller [`make`] knows.
pub const CONTROLLERS: &[ControllerEntry] = &[
    ControllerEntry { name: "ncap", summary: "C. elegans swimming circuit, 4 shared sign-constrained weights at +1/−1 (swimmers)" },
    ControllerEntry { name: "ncap-unshared", summary: "NCAP with per-hinge weights (ablation)" },
    ControllerEntry { name: "ncap-unconstrained", summary: "NCAP without the excitatory/inhibitory sign constraints (ablation)" },
    ControllerEntry { name: "ncap-random-init", summary: "NCAP with random initial weights (ablation)" },
    ControllerEntry { name: "pid", summary: "discrete PID on a measurement and a reference (gains tuned for BlimpAltitude-v0)" },
    ControllerEntry { name: "pd", summary: "the PID without its integral (K_i = 0): what non-neutral buoyancy defeats" },
    ControllerEntry { name: "cascaded-pi", summary: "current and speed PI, symmetric optimum (a = 4), anti-windup: DC drives with EMF feed-forward (Dc…Speed-v0), the PMSM field-oriented with MTPA and decoupling (PmsmSpeed-v0)" },
    ControllerEntry { name: "snn", summary: "spiking PD-like + integral-like LIF networks, 160 neurons (train with --agent mimic-pid); on motor speed tasks the cascade's speed loop" },
    ControllerEntry { name: "snn-pd", summary: "the spiking PD-like network alone (no integral network)" },
    ControllerEntry { name: "travelling-wave", summary: "open-loop CPG u_i = A·sin(2πt/T − φ·i)" },
    ControllerEntry { name: "constant", summary: "holds a fixed action (`--action 0.02,0.05`): for checking a model against a datasheet or another simulator" },
    ControllerEntry { name: "replay", summary: "replays actions from a CSV file (`file = \"actions.csv\"`), open loop" },
    ControllerEntry { name: "random", summary: "uniform random actions in the action box (or switching states)" },
    ControllerEntry { name: "zero", summary: "all-zero actions" },
];

/// Builds controller `name` for the env described by `spec`; `config` overrides the
/// controller's options key by key (unknown keys are errors).
pub fn make(name: &str, spec: &EnvSpec, config: Option<&toml::Table>) -> Result<Box<dyn Policy>, PolicyError> {
    // Open-loop controllers that hold or replay given actions also drive discrete action spaces
    // (a switching state per step); every other controller computes continuous actions.
    let action_box = match &spec.action_space {
        Space::Box(b) => Some(b),
        Space::Discrete { .. } if matches!(name, "constant" | "replay" | "zero" | "random") => None,
        Space::Discrete { .. } => {
            return Err(PolicyError::Incompatible {
                controller: name.into(),
                env: spec.id.clone(),
                reason: "it has a discrete action space".into(),
            })
        }
    };
    match name {
        "zero" => {
            no_config(name, config)?;
            Ok(Box::new(Zero))
        }
        "random" => {
            no_config(name, config)?;
            if let Space::Discrete { n } = spec.action_space {
                return Ok(Box::new(UniformRandom::discrete(n)));
            }
            let Some(action_box) = action_box.filter(|b| b.is_bounded()) else {
                return Err(PolicyError::Incompatible {
                    controller: name.into(),
                    env: spec.id.clone(),
                    reason: "its action space is unbounded".into(),
                });
            };
            Ok(Box::new(UniformRandom::new(action_box.low.clone(), action_box.high.clone())))
        }
        "constant" => {
            let cfg: ConstantConfig = parse(name, config)?;
            Ok(Box::new(Constant::new(cfg, spec)?))
        }
        "replay" => {
            let cfg: ReplayConfig = parse(name, config)?;
            Ok(Box::new(Replay::new(cfg, spec)?))
        }
        "travelling-wave" => {
            let cfg: TravellingWaveConfig = parse(name, config)?;
            Ok(Box::new(TravellingWave::new(cfg, spec.dt as f32)?))
        }
        "pid" | "pd" => {
            let mut cfg: PidControllerConfig = parse(name, config)?;
            if name == "pd" {
                fixed_at_zero(name, config, "ki", "pid")?;
                cfg.ki = 0.0;
            }
            Ok(Box::new(PidController::new(name, spec, &cfg)?))
        }
        "cascaded-pi" => match SpeedCascade::new(spec, &parse(name, config)?)? {
            SpeedCascade::Dc(c) => Ok(Box::new(c)),
            SpeedCascade::Pmsm(c) => Ok(Box::new(c)),
        },
        "snn" | "snn-pd" if SpeedCascade::is_motor(spec) => Ok(Box::new(SpikingCascade::new(name, spec, snn_config(name, config)?)?)),
        "snn" | "snn-pd" => Ok(Box::new(SnnController::new(name, spec, snn_config(name, config)?)?)),
        "ncap" | "ncap-unshared" | "ncap-unconstrained" | "ncap-random-init" => {
            let (n_joints, range) = ncap_dimensions(name, spec)?;
            Ok(Box::new(Ncap::new(n_joints, range, ncap_config(name, config)?)?))
        }
        _ => Err(PolicyError::UnknownController {
            name: name.to_string(),
            valid: CONTROLLERS.iter().map(|c| c.name.to_string()).collect(),
        }),
    }
}

/// NCAP's options for controller name `name` (a variant name sets its option) and a config table.
pub fn ncap_config(name: &str, config: Option<&toml::Table>) -> Result<NcapConfig, PolicyError> {
    let mut cfg: NcapConfig = parse(name, config)?;
    match name {
        "ncap-unshared" => cfg.shared = false,
        "ncap-unconstrained" => cfg.sign_constrained = false,
        "ncap-random-init" => cfg.init = NcapInit::Random,
        _ => {}
    }
    Ok(cfg)
}

/// The spiking controller's options for controller name `name` (`snn-pd` has no integral network).
pub fn snn_config(name: &str, config: Option<&toml::Table>) -> Result<SnnConfig, PolicyError> {
    let mut cfg: SnnConfig = parse(name, config)?;
    if name == "snn-pd" {
        fixed_at_zero(name, config, "i_neurons", "snn")?;
        cfg.i_neurons = 0;
    }
    Ok(cfg)
}

/// Variant `name` fixes option `key` at zero: an error if `config` sets it, naming `full`, the
/// controller where it can be set.
fn fixed_at_zero(name: &str, config: Option<&toml::Table>, key: &str, full: &str) -> Result<(), PolicyError> {
    if config.is_some_and(|c| c.contains_key(key)) {
        return Err(PolicyError::Config { controller: name.into(), message: format!("`{key}` is fixed at 0 for `{name}`; use `{full}` to set it") });
    }
    Ok(())
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

fn no_config(name: &str, config: Option<&toml::Table>) -> Result<(), PolicyError> {
    match config {
        Some(c) if !c.is_empty() => Err(PolicyError::Config {
            controller: name.into(),
            message: format!("takes no options, got: {}", c.keys().cloned().collect::<Vec<_>>().join(", ")),
        }),
        _ => Ok(()),
    }
}

fn parse<T: serde::de::DeserializeOwned + Default>(name: &str, config: Option<&toml::Table>) -> Result<T, PolicyError> {
    match config {
        None => Ok(T::default()),
        Some(t) => toml::Value::Table(t.clone())
            .try_into()
            .map_err(|e: toml::de::Error| PolicyError::Config { controller: name.into(), message: e.message().to_string() }),
    }
}
