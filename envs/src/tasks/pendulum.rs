//! `Pendulum-v1`: Gymnasium's classic-control inverted pendulum, equation for equation.
//! The learners' fast test task.
//!
//! | | |
//! |---|---|
//! | Body | a rigid rod of mass `m` = 1 kg and length `l` = 1 m about a frictionless pivot, gravity `g` = 10 m/s² |
//! | Action | `Box(-2, 2, (1,))`: torque (N·m) at the pivot; out-of-range values are clipped, NaN/inf are errors |
//! | Observation | `Box([-1, -1, -8], [1, 1, 8], (3,))`: `cos θ`, `sin θ` and `θ̇` (rad/s), θ = 0 upright |
//! | Reward | `−(normalize(θ)² + 0.1 θ̇² + 0.001 u²)` ∈ [−16.27, 0] |
//! | Termination | never |
//! | Truncation | after `max_episode_steps` (200) |
//! | Reset | θ ~ U[−π, π], θ̇ ~ U[−1, 1] |
//! | Step | semi-implicit Euler with `dt` = 0.05 s: `θ̇ ← clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, ±8)`, `θ ← θ + θ̇·dt` |

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::snapshot;
use crate::env::{check_action, check_observation, Env, EnvError, EnvSpec, Info, Step};
use crate::registry::{EnvEntry, Registry};
use crate::signal::Signal;
use crate::time_limit::TimeLimit;
use crate::render::{RenderBody, RenderState, Shape};
use crate::space::{BoxSpace, Space};

/// Configuration of `Pendulum-v1` (Gymnasium's defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PendulumConfig {
    /// Gravity (m/s²).
    pub g: f64,
    pub max_episode_steps: usize,
}

impl Default for PendulumConfig {
    fn default() -> Self {
        Self { g: 10.0, max_episode_steps: 200 }
    }
}

const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f64 = 2.0;
const DT: f64 = 0.05;
const MASS: f64 = 1.0;
const LENGTH: f64 = 1.0;

/// Wraps an angle into [−π, π), as Gymnasium's `angle_normalize`.
pub fn angle_normalize(x: f64) -> f64 {
    (x + std::f64::consts::PI).rem_euclid(2.0 * std::f64::consts::PI) - std::f64::consts::PI
}

pub struct PendulumEnv {
    spec: EnvSpec,
    config: PendulumConfig,
    /// θ (rad) and θ̇ (rad/s).
    state: [f64; 2],
    rng: Xoshiro256PlusPlus,
    action: Vec<f32>,
    time: f64,
}

/// Registers `Pendulum-v1`.
pub fn register(r: &mut Registry) {
    let summary = "Gymnasium's inverted pendulum swing-up (learners' test task)";
    r.add(EnvEntry::new("Pendulum-v1", "classic", summary, PendulumConfig::default(), build));
}

fn build(_id: &str, config: PendulumConfig) -> Result<Box<dyn Env>, EnvError> {
    let max_steps = config.max_episode_steps;
    Ok(Box::new(TimeLimit::new(PendulumEnv::new(config)?, max_steps)))
}

impl PendulumEnv {
    pub fn new(config: PendulumConfig) -> Result<Self, EnvError> {
        let err = |message: String| EnvError::Config { env: "Pendulum-v1".into(), message };
        if !(config.g.is_finite() && config.g >= 0.0) {
            return Err(err(format!("`g` = {}: expected m/s² ≥ 0", config.g)));
        }
        if config.max_episode_steps == 0 {
            return Err(err("`max_episode_steps` = 0: expected an integer ≥ 1".into()));
        }
        let spec = EnvSpec {
            id: "Pendulum-v1".into(),
            observation_space: Space::Box(BoxSpace { low: vec![-1.0, -1.0, -8.0], high: vec![1.0, 1.0, 8.0], shape: vec![3] }),
            action_space: Space::Box(BoxSpace::uniform(1, -MAX_TORQUE as f32, MAX_TORQUE as f32)),
            dt: DT,
            max_episode_steps: Some(config.max_episode_steps),
            attrs: vec![],
            observation_names: vec!["cos_theta".into(), "sin_theta".into(), "theta_dot".into()],
            signals: vec![Signal::new("theta", "rad"), Signal::new("theta_dot", "rad/s").with_limits(-MAX_SPEED, MAX_SPEED)],
            episode_metrics: Vec::new(),
            goal: None,
        };
        Ok(Self { spec, config, state: [0.0; 2], rng: Xoshiro256PlusPlus::seed_from_u64(0), action: Vec::with_capacity(1), time: 0.0 })
    }

    /// Sets θ (rad) and θ̇ (rad/s) exactly (for tests).
    pub fn set_state(&mut self, theta: f64, theta_dot: f64) {
        self.state = [theta, theta_dot];
    }

    pub fn state(&self) -> [f64; 2] {
        self.state
    }

    fn observe(&self, obs: &mut [f32]) {
        let [th, thdot] = self.state;
        obs.copy_from_slice(&[th.cos() as f32, th.sin() as f32, thdot as f32]);
    }
}

impl Env for PendulumEnv {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        check_observation(&self.spec, obs)?;
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
        let th = self.rng.random_range(-std::f64::consts::PI..=std::f64::consts::PI);
        let thdot = self.rng.random_range(-1.0..=1.0);
        self.state = [th, thdot];
        self.time = 0.0;
        info.clear();
        self.observe(obs);
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        check_observation(&self.spec, obs)?;
        let mut scratch = std::mem::take(&mut self.action);
        let u = check_action(&self.spec, action, &mut scratch)?[0] as f64;
        self.action = scratch;
        let [th, thdot] = self.state;
        let g = self.config.g;
        let cost = angle_normalize(th).powi(2) + 0.1 * thdot * thdot + 0.001 * u * u;
        let new_thdot = (thdot + (3.0 * g / (2.0 * LENGTH) * th.sin() + 3.0 / (MASS * LENGTH * LENGTH) * u) * DT)
            .clamp(-MAX_SPEED, MAX_SPEED);
        self.state = [th + new_thdot * DT, new_thdot];
        self.time += DT;
        info.clear();
        self.observe(obs);
        Ok(Step { reward: -cost, terminated: false, truncated: false })
    }

    fn render_state(&self) -> RenderState {
        // The rod hangs from the origin in the x–z plane; θ = 0 points up (+z).
        let th = self.state[0] as f32;
        let (s, c) = (th / 2.0).sin_cos();
        RenderState {
            time: self.time,
            bodies: vec![RenderBody::solid(
                "rod",
                Shape::Capsule { half_height: 0.5, radius: 0.05 },
                [-0.5 * th.sin(), 0.0, 0.5 * th.cos()],
                // The capsule's axis is its local y: rotate y onto z (+90° about x), then by θ about y.
                quat_mul([0.0, -s, 0.0, c], [std::f32::consts::FRAC_1_SQRT_2, 0.0, 0.0, std::f32::consts::FRAC_1_SQRT_2]),
            )],
            floor: None,
            camera_distance: None,
        }
    }

    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        out.clear();
        out.push(("theta".into(), self.state[0]));
        out.push(("theta_dot".into(), self.state[1]));
    }

    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        Ok(snapshot::encode(&PendulumSnapshot { config: self.config.clone(), state: self.state, rng: self.rng.clone(), time: self.time }))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let s: PendulumSnapshot = snapshot::decode(&self.spec.id, bytes)?;
        if s.config != self.config {
            return Err(EnvError::Snapshot { env: self.spec.id.clone(), message: format!("taken with config {:?}, not {:?}", s.config, self.config) });
        }
        (self.state, self.rng, self.time) = (s.state, s.rng, s.time);
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct PendulumSnapshot {
    config: PendulumConfig,
    state: [f64; 2],
    rng: Xoshiro256PlusPlus,
    time: f64,
}

/// Hamilton product of quaternions `[x, y, z, w]`.
fn quat_mul(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
    let [ax, ay, az, aw] = a;
    let [bx, by, bz, bw] = b;
    [
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EnvExt;

    #[test]
    fn one_step_by_hand() {
        let mut env = PendulumEnv::new(PendulumConfig::default()).unwrap();
        env.reset_vec(Some(0)).unwrap();
        env.set_state(1.0, 0.5);
        let (obs, step, _) = env.step_vec(&[1.5]).unwrap();
        // θ̇' = 0.5 + (15·sin 1 + 3·1.5)·0.05 = 0.5 + (12.6221 + 4.5)·0.05 = 1.356103…
        let thdot = 0.5 + (15.0 * 1.0_f64.sin() + 4.5) * 0.05;
        let th = 1.0 + thdot * 0.05;
        assert!((env.state()[1] - thdot).abs() < 1e-12 && (env.state()[0] - th).abs() < 1e-12);
        assert!((step.reward - -(1.0 + 0.1 * 0.25 + 0.001 * 2.25)).abs() < 1e-12);
        assert_eq!(obs, vec![th.cos() as f32, th.sin() as f32, thdot as f32]);
    }

    #[test]
    fn clipping_and_angle_wrap() {
        let mut env = PendulumEnv::new(PendulumConfig::default()).unwrap();
        env.reset_vec(Some(0)).unwrap();
        env.set_state(3.0 * std::f64::consts::PI, 7.9);
        let (_, step, _) = env.step_vec(&[50.0]).unwrap();
        assert_eq!(env.state()[1], 8.0, "speed clipped at 8 rad/s");
        // normalize(3π) = −π: cost π² + 0.1·7.9² + 0.001·2² (torque clipped to 2).
        let want = -(std::f64::consts::PI.powi(2) + 0.1 * 7.9 * 7.9 + 0.004);
        assert!((step.reward - want).abs() < 1e-9);
        assert!((angle_normalize(-0.5) + 0.5).abs() < 1e-15);
    }

    #[test]
    fn the_rod_hangs_where_theta_says() {
        let mut env = PendulumEnv::new(PendulumConfig::default()).unwrap();
        env.set_state(std::f64::consts::FRAC_PI_2, 0.0);
        let body = &env.render_state().bodies[0];
        assert!((body.position[0] + 0.5).abs() < 1e-6 && body.position[2].abs() < 1e-6);
        let _ = env.reset_vec(Some(1)).unwrap();
    }
}
