//! `PointReach-v0`: move a point to a goal in the plane, sparse reward. The smallest
//! goal-conditioned task: what HER is checked on (as Stable-Baselines3 checks its HER on a
//! bit-flipping env), and a quick way to try a goal-conditioned learner.
//!
//! | | |
//! |---|---|
//! | Body | a point in the square [−1, 1]² m, moved by its velocity command, stopped at the walls |
//! | Action | `Box(-1, 1, (2,))`: velocity command; the point moves `max_speed · control_dt · a` (0.1 m at full command). Out-of-range entries are clipped; NaN or infinite entries are an error. |
//! | Observation | `Box(-1, 1, (4,))`: the point's position (x, y) (m), then the goal's (x, y) (m) |
//! | Goal | achieved: the position (entries 0..2); desired: the goal (entries 2..4) ([`crate::GoalSpec`]) |
//! | Reward | sparse (default): 0 if ‖position − goal‖ < `distance_threshold` (0.1 m), else −1; dense: −‖position − goal‖ (m) |
//! | Termination | never |
//! | Truncation | after `max_episode_steps` (25 steps) |
//! | Reset | position and goal each uniform in the square |
//! | Info | `is_success` (1 or 0), `distance` (m) |

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::{goal_distance, RewardType};
use crate::env::{check_action, check_goals, check_observation, Env, EnvError, EnvSpec, GoalSpec, Info, Step};
use crate::metric::EpisodeMetric;
use crate::registry::{EnvEntry, Registry};
use crate::render::{RenderBody, RenderState, Shape, GHOST_OPACITY};
use crate::snapshot;
use crate::space::{BoxSpace, Space};
use crate::time_limit::TimeLimit;

const ID: &str = "PointReach-v0";

pub fn register(r: &mut Registry) {
    r.add(EnvEntry::new(ID, "classic", "a point to a goal in the plane, sparse reward (goal-conditioned; HER's smallest test)", PointReachConfig::default(), build));
}

fn build(_id: &str, config: PointReachConfig) -> Result<Box<dyn Env>, EnvError> {
    let max_steps = config.max_episode_steps;
    Ok(Box::new(TimeLimit::new(PointReachEnv::new(config)?, max_steps)))
}

/// Configuration of `PointReach-v0` (every key optional; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PointReachConfig {
    /// Control period (s).
    pub control_dt: f64,
    /// Speed at full command (m/s).
    pub max_speed: f64,
    /// Success radius (m).
    pub distance_threshold: f64,
    pub reward_type: RewardType,
    pub max_episode_steps: usize,
}

impl Default for PointReachConfig {
    fn default() -> Self {
        Self { control_dt: 0.1, max_speed: 1.0, distance_threshold: 0.1, reward_type: RewardType::Sparse, max_episode_steps: 25 }
    }
}

pub struct PointReachEnv {
    spec: EnvSpec,
    config: PointReachConfig,
    position: [f64; 2],
    goal: [f64; 2],
    time: f64,
    rng: Xoshiro256PlusPlus,
    action: Vec<f32>,
}

impl PointReachEnv {
    pub fn new(config: PointReachConfig) -> Result<Self, EnvError> {
        for (key, v) in [("control_dt", config.control_dt), ("max_speed", config.max_speed), ("distance_threshold", config.distance_threshold)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(EnvError::Config { env: ID.into(), message: format!("`{key}` = {v}: expected a number > 0") });
            }
        }
        if config.max_episode_steps == 0 {
            return Err(EnvError::Config { env: ID.into(), message: "`max_episode_steps` = 0: expected an integer ≥ 1".into() });
        }
        let spec = EnvSpec {
            id: ID.into(),
            observation_space: Space::Box(BoxSpace::uniform(4, -1.0, 1.0)),
            action_space: Space::Box(BoxSpace::uniform(2, -1.0, 1.0)),
            dt: config.control_dt,
            max_episode_steps: Some(config.max_episode_steps),
            attrs: vec![("distance_threshold", config.distance_threshold)],
            observation_names: ["x", "y", "goal_x", "goal_y"].map(String::from).to_vec(),
            signals: Vec::new(),
            episode_metrics: vec![EpisodeMetric::higher("is_success", "1"), EpisodeMetric::lower("distance", "m")],
            goal: Some(GoalSpec { achieved: 0..2, desired: 2..4 }),
        };
        Ok(Self { spec, config, position: [0.0; 2], goal: [0.0; 2], time: 0.0, rng: Xoshiro256PlusPlus::seed_from_u64(0), action: Vec::with_capacity(2) })
    }

    fn reward_of(&self, d: f64) -> f64 {
        match self.config.reward_type {
            RewardType::Sparse => -((d >= self.config.distance_threshold) as u8 as f64),
            RewardType::Dense => -d,
        }
    }

    fn observe(&self, obs: &mut [f32], info: &mut Info) -> f64 {
        obs[0] = self.position[0] as f32;
        obs[1] = self.position[1] as f32;
        obs[2] = self.goal[0] as f32;
        obs[3] = self.goal[1] as f32;
        let d = goal_distance(&obs[0..2], &obs[2..4]);
        info.clear();
        info.set("is_success", (d < self.config.distance_threshold) as u8 as f64);
        info.set("distance", d);
        d
    }
}

impl Env for PointReachEnv {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        check_observation(&self.spec, obs)?;
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
        for k in 0..2 {
            self.position[k] = self.rng.random_range(-1.0..1.0);
        }
        for k in 0..2 {
            self.goal[k] = self.rng.random_range(-1.0..1.0);
        }
        self.time = 0.0;
        self.observe(obs, info);
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        check_observation(&self.spec, obs)?;
        let mut scratch = std::mem::take(&mut self.action);
        let checked = check_action(&self.spec, action, &mut scratch).map(|u| [u[0] as f64, u[1] as f64]);
        self.action = scratch;
        let u = checked?;
        for k in 0..2 {
            self.position[k] = (self.position[k] + self.config.max_speed * self.config.control_dt * u[k]).clamp(-1.0, 1.0);
        }
        self.time += self.config.control_dt;
        let d = self.observe(obs, info);
        Ok(Step { reward: self.reward_of(d), terminated: false, truncated: false })
    }

    fn compute_reward(&self, achieved: &[f32], desired: &[f32]) -> Result<f64, EnvError> {
        check_goals(&self.spec, achieved, desired)?;
        Ok(self.reward_of(goal_distance(achieved, desired)))
    }

    fn is_success(&self, achieved: &[f32], desired: &[f32]) -> Result<bool, EnvError> {
        check_goals(&self.spec, achieved, desired)?;
        Ok(goal_distance(achieved, desired) < self.config.distance_threshold)
    }

    fn render_state(&self) -> RenderState {
        let body = |name: &str, p: [f64; 2], r: f32, opacity: f32| RenderBody { name: name.into(), shape: Shape::Ellipsoid { radii: [r; 3] }, position: [p[0] as f32, p[1] as f32, r], rotation: [0.0, 0.0, 0.0, 1.0], opacity };
        let bodies = vec![body("point", self.position, 0.03, 1.0), body("target", self.goal, self.config.distance_threshold as f32, GHOST_OPACITY)];
        RenderState { time: self.time, bodies, floor: Some(0.0), camera_distance: None }
    }

    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        Ok(snapshot::encode(&PointSnapshot { config: self.config.clone(), position: self.position, goal: self.goal, time: self.time, rng: self.rng.clone() }))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let s: PointSnapshot = snapshot::decode(ID, bytes)?;
        if s.config != self.config {
            return Err(EnvError::Snapshot { env: ID.into(), message: format!("taken with config {:?}, not {:?}", s.config, self.config) });
        }
        (self.position, self.goal, self.time, self.rng) = (s.position, s.goal, s.time, s.rng);
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct PointSnapshot {
    config: PointReachConfig,
    position: [f64; 2],
    goal: [f64; 2],
    time: f64,
    rng: Xoshiro256PlusPlus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EnvExt;

    #[test]
    fn a_step_moves_by_the_command_and_stops_at_the_wall() {
        let mut env = PointReachEnv::new(PointReachConfig::default()).unwrap();
        env.reset_vec(Some(0)).unwrap();
        env.position = [0.95, 0.0];
        env.goal = [0.0, 0.0];
        let (obs, step, info) = env.step_vec(&[1.0, -0.5]).unwrap();
        assert_eq!(obs[0], 1.0);
        assert!((obs[1] + 0.05).abs() < 1e-7);
        assert_eq!(step.reward, -1.0);
        assert_eq!(info.get("is_success"), Some(0.0));
        env.position = [0.05, 0.0];
        let (_, step, info) = env.step_vec(&[0.0, 0.0]).unwrap();
        assert_eq!((step.reward, info.get("is_success")), (0.0, Some(1.0)));
        assert_eq!(env.compute_reward(&[0.0, 0.0], &[0.0, 0.09]).unwrap(), 0.0);
        assert_eq!(env.compute_reward(&[0.0, 0.0], &[0.0, 0.11]).unwrap(), -1.0);
    }
}
