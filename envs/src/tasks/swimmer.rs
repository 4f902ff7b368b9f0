//! `Swimmer{N}-v0`: swim forward. dm_control's N-link swimmer in a viscous fluid
//! (the NCAP paper's task), on Rapier.
//!
//! | | |
//! |---|---|
//! | Body | [`bodies::swimmer::Swimmer`]: N links of 0.1 m, hinges of range ±2π/N, inertia-box drag at ρ = 3000 kg/m³ |
//! | Action | `Box(-1, 1, (N−1,))`: hinge motor commands head to tail, torque 5e-4 N·m × u. Out-of-range entries are clipped; NaN or infinite entries are an error. |
//! | Observation | `Box(-inf, inf, (N−1 + 3N,))`: the N−1 hinge angles (rad), then for each link, head first, the velocity of its centre of mass in its own frame `(v_x, v_y)` (m/s) and its angular velocity `ω_z` (rad/s) |
//! | Reward | `clip(v_fwd / desired_speed, 0, 1)` with `v_fwd` the head's forward velocity in the head frame (m/s) and `desired_speed` 0.1 m/s; an episode's return is ≤ 1000 |
//! | Termination | never (the task has no terminal state) |
//! | Truncation | after `max_episode_steps` (1000 steps = 30 s), or at once if the physics blows up: a non-finite state or a speed above 1000 m/s or rad/s (`info.truncation_reason` says which; the observation is zeroed) |
//! | Reset | head at the origin at rest, yaw ~ U[−π, π], each hinge angle ~ U(−range, range), all velocities zero |
//! | Step | 0.03 s of simulated time: forces updated every 15 ms (`substeps` = 2), dynamics integrated at 7.5 ms (`solver_substeps` = 2) |
//! | Info | `forward_velocity` (m/s); with `dc_motors`, `electrical_power` (W, mean over the step) and `electrical_energy` (J since reset) |
//! | Actuators | ideal torque sources (dm_control's), or DC motors (`[dc_motors]`: a coreless micro-motor per hinge by default, [`bodies::motor::actuator`]): the action is then each motor's duty cycle, the hinge's speed drives the back-EMF, and the rotor's inertia adds to the hinge |

use bodies::swimmer::{Swimmer, SwimmerParams, SwimmerState};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::env::{check_action, check_observation, Env, EnvError, EnvSpec, Info, Step};
use crate::metric::EpisodeMetric;
use crate::registry::{EnvEntry, Registry};
use crate::render::{RenderBody, RenderState, Shape};
use crate::signal::Signal;
use crate::snapshot;
use crate::space::{BoxSpace, Space};
use crate::time_limit::TimeLimit;

/// Range of N for which `Swimmer{N}-v0` is registered.
pub const SWIMMER_LINKS: std::ops::RangeInclusive<usize> = 3..=13;

/// Registers `Swimmer{N}-v0` for N in [`SWIMMER_LINKS`].
pub fn register(r: &mut Registry) {
    for n in SWIMMER_LINKS {
        let base = SwimmerConfig { n_links: n, ..SwimmerConfig::default() };
        let summary = format!("{n}-link swimmer in viscous fluid (dm_control), swim forward; {} hinges", n - 1);
        r.add(EnvEntry::new(format!("Swimmer{n}-v0"), "swimmer", summary, base, build));
    }
    r.hint(out_of_range);
}

fn build(id: &str, config: SwimmerConfig) -> Result<Box<dyn Env>, EnvError> {
    let from_id = id.strip_prefix("Swimmer").and_then(|r| r.strip_suffix("-v0")).and_then(|n| n.parse::<usize>().ok());
    if from_id != Some(config.n_links) {
        let says = from_id.map_or_else(|| "no N".to_string(), |n| n.to_string());
        return Err(EnvError::Config { env: id.to_string(), message: format!("`n_links` = {} contradicts the id, which says {says}", config.n_links) });
    }
    let max_steps = config.max_episode_steps;
    Ok(Box::new(TimeLimit::new(SwimmerEnv::new(config)?, max_steps)))
}

/// `Swimmer{N}-v0` with N outside [`SWIMMER_LINKS`]: an error naming the range.
fn out_of_range(id: &str) -> Option<EnvError> {
    let n: usize = id.strip_prefix("Swimmer")?.strip_suffix("-v0")?.parse().ok()?;
    Some(EnvError::Config {
        env: id.to_string(),
        message: format!(
            "N = {n} links is out of range: Swimmer{{N}}-v0 is registered for N in {}..={}",
            SWIMMER_LINKS.start(),
            SWIMMER_LINKS.end()
        ),
    })
}

/// Configuration of `Swimmer{N}-v0` (every key optional; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SwimmerConfig {
    /// Number of links N; set by the env id.
    pub n_links: usize,
    /// Control period (s).
    pub control_dt: f64,
    /// Physics steps per control period: drag, motor torques and the joint limits' activation
    /// are updated once per physics step.
    pub substeps: usize,
    /// Rapier substeps per physics step: the multibody dynamics and the soft limits' implicit
    /// springs and dampers are integrated at `control_dt / (substeps · solver_substeps)`.
    pub solver_substeps: usize,
    /// Speed (m/s) at which the per-step reward saturates at 1.
    pub desired_speed: f64,
    /// Steps per episode before truncation.
    pub max_episode_steps: usize,
    /// Enforce the hinge ranges (MuJoCo's soft limits); `false` is the ablation without them.
    pub joint_limits: bool,
    /// Fluid density (kg/m³).
    pub fluid_density: f64,
    /// DC motors at the hinges (a `[dc_motors]` table, every key optional) instead of ideal
    /// torque sources: the action is each motor's duty cycle, and `info` reports the electrical
    /// power and energy drawn.
    pub dc_motors: Option<bodies::motor::actuator::DcActuatorParams>,
}

impl Default for SwimmerConfig {
    fn default() -> Self {
        Self {
            n_links: 6,
            control_dt: 0.03,
            substeps: 2,
            solver_substeps: 2,
            desired_speed: 0.1,
            max_episode_steps: 1000,
            joint_limits: true,
            fluid_density: 3000.0,
            dc_motors: None,
        }
    }
}

impl SwimmerConfig {
    fn validate(&self) -> Result<SwimmerParams, String> {
        if self.substeps == 0 {
            return Err("`substeps` = 0: expected an integer ≥ 1".into());
        }
        if !(self.control_dt.is_finite() && self.control_dt > 0.0) {
            return Err(format!("`control_dt` = {}: expected a number of seconds > 0", self.control_dt));
        }
        if !(self.desired_speed.is_finite() && self.desired_speed > 0.0) {
            return Err(format!("`desired_speed` = {}: expected m/s > 0", self.desired_speed));
        }
        if self.max_episode_steps == 0 {
            return Err("`max_episode_steps` = 0: expected an integer ≥ 1".into());
        }
        let params = SwimmerParams {
            n_links: self.n_links,
            joint_limits: self.joint_limits,
            fluid_density: self.fluid_density,
            dc_motors: self.dc_motors,
            physics_dt: self.control_dt / self.substeps as f64,
            solver_substeps: self.solver_substeps,
            ..SwimmerParams::default()
        };
        params.validate().map_err(|e| e.to_string())?;
        Ok(params)
    }
}

/// What `physical_state` reports: the root's pose and velocity, each hinge's angle (within its
/// range) and speed, and the head's forward velocity.
fn signals(n: usize, range: f64) -> Vec<Signal> {
    let mut s = vec![
        Signal::new("root_x", "m"),
        Signal::new("root_y", "m"),
        Signal::new("root_yaw", "rad"),
        Signal::new("root_vx", "m/s"),
        Signal::new("root_vy", "m/s"),
        Signal::new("root_wz", "rad/s"),
    ];
    for j in 0..n - 1 {
        s.push(Signal::new(format!("joint_{j}_angle"), "rad").with_limits(-range, range));
        s.push(Signal::new(format!("joint_{j}_velocity"), "rad/s"));
    }
    s.push(Signal::new("head_forward_velocity", "m/s"));
    s
}

/// The swim-forward task on an N-link swimmer (without the time limit, which the registry adds).
pub struct SwimmerEnv {
    spec: EnvSpec,
    config: SwimmerConfig,
    body: Swimmer,
    rng: Xoshiro256PlusPlus,
    action: Vec<f32>,
    reset_state: SwimmerState,
}

impl SwimmerEnv {
    pub fn new(config: SwimmerConfig) -> Result<Self, EnvError> {
        let id = format!("Swimmer{}-v0", config.n_links);
        let params = config.validate().map_err(|message| EnvError::Config { env: id.clone(), message })?;
        let body = Swimmer::new(params).map_err(|e| EnvError::Config { env: id.clone(), message: e.to_string() })?;
        let n = config.n_links;
        let obs_dim = (n - 1) + 3 * n;
        let mut observation_names: Vec<String> = (0..n - 1).map(|j| format!("joint_{j}_angle")).collect();
        for i in 0..n {
            observation_names.extend(["vx", "vy", "wz"].map(|c| format!("link_{i}_{c}")));
        }
        let spec = EnvSpec {
            id,
            observation_space: Space::Box(BoxSpace::uniform(obs_dim, f32::NEG_INFINITY, f32::INFINITY)),
            action_space: Space::Box(BoxSpace::uniform(n - 1, -1.0, 1.0)),
            dt: config.control_dt,
            max_episode_steps: Some(config.max_episode_steps),
            attrs: vec![("n_links", n as f64), ("joint_range", body.joint_range() as f64)],
            observation_names,
            signals: signals(n, body.joint_range() as f64),
            episode_metrics: if config.dc_motors.is_some() { vec![EpisodeMetric::lower("electrical_energy", "J")] } else { Vec::new() },
            goal: None,
        };
        Ok(Self {
            spec,
            body,
            rng: Xoshiro256PlusPlus::seed_from_u64(0),
            action: Vec::with_capacity(n - 1),
            reset_state: SwimmerState::default(),
            config,
        })
    }

    /// The underlying body (read-only), e.g. for tests and the viewer.
    pub fn body(&self) -> &Swimmer {
        &self.body
    }

    pub fn config(&self) -> &SwimmerConfig {
        &self.config
    }

    /// Puts the swimmer in an exact state (for tests and reference comparisons).
    pub fn set_state(&mut self, state: &SwimmerState) {
        self.body.set_state(state);
    }

    fn observe(&self, obs: &mut [f32]) {
        let nj = self.body.n_joints();
        obs[..nj].copy_from_slice(self.body.joint_angles());
        for (i, link) in self.body.links().iter().enumerate() {
            let [vx, vy] = link.local_velocity();
            obs[nj + 3 * i..nj + 3 * i + 3].copy_from_slice(&[vx, vy, link.angular_velocity]);
        }
    }

}

impl Env for SwimmerEnv {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        check_observation(&self.spec, obs)?;
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
        let range = self.body.joint_range();
        let nj = self.body.n_joints();
        let yaw = self.rng.random_range(-std::f32::consts::PI..std::f32::consts::PI);
        self.reset_state.root = [0.0, 0.0, yaw];
        self.reset_state.root_vel = [0.0; 3];
        self.reset_state.joints.clear();
        for _ in 0..nj {
            let q = self.rng.random_range(-range..range);
            self.reset_state.joints.push(q);
        }
        self.reset_state.joint_vels.clear();
        self.reset_state.joint_vels.resize(nj, 0.0);
        self.body.set_state(&self.reset_state);
        self.observe(obs);
        info.clear();
        info.set("forward_velocity", 0.0);
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        check_observation(&self.spec, obs)?;
        let mut scratch = std::mem::take(&mut self.action);
        let u = check_action(&self.spec, action, &mut scratch)?;
        self.body.step(u, self.config.substeps);
        self.action = scratch;
        info.clear();
        if let Err(what) = self.body.check_state() {
            obs.fill(0.0);
            info.truncation_reason = Some(format!("physics_blowup: {what}"));
            return Ok(Step { reward: 0.0, terminated: false, truncated: true });
        }
        self.observe(obs);
        let v_fwd = self.body.head_forward_velocity() as f64;
        info.set("forward_velocity", v_fwd);
        if self.config.dc_motors.is_some() {
            info.set("electrical_power", self.body.electrical_power());
            info.set("electrical_energy", self.body.electrical_energy());
        }
        let reward = (v_fwd / self.config.desired_speed).clamp(0.0, 1.0);
        Ok(Step { reward, terminated: false, truncated: false })
    }

    fn render_state(&self) -> RenderState {
        let half = self.body.params().link_length as f32 / 2.0;
        let bodies = self
            .body
            .links()
            .iter()
            .enumerate()
            .map(|(i, link)| {
                let name = if i == 0 { "head".to_string() } else { format!("link_{i}") };
                RenderBody::solid(name, Shape::Capsule { half_height: half, radius: 0.01 }, [link.position[0], link.position[1], 0.0], RenderState::yaw_quaternion(link.yaw))
            })
            .collect();
        RenderState { time: self.body.time(), bodies, floor: None, camera_distance: None }
    }

    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        out.clear();
        let q = self.body.qpos();
        let qd = self.body.qvel();
        for (name, v) in ["root_x", "root_y", "root_yaw"].iter().zip(q) {
            out.push((name.to_string(), *v as f64));
        }
        for (name, v) in ["root_vx", "root_vy", "root_wz"].iter().zip(qd) {
            out.push((name.to_string(), *v as f64));
        }
        for j in 0..self.body.n_joints() {
            out.push((format!("joint_{j}_angle"), q[3 + j] as f64));
            out.push((format!("joint_{j}_velocity"), qd[3 + j] as f64));
        }
        out.push(("head_forward_velocity".into(), self.body.head_forward_velocity() as f64));
    }

    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        Ok(snapshot::encode(&SwimmerSnapshot { config: self.config.clone(), rng: self.rng.clone(), body: self.body.snapshot() }))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let s: SwimmerSnapshot = snapshot::decode(&self.spec.id, bytes)?;
        if s.config != self.config {
            return Err(EnvError::Snapshot { env: self.spec.id.clone(), message: format!("taken with config {:?}, not {:?}", s.config, self.config) });
        }
        self.body.restore(&s.body).map_err(|e| EnvError::Snapshot { env: self.spec.id.clone(), message: e.message })?;
        self.rng = s.rng;
        Ok(())
    }
}

/// [`SwimmerEnv`]'s snapshot: the body's (Rapier world and limit history) and the reset stream.
#[derive(Serialize, Deserialize)]
struct SwimmerSnapshot {
    config: SwimmerConfig,
    rng: Xoshiro256PlusPlus,
    #[serde(with = "snapshot::bytes")]
    body: Vec<u8>,
}
