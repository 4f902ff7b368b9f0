//! Electric-drive control tasks, gym-electric-motor's (GEM 3.0) environments on nerve's drives:
//! `{DcPermEx|DcExtEx|DcSeries|DcShunt|Pmsm}{Speed|Torque|Current}[Finite]-v0`, e.g.
//! `DcPermExSpeed-v0` ≙ GEM's `Cont-SC-PermExDc-v0`, `PmsmCurrentFinite-v0` ≙ `Finite-CC-PMSM-v0`
//! ([`gem_id`]).
//!
//! | | |
//! |---|---|
//! | Body | [`bodies::motor::drive`]: GEM's motor, converter (4-quadrant for DC, two for the externally excited motor; B6 bridge for the PMSM), ideal supply and load, with GEM's per-env defaults (supply voltage, load, τ = 1e-4 s continuous, 1e-5 s finite) |
//! | Action | continuous: `Box(−1, 1, (n,))` duty cycles (n = 1 DC, 2 externally excited, 3 PMSM phases), clipped to the box; the PMSM with `control_space = "dq"`: `Box(−1, 1, (2,))` in the rotor frame, turned into the phases' duty cycles by the step's starting electrical angle (GEM's `control_space="dq"`: exact for this drive, which holds the dq voltage over the step) and clipped per phase as GEM's converter does (so it is linear for `|a_dq| ≤ 1`, in units of `u_sup/2`; no zero-sequence injection); finite: `Discrete(k)` switching states (4 for a 4QC, 16 = 4·s₁ + s₂ for the externally excited motor's two, 8 for the B6), passed as one number; a state that does not exist is an error |
//! | Observation | GEM's full state divided by its limits, in GEM's order (`observation_names`: DC permanently excited `omega, torque, i, u, u_sup`; PMSM `omega, torque, i_a, i_b, i_c, i_sd, i_sq, u_a, u_b, u_c, u_sd, u_sq, epsilon, u_sup`), then the normalised reference(s) for the next step |
//! | Reward | GEM's weighted sum of errors `−Σ w_i (|s_i − s*_i| / l_i)^n` (l_i = 2 for states in [−1, 1], 1 for [0, 1]; n = `reward_power`), against the reference shown in the previous observation; on a limit violation `violation_reward` instead: GEM's `−Σ w_i / (1 − γ)` (γ = `gamma` = 0.9) by default, `"time_limit"` for `−Σ w_i` times the steps left to the time limit (what the rest of the episode could at worst have cost, so that crashing never pays under undiscounted return), or a number |
//! | Termination | a limit violation: a DC current beyond its limit (GEM's `LimitConstraint`), the PMSM's `(i_sd² + i_sq²)/i_lim² > 1` (`SquaredConstraint`) |
//! | Truncation | after `max_episode_steps` (GEM has no time limit; 10 000 steps = 1 s continuous here) |
//! | Reset | from rest: ω = 0 (or the constant-speed load's ω), currents 0; a new reference |
//! | Reference | on the controlled state (speed ω, torque, or the current(s)), within ±nominal/limit (from 0 where the state cannot go negative): GEM's Wiener process by default (σ drawn log-uniformly per sub-episode of 500–2000 steps), or any of GEM's other generators ([`crate::tasks::motor_reference`]: sinusoidal, triangular, sawtooth, step, constant, switched) |
//! | Info | `rmse`: the episode's root-mean-square tracking error so far, in the referenced state's SI unit (rad/s, N·m or A; the vector error for two references); `input_power` (W) for DC drives |
//!
//! `physical_state` gives the same states in SI units under GEM's names, for traces.

use bodies::motor::converter::{Converter, ConverterAction, ConverterKind};
use bodies::motor::dc::{DcKind, DcMotorParams, DcRatings};
use bodies::motor::drive::{DcDrive, DcDriveParams, PmsmDrive, PmsmDriveParams};
use bodies::motor::load::Load;
use bodies::motor::pmsm::PmsmParams;
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::env::{check_action, check_observation, Env, EnvError, EnvSpec, Info, Step};
use crate::metric::EpisodeMetric;
use crate::registry::{EnvEntry, Registry};
use crate::signal::Signal;
use crate::time_limit::TimeLimit;
pub use crate::tasks::motor_reference::{MotorReference, ReferenceProcess};
use crate::render::RenderState;
use crate::space::{BoxSpace, Space};

/// The motor of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Motor {
    Dc(DcKind),
    Pmsm,
}

/// What is controlled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Speed,
    Torque,
    Current,
}

/// Registers every motor task ([`ids`]).
pub fn register(r: &mut Registry) {
    for (id, gem) in ids() {
        let (m, t, finite) = parse_id(&id).expect("ids() gives motor ids");
        r.add(EnvEntry::new(id, "motor", format!("gym-electric-motor's {gem}"), MotorConfig::gem(m, t, finite), build));
    }
}

fn build(id: &str, config: MotorConfig) -> Result<Box<dyn Env>, EnvError> {
    let max_steps = config.max_episode_steps;
    Ok(Box::new(TimeLimit::new(MotorEnv::new(id, config)?, max_steps)))
}

/// The drive's state as signals, in GEM's order and SI units, each within its limits.
fn signals(names: &[&str], limits: &[f64], lows: &[f64]) -> Vec<Signal> {
    names
        .iter()
        .zip(limits.iter().zip(lows))
        .map(|(&name, (&limit, &low))| Signal::new(name, signal_unit(name)).with_limits(low * limit, limit))
        .collect()
}

/// The SI unit of the drive's state entry `name`.
fn signal_unit(name: &str) -> &'static str {
    match name {
        "omega" => "rad/s",
        "torque" => "N·m",
        "epsilon" => "rad",
        n if n.starts_with('i') => "A",
        _ => "V",
    }
}

/// Every motor task id, with the GEM id it reproduces.
pub fn ids() -> Vec<(String, String)> {
    let motors = [("DcPermEx", "PermExDc"), ("DcExtEx", "ExtExDc"), ("DcSeries", "SeriesDc"), ("DcShunt", "ShuntDc"), ("Pmsm", "PMSM")];
    let tasks = [("Speed", "SC"), ("Torque", "TC"), ("Current", "CC")];
    let mut out = Vec::new();
    for (m, gm) in motors {
        for (t, gt) in tasks {
            out.push((format!("{m}{t}-v0"), format!("Cont-{gt}-{gm}-v0")));
            out.push((format!("{m}{t}Finite-v0"), format!("Finite-{gt}-{gm}-v0")));
        }
    }
    out
}

/// GEM's id for a nerve motor id.
pub fn gem_id(id: &str) -> Option<String> {
    ids().into_iter().find(|(n, _)| n == id).map(|(_, g)| g)
}

/// `(motor, task, finite)` of a motor id.
pub fn parse_id(id: &str) -> Option<(Motor, Task, bool)> {
    let rest = id.strip_suffix("-v0")?;
    let (rest, finite) = match rest.strip_suffix("Finite") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let (motor, task) = [("DcPermEx", Motor::Dc(DcKind::PermanentlyExcited)), ("DcExtEx", Motor::Dc(DcKind::ExternallyExcited)), ("DcSeries", Motor::Dc(DcKind::Series)), ("DcShunt", Motor::Dc(DcKind::Shunt)), ("Pmsm", Motor::Pmsm)]
        .into_iter()
        .find_map(|(prefix, m)| rest.strip_prefix(prefix).map(|t| (m, t)))?;
    let task = match task {
        "Speed" => Task::Speed,
        "Torque" => Task::Torque,
        "Current" => Task::Current,
        _ => return None,
    };
    Some((motor, task, finite))
}

/// Configuration of a motor task (every key optional; unknown keys are errors). Defaults are
/// GEM's for the id ([`MotorConfig::gem`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MotorConfig {
    /// DC motor parameters (ignored for the PMSM) or PMSM parameters (ignored for DC).
    pub dc_motor: DcMotorParams,
    pub pmsm_motor: PmsmParams,
    pub load: Load,
    /// Supply voltage (V).
    pub u_sup: f64,
    /// Control period (s).
    pub tau: f64,
    /// Converter dead time (s).
    pub interlocking_time: f64,
    pub reference: MotorReference,
    /// Reward weight per referenced state (GEM's `reward_weights`; equal split by default).
    pub reward_power: f64,
    pub gamma: f64,
    /// The reward of a step that violates a limit (and ends the episode).
    pub violation_reward: ViolationReward,
    /// The PMSM's continuous action space: `"abc"` (GEM's default, three phase duty cycles) or
    /// `"dq"` (two, in the rotor frame).
    pub control_space: ControlSpace,
    pub max_episode_steps: usize,
}

/// The reward of a limit violation: in TOML a number, `"gem"` or `"time_limit"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ViolationReward {
    /// A fixed reward (GEM's `violation_reward` argument).
    Value(f64),
    /// `"gem"` (GEM's default `−Σw/(1 − γ)`) or `"time_limit"`.
    Rule(ViolationRule),
}

impl<'de> Deserialize<'de> for ViolationReward {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ViolationReward;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`violation_reward`: a number, \"gem\" or \"time_limit\"")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ViolationReward, E> {
                Ok(ViolationReward::Value(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ViolationReward, E> {
                Ok(ViolationReward::Value(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ViolationReward, E> {
                Ok(ViolationReward::Value(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ViolationReward, E> {
                match v {
                    "gem" => Ok(ViolationReward::Rule(ViolationRule::Gem)),
                    "time_limit" => Ok(ViolationReward::Rule(ViolationRule::TimeLimit)),
                    other => Err(E::custom(format!("`violation_reward` = \"{other}\": expected a number, \"gem\" or \"time_limit\""))),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The frame of a three-phase drive's continuous actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlSpace {
    #[default]
    Abc,
    Dq,
}

/// How the violation reward follows from the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationRule {
    /// `−Σw/(1 − γ)`: the discounted worst case of an endless episode (GEM).
    Gem,
    /// `−Σw` for this and every step left until `max_episode_steps`: the undiscounted worst case.
    TimeLimit,
}

impl MotorConfig {
    /// GEM's defaults for `(motor, task, finite)` (`envs/gym_dcm`, `envs/gym_pmsm`).
    pub fn gem(motor: Motor, task: Task, finite: bool) -> Self {
        let kind = match motor {
            Motor::Dc(k) => k,
            Motor::Pmsm => DcKind::PermanentlyExcited,
        };
        let speed_load = match (motor, finite) {
            (Motor::Dc(DcKind::PermanentlyExcited), false) => Load::Polynomial { a: 0.0, b: 0.0, c: 0.0, j_load: 1e-4 },
            (Motor::Dc(DcKind::PermanentlyExcited), true) => Load::Polynomial { a: 0.0, b: 0.0, c: 0.0, j_load: 1e-3 },
            (Motor::Dc(DcKind::ExternallyExcited), _) => Load::Polynomial { a: 0.0, b: 0.0, c: 0.0, j_load: 1e-4 },
            (Motor::Dc(DcKind::Series), false) => Load::Polynomial { a: 0.01, b: 0.05, c: 0.0, j_load: 1e-4 },
            (Motor::Dc(DcKind::Series), true) => Load::Polynomial { a: 0.15, b: 0.05, c: 0.0, j_load: 1e-4 },
            (Motor::Dc(DcKind::Shunt), _) => Load::Polynomial { a: 0.05, b: 0.01, c: 0.0, j_load: 1e-4 },
            (Motor::Pmsm, _) => Load::Polynomial { a: 0.01, b: 0.01, c: 0.0, j_load: 1e-5 },
        };
        let load = match (task, motor) {
            (Task::Speed, _) => speed_load,
            (Task::Torque, Motor::Dc(DcKind::Shunt)) if !finite => Load::ConstantSpeed { omega: 230.0 },
            _ => Load::ConstantSpeed { omega: 100.0 },
        };
        let u_sup = match (motor, task, finite) {
            (Motor::Dc(DcKind::Series), Task::Torque | Task::Current, true) => 420.0,
            (Motor::Dc(_), _, _) => 60.0,
            (Motor::Pmsm, Task::Current, false) => 300.0,
            (Motor::Pmsm, _, _) => 420.0,
        };
        let sigma_range = match (motor, task, finite) {
            (Motor::Dc(DcKind::PermanentlyExcited), Task::Speed, false) => [1e-3, 5e-2],
            (Motor::Dc(DcKind::Series), Task::Speed, false) => [1e-3, 2e-2],
            (Motor::Dc(DcKind::Shunt), Task::Speed, false) => [1e-3, 3e-2],
            (Motor::Dc(DcKind::ExternallyExcited), Task::Speed, _) | (Motor::Pmsm, _, _) => [1e-3, 1e-1],
            (Motor::Dc(_), Task::Speed, true) => [1e-3, 5e-3],
            (Motor::Dc(_), _, _) => [1e-2, 1e-1],
        };
        Self {
            dc_motor: DcMotorParams::gem(kind),
            pmsm_motor: PmsmParams::default(),
            load,
            u_sup,
            tau: if finite { 1e-5 } else { 1e-4 },
            interlocking_time: 0.0,
            reference: MotorReference::Wiener { sigma_range, episode_lengths: [500, 2000] },
            reward_power: 1.0,
            gamma: 0.9,
            violation_reward: ViolationReward::Rule(ViolationRule::Gem),
            control_space: ControlSpace::Abc,
            max_episode_steps: 10_000,
        }
    }
}

/// Facts a model-based controller (the cascaded PI) needs, as spec attributes (SI): the DC kind
/// (0 externally excited, 1 series, 2 shunt, 3 permanently excited), the motor's parameters, the
/// total inertia, τ, the supply, and each state's limit and nominal value (`limit_omega`,
/// `nominal_i`, ...).
fn motor_attrs(motor: Motor, config: &MotorConfig, names: &[&'static str], limits: &[f64], nominal: &[f64]) -> Vec<(&'static str, f64)> {
    let mut attrs = vec![("tau", config.tau), ("u_sup", config.u_sup)];
    match motor {
        Motor::Dc(kind) => {
            let p = &config.dc_motor;
            let code = match kind {
                DcKind::ExternallyExcited => 0.0,
                DcKind::Series => 1.0,
                DcKind::Shunt => 2.0,
                DcKind::PermanentlyExcited => 3.0,
            };
            attrs.extend([("dc_kind", code), ("r_a", p.r_a), ("l_a", p.l_a), ("r_e", p.r_e), ("l_e", p.l_e), ("l_e_prime", p.l_e_prime), ("psi_e", p.psi_e)]);
            attrs.push(("j_total", p.j_rotor + config.load.inertia()));
        }
        Motor::Pmsm => {
            let p = &config.pmsm_motor;
            attrs.extend([("p", p.p), ("l_d", p.l_d), ("l_q", p.l_q), ("r_s", p.r_s), ("psi_p", p.psi_p), ("j_total", p.j_rotor + config.load.inertia())]);
        }
    }
    const LIMIT: [(&str, &str); 6] = [("omega", "limit_omega"), ("torque", "limit_torque"), ("i", "limit_i"), ("i_a", "limit_i"), ("i_sd", "limit_i"), ("u", "limit_u")];
    const NOMINAL: [(&str, &str); 5] = [("omega", "nominal_omega"), ("torque", "nominal_torque"), ("i", "nominal_i"), ("i_a", "nominal_i"), ("i_sd", "nominal_i")];
    for (state, key) in LIMIT {
        if let Some(k) = names.iter().position(|n| *n == state) {
            if !attrs.iter().any(|(a, _)| *a == key) {
                attrs.push((key, limits[k]));
            }
        }
    }
    for (state, key) in NOMINAL {
        if let Some(k) = names.iter().position(|n| *n == state) {
            if !attrs.iter().any(|(a, _)| *a == key) {
                attrs.push((key, nominal[k]));
            }
        }
    }
    if let Some(k) = names.iter().position(|n| *n == "u_a" || *n == "u_sd") {
        attrs.push(("limit_u", limits[k]));
    }
    attrs
}

#[derive(Clone, Serialize, Deserialize)]
enum Drive {
    Dc(DcDrive),
    Pmsm(PmsmDrive),
}

/// [`MotorEnv`]'s snapshot: the drive, the reference processes and the random stream.
#[derive(Serialize, Deserialize)]
struct MotorSnapshot {
    config: MotorConfig,
    drive: Drive,
    reference: Vec<ReferenceProcess>,
    rng: Xoshiro256PlusPlus,
    tracking: Tracking,
}

/// The episode's step count and its sum of squared tracking errors (SI units²).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Tracking {
    steps: usize,
    squared_error: f64,
}

/// A motor control task (without the time limit, which the registry adds).
pub struct MotorEnv {
    spec: EnvSpec,
    config: MotorConfig,
    motor: Motor,
    task: Task,
    drive: Drive,
    /// State names, limits and lower bounds of the normalised state space (−1 or 0).
    names: Vec<&'static str>,
    limits: Vec<f64>,
    lows: Vec<f64>,
    /// Indices of the referenced states, their weights, their reference bounds (normalised).
    referenced: Vec<usize>,
    weights: Vec<f64>,
    bounds: Vec<[f64; 2]>,
    /// Reference processes (their values are shown in the latest observation).
    reference: Vec<ReferenceProcess>,
    state: Vec<f64>,
    rng: Xoshiro256PlusPlus,
    action: Vec<f32>,
    tracking: Tracking,
}

impl MotorEnv {
    pub fn new(id: &str, config: MotorConfig) -> Result<Self, EnvError> {
        let cfg_err = |message: String| EnvError::Config { env: id.to_string(), message };
        let (motor, task, finite) = parse_id(id).ok_or_else(|| cfg_err("not a motor task id".into()))?;
        if config.control_space == ControlSpace::Dq && !(motor == Motor::Pmsm && !finite) {
            return Err(cfg_err("`control_space` = \"dq\": only the PMSM's continuous tasks have a dq action space".into()));
        }
        if let ViolationReward::Value(v) = config.violation_reward {
            if !v.is_finite() {
                return Err(cfg_err(format!("`violation_reward` = {v}: expected a finite number, \"gem\" or \"time_limit\"")));
            }
        }
        if !(config.gamma > 0.0 && config.gamma < 1.0 && config.reward_power > 0.0 && config.reward_power.is_finite() && config.max_episode_steps > 0) {
            return Err(cfg_err(format!(
                "`gamma` = {}, `reward_power` = {}, `max_episode_steps` = {}: expected γ in (0, 1), a power > 0 and at least 1 step",
                config.gamma, config.reward_power, config.max_episode_steps
            )));
        }
        config.reference.validate().map_err(cfg_err)?;
        let converter = |k| Converter { kind: k, finite, interlocking_time: config.interlocking_time };
        let (drive, names, limits, lows, nominal): (Drive, Vec<&'static str>, Vec<f64>, Vec<f64>, Vec<f64>) = match motor {
            Motor::Dc(k) => {
                let params = DcDriveParams {
                    kind: k,
                    motor: config.dc_motor,
                    nominal: DcRatings::GEM_NOMINAL,
                    limits: DcRatings::GEM_LIMITS,
                    load: config.load,
                    converter: converter(ConverterKind::FourQuadrant),
                    u_sup: config.u_sup,
                    tau: config.tau,
                    substeps: 1,
                };
                let drive = DcDrive::new(params).map_err(|e| cfg_err(e.to_string()))?;
                let (l, n) = (DcRatings::GEM_LIMITS, DcRatings::GEM_NOMINAL);
                let mut names = vec!["omega", "torque"];
                names.extend(k.currents());
                names.extend(k.voltages());
                names.push("u_sup");
                let nc = k.currents().len();
                let nv = k.voltages().len();
                let mut limits = vec![l.omega, l.torque];
                limits.extend(std::iter::repeat_n(l.i, nc));
                limits.extend(std::iter::repeat_n(l.u, nv));
                limits.push(config.u_sup);
                let mut nominal = vec![n.omega, n.torque];
                nominal.extend(std::iter::repeat_n(n.i, nc));
                nominal.extend(std::iter::repeat_n(n.u, nv));
                nominal.push(config.u_sup);
                // A 4QC gives voltages and currents of both signs; the series and shunt motors'
                // speed (and the series motor's torque) stay ≥ 0 in GEM's state space.
                let mut lows = vec![-1.0; names.len()];
                if matches!(k, DcKind::Series | DcKind::Shunt) {
                    lows[0] = 0.0;
                }
                if k == DcKind::Series {
                    lows[1] = 0.0;
                }
                let last = lows.len() - 1;
                lows[last] = 0.0;
                (Drive::Dc(drive), names, limits, lows, nominal)
            }
            Motor::Pmsm => {
                let params = PmsmDriveParams {
                    motor: config.pmsm_motor,
                    load: config.load,
                    converter: converter(ConverterKind::B6Bridge),
                    u_sup: config.u_sup,
                    tau: config.tau,
                    ..PmsmDriveParams::gem(converter(ConverterKind::B6Bridge))
                };
                let params = PmsmDriveParams {
                    limits: bodies::motor::pmsm::PmsmRatings::gem_limits(&params.motor),
                    nominal: bodies::motor::pmsm::PmsmRatings::gem_nominal(&params.motor),
                    ..params
                };
                let drive = PmsmDrive::new(params).map_err(|e| cfg_err(e.to_string()))?;
                let names = vec!["omega", "torque", "i_a", "i_b", "i_c", "i_sd", "i_sq", "u_a", "u_b", "u_c", "u_sd", "u_sq", "epsilon", "u_sup"];
                let (l, n) = (params.limits, params.nominal);
                let limits = vec![l.omega, l.torque, l.i, l.i, l.i, l.i, l.i, l.u, l.u, l.u, l.u, l.u, std::f64::consts::PI, config.u_sup];
                let nominal = vec![n.omega, n.torque, n.i, n.i, n.i, n.i, n.i, n.u, n.u, n.u, n.u, n.u, std::f64::consts::PI, config.u_sup];
                let mut lows = vec![-1.0; names.len()];
                lows[13] = 0.0;
                (Drive::Pmsm(drive), names, limits, lows, nominal)
            }
        };
        let index = |n: &str| names.iter().position(|x| *x == n).unwrap_or(0);
        let referenced: Vec<usize> = match (task, motor) {
            (Task::Speed, _) => vec![index("omega")],
            (Task::Torque, _) => vec![index("torque")],
            (Task::Current, Motor::Pmsm) => vec![index("i_sd"), index("i_sq")],
            (Task::Current, Motor::Dc(DcKind::ExternallyExcited)) => vec![index("i_a"), index("i_e")],
            (Task::Current, Motor::Dc(DcKind::Shunt)) => vec![index("i_a")],
            (Task::Current, Motor::Dc(_)) => vec![index("i")],
        };
        let weights = vec![1.0 / referenced.len() as f64; referenced.len()];
        let bounds = referenced.iter().map(|&i| [lows[i] * nominal[i] / limits[i], nominal[i] / limits[i]]).collect();
        let (act_space, act_dim) = match (motor, finite) {
            (Motor::Dc(DcKind::ExternallyExcited), false) => (Space::Box(BoxSpace::uniform(2, -1.0, 1.0)), 2),
            (Motor::Dc(DcKind::ExternallyExcited), true) => (Space::Discrete { n: 16 }, 1),
            (Motor::Dc(_), false) => (Space::Box(BoxSpace::uniform(1, -1.0, 1.0)), 1),
            (Motor::Dc(_), true) => (Space::Discrete { n: 4 }, 1),
            (Motor::Pmsm, false) if config.control_space == ControlSpace::Dq => (Space::Box(BoxSpace::uniform(2, -1.0, 1.0)), 2),
            (Motor::Pmsm, false) => (Space::Box(BoxSpace::uniform(3, -1.0, 1.0)), 3),
            (Motor::Pmsm, true) => (Space::Discrete { n: 8 }, 1),
        };
        let mut observation_names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        observation_names.extend(referenced.iter().map(|&i| format!("{}_ref", names[i])));
        let obs_dim = observation_names.len();
        let spec = EnvSpec {
            id: id.to_string(),
            observation_space: Space::Box(BoxSpace::uniform(obs_dim, f32::NEG_INFINITY, f32::INFINITY)),
            action_space: act_space,
            dt: config.tau,
            max_episode_steps: Some(config.max_episode_steps),
            attrs: motor_attrs(motor, &config, &names, &limits, &nominal),
            observation_names,
            signals: signals(&names, &limits, &lows),
            // The RMSE of the tracked quantity (the first referenced one when several are).
            episode_metrics: vec![EpisodeMetric::lower("rmse", signal_unit(names[referenced[0]]))],
            goal: None,
        };
        let n_ref = referenced.len();
        Ok(Self {
            spec,
            motor,
            task,
            drive,
            state: vec![0.0; names.len()],
            names,
            limits,
            lows,
            referenced,
            weights,
            bounds,
            reference: vec![ReferenceProcess::default(); n_ref],
            rng: Xoshiro256PlusPlus::seed_from_u64(0),
            action: Vec::with_capacity(act_dim),
            tracking: Tracking::default(),
            config,
        })
    }

    pub fn motor(&self) -> Motor {
        self.motor
    }

    pub fn task(&self) -> Task {
        self.task
    }

    /// The physical state (SI) in GEM's order, into `self.state`.
    fn read_state(&mut self) {
        let s = &mut self.state;
        match &self.drive {
            Drive::Dc(d) => {
                let k = d.params().kind;
                let (nc, nv) = (k.currents().len(), k.voltages().len());
                s[0] = d.omega();
                s[1] = d.torque();
                s[2..2 + nc].copy_from_slice(&d.currents()[..nc]);
                s[2 + nc..2 + nc + nv].copy_from_slice(&d.voltages()[..nv]);
                s[2 + nc + nv] = d.params().u_sup;
            }
            Drive::Pmsm(d) => {
                let (i_abc, i_dq, u_abc, u_dq) = (d.i_abc(), d.i_dq(), d.u_abc(), d.u_dq());
                s[0] = d.omega();
                s[1] = d.torque();
                s[2..5].copy_from_slice(&i_abc);
                s[5..7].copy_from_slice(&i_dq);
                s[7..10].copy_from_slice(&u_abc);
                s[10..12].copy_from_slice(&u_dq);
                s[12] = d.epsilon();
                s[13] = d.params().u_sup;
            }
        }
    }

    fn observe(&self, obs: &mut [f32]) {
        let n = self.state.len();
        for i in 0..n {
            obs[i] = (self.state[i] / self.limits[i]) as f32;
        }
        for (j, r) in self.reference.iter().enumerate() {
            obs[n + j] = r.value as f32;
        }
    }

    /// The next reference value(s).
    fn advance_reference(&mut self) {
        for (r, bounds) in self.reference.iter_mut().zip(&self.bounds) {
            r.advance(&self.config.reference, *bounds, self.config.tau, &mut self.rng);
        }
    }

    /// GEM's constraint: the violation degree (0 or 1).
    fn violation(&self) -> bool {
        match self.motor {
            Motor::Dc(k) => k.currents().iter().any(|c| {
                let i = self.names.iter().position(|n| n == c).unwrap_or(2);
                (self.state[i] / self.limits[i]).abs() > 1.0
            }),
            Motor::Pmsm => {
                let (d, q) = (self.state[5] / self.limits[5], self.state[6] / self.limits[6]);
                d * d + q * q > 1.0
            }
        }
    }
}

impl Env for MotorEnv {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        check_observation(&self.spec, obs)?;
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
        match &mut self.drive {
            Drive::Dc(d) => d.reset(0.0, [0.0; 2]),
            Drive::Pmsm(d) => d.reset(0.0, [0.0; 2], 0.0),
        }
        for (r, bounds) in self.reference.iter_mut().zip(&self.bounds) {
            r.reset(&self.config.reference, *bounds, &mut self.rng);
        }
        self.read_state();
        self.observe(obs);
        self.tracking = Tracking::default();
        info.clear();
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        check_observation(&self.spec, obs)?;
        let result = if let Space::Discrete { n } = self.spec.action_space {
            if action.len() != 1 {
                return Err(EnvError::ActionLength { env: self.spec.id.clone(), expected: 1, got: action.len() });
            }
            let a = action[0];
            if !(a.is_finite() && a >= 0.0 && a.fract() == 0.0 && (a as usize) < n) {
                return Err(EnvError::Config { env: self.spec.id.clone(), message: format!("action {a}: expected a switching state in 0..{n}") });
            }
            let s = a as usize;
            match &mut self.drive {
                Drive::Dc(d) if d.channels() == 2 => d.step(&[ConverterAction::Switch(s / 4), ConverterAction::Switch(s % 4)]),
                Drive::Dc(d) => d.step(&[ConverterAction::Switch(s)]),
                Drive::Pmsm(d) => d.step(ConverterAction::Switch(s)),
            }
        } else {
            let mut scratch = std::mem::take(&mut self.action);
            let mut u = [0.0f64; 3];
            let clipped = check_action(&self.spec, action, &mut scratch)?;
            let n = clipped.len();
            for (o, &x) in u.iter_mut().zip(clipped) {
                *o = x as f64;
            }
            self.action = scratch;
            match &mut self.drive {
                Drive::Dc(d) => {
                    let actions = [ConverterAction::Duty(&u[0..1]), ConverterAction::Duty(&u[1..2])];
                    d.step(&actions[..n])
                }
                Drive::Pmsm(d) => {
                    if n == 2 {
                        // dq → abc by the angle at the step's start; the converter clips each phase.
                        let abc = bodies::motor::transforms::dq_to_abc([u[0], u[1]], d.epsilon());
                        u = abc.map(|x| x.clamp(-1.0, 1.0));
                    }
                    d.step(ConverterAction::Duty(&u))
                }
            }
        };
        // The env's id is cloned only on error: a step allocates nothing.
        result.map_err(|e| EnvError::Config { env: self.spec.id.clone(), message: format!("action: {e}") })?;
        self.read_state();
        // GEM's reward compares the new state with the reference of the previous observation.
        let mut reward = 0.0;
        self.tracking.steps += 1;
        for ((&i, w), r) in self.referenced.iter().zip(&self.weights).zip(&self.reference) {
            let l = 1.0 - self.lows[i];
            let error = self.state[i] / self.limits[i] - r.value;
            reward -= w * (error.abs() / l).powf(self.config.reward_power);
            self.tracking.squared_error += (error * self.limits[i]).powi(2);
        }
        let violated = self.violation();
        if violated {
            let worst = self.weights.iter().sum::<f64>();
            reward = match self.config.violation_reward {
                ViolationReward::Value(v) => v,
                ViolationReward::Rule(ViolationRule::Gem) => -worst / (1.0 - self.config.gamma),
                ViolationReward::Rule(ViolationRule::TimeLimit) => -worst * (self.config.max_episode_steps + 1).saturating_sub(self.tracking.steps) as f64,
            };
        }
        self.advance_reference();
        self.observe(obs);
        info.clear();
        info.set("rmse", (self.tracking.squared_error / self.tracking.steps as f64).sqrt());
        if let Drive::Dc(d) = &self.drive {
            info.set("input_power", d.input_power());
        }
        Ok(Step { reward, terminated: violated, truncated: false })
    }

    fn render_state(&self) -> RenderState {
        RenderState::default()
    }

    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        out.clear();
        for (n, v) in self.names.iter().zip(&self.state) {
            out.push((n.to_string(), *v));
        }
    }

    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        Ok(crate::snapshot::encode(&MotorSnapshot {
            config: self.config.clone(),
            drive: self.drive.clone(),
            reference: self.reference.clone(),
            rng: self.rng.clone(),
            tracking: self.tracking,
        }))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let s: MotorSnapshot = crate::snapshot::decode(&self.spec.id, bytes)?;
        let same_drive = matches!((&s.drive, &self.drive), (Drive::Dc(_), Drive::Dc(_)) | (Drive::Pmsm(_), Drive::Pmsm(_)));
        if s.config != self.config || !same_drive || s.reference.len() != self.reference.len() {
            return Err(EnvError::Snapshot { env: self.spec.id.clone(), message: "taken from another motor task or config".into() });
        }
        self.drive = s.drive;
        self.reference = s.reference;
        self.rng = s.rng;
        self.tracking = s.tracking;
        self.read_state();
        Ok(())
    }
}
