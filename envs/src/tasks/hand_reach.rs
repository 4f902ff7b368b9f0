//! `HandReach-v0`: bring the five fingertips of the Shadow hand to goal positions, the thumb
//! meeting one of the fingers (Gymnasium-Robotics' `HandReach`, on Rapier).
//!
//! | | |
//! |---|---|
//! | Body | [`bodies::hand::Hand`]: 24 hinges, 20 position servos (kp 1 N·m/rad, wrist 5), distal joints coupled by the tendon; MuJoCo's frictionless finger–finger contacts (`self_contacts`, on); no object |
//! | Action | `Box(-1, 1, (20,))`: servo targets, each mapped onto its control range (absolute), or added to the current joint angle (`relative_control`). Out-of-range entries are clipped; NaN or infinite entries are an error. |
//! | Observation | `Box(-inf, inf, (130,))`: the hand tasks' shared layout ([`super::hand`]): joint angles and velocities, fingertip positions, the object part zero, the desired fingertip positions (15, m, world) |
//! | Goal | achieved: the fingertip positions (entries 48..63); desired: entries 84..99 ([`crate::GoalSpec`]) |
//! | Reward | sparse (default): 0 if ‖achieved − desired‖ < `distance_threshold` (0.01 m), else −1; dense: −‖achieved − desired‖ (m) |
//! | Termination | never (as in Gymnasium-Robotics) |
//! | Truncation | after `max_episode_steps` (50 steps = 2 s), or at once if the physics blows up (`info.truncation_reason`) |
//! | Reset | the hand at Gymnasium-Robotics' initial pose at rest; the goal: a meeting point 9 cm in front of and 5 cm above the palm (plus N(0, 5 mm) noise per axis) that the thumb and a random finger reach to within 5 mm of it, the other fingertips where they start; with probability 0.1 every fingertip where it starts |
//! | Step | 0.04 s: servo targets held over 5 physics substeps of 8 ms |
//! | Info | `is_success` (1 or 0), `distance` (m) |

use bodies::hand::kinematics::{self, N_JOINTS};
use bodies::hand::Hand;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use super::hand::{self, layout, HandSim, RewardType};
use super::goal_distance;
use crate::env::{check_goals, check_observation, Env, EnvError, EnvSpec, GoalSpec, Info, Step};
use crate::metric::EpisodeMetric;
use crate::registry::{EnvEntry, Registry};
use crate::render::{RenderState, HAND_CAMERA_DISTANCE};
use crate::space::{BoxSpace, Space};
use crate::time_limit::TimeLimit;

const ID: &str = "HandReach-v0";

/// Gymnasium-Robotics' initial joint angles of `HandReach` (rad, `qpos` order).
pub const INITIAL_QPOS: [f64; N_JOINTS] = [
    -0.16514339750464327,
    -0.31973286565062153,
    0.14340512546557435,
    0.32028208333591573,
    0.7126053607727917,
    0.6705281001412586,
    0.000246444303701037,
    0.3152655251085491,
    0.7659800313729842,
    0.7323156897425923,
    0.00038520700007378114,
    0.36743546201985233,
    0.7119514095008576,
    0.6699446327514138,
    0.0525442258033891,
    -0.13615534724474673,
    0.39872030433433003,
    0.7415570009679252,
    0.704096378652974,
    0.003673823825070126,
    0.5506291436028695,
    -0.014515151997119306,
    -0.0015229223564485414,
    -0.7894883021600622,
];

pub fn register(r: &mut Registry) {
    r.add(EnvEntry::new(ID, "hand", "Shadow hand: the thumb and a finger meet at a goal above the palm (Gymnasium-Robotics' HandReach)", HandReachConfig::default(), build));
}

fn build(_id: &str, config: HandReachConfig) -> Result<Box<dyn Env>, EnvError> {
    let max_steps = config.max_episode_steps;
    Ok(Box::new(TimeLimit::new(HandReachEnv::new(config)?, max_steps)))
}

/// Configuration of `HandReach-v0` (every key optional; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandReachConfig {
    /// Control period (s).
    pub control_dt: f64,
    /// Physics substep (s); `control_dt` must be a whole number of them.
    pub physics_dt: f64,
    /// Rapier solver iterations per substep.
    pub solver_iterations: usize,
    /// Actions move the servo targets relative to the current joint angles.
    pub relative_control: bool,
    /// MuJoCo's frictionless finger–finger contact pairs ([`bodies::hand::HandParams::self_contacts`]).
    /// On by default here: in reach the fingers meet and rest on each other, and without them
    /// held commands put the fingertips 7.5 mm (median) from where MuJoCo's go, 1.8 mm with them
    /// (`envs/tests/hand_held_actions.rs`).
    pub self_contacts: bool,
    pub reward_type: RewardType,
    /// Success when the 15-D fingertip distance is below this (m).
    pub distance_threshold: f64,
    pub max_episode_steps: usize,
}

impl Default for HandReachConfig {
    fn default() -> Self {
        let sim = HandSim::default();
        Self {
            control_dt: sim.control_dt,
            physics_dt: sim.physics_dt,
            solver_iterations: sim.solver_iterations,
            self_contacts: true,
            relative_control: false,
            reward_type: RewardType::Sparse,
            distance_threshold: 0.01,
            max_episode_steps: 50,
        }
    }
}

impl HandReachConfig {
    fn sim(&self) -> HandSim {
        HandSim { control_dt: self.control_dt, physics_dt: self.physics_dt, solver_iterations: self.solver_iterations, relative_control: self.relative_control, self_contacts: self.self_contacts }
    }
}

/// The reach task (without the time limit, which the registry adds).
pub struct HandReachEnv {
    spec: EnvSpec,
    config: HandReachConfig,
    hand: Hand,
    substeps: usize,
    /// The hand at its initial pose, as a snapshot: every reset starts from exactly this world.
    initial: Vec<u8>,
    /// Fingertip positions (m) and palm origin (m) at the initial pose.
    initial_tips: [[f64; 3]; 5],
    palm: [f64; 3],
    goal: [f64; 15],
    rng: Xoshiro256PlusPlus,
    action: Vec<f32>,
}

impl HandReachEnv {
    pub fn new(config: HandReachConfig) -> Result<Self, EnvError> {
        let (params, substeps) = config.sim().validate().map_err(|m| hand::config_error(ID, m))?;
        if !(config.distance_threshold.is_finite() && config.distance_threshold > 0.0) {
            return Err(hand::config_error(ID, format!("`distance_threshold` = {}: expected metres > 0", config.distance_threshold)));
        }
        if config.max_episode_steps == 0 {
            return Err(hand::config_error(ID, "`max_episode_steps` = 0: expected an integer ≥ 1"));
        }
        let mut hand = Hand::new(params).map_err(|e| hand::config_error(ID, e.to_string()))?;
        hand.set_joint_positions(&INITIAL_QPOS);
        hand::hold_pose(&mut hand);
        let initial = hand.snapshot();
        let initial_tips = hand.fingertip_positions();
        let palm = hand.link_frames()[2].translation.to_array();
        let spec = EnvSpec {
            id: ID.to_string(),
            observation_space: Space::Box(BoxSpace::uniform(layout::DIM, f32::NEG_INFINITY, f32::INFINITY)),
            action_space: Space::Box(BoxSpace::uniform(kinematics::N_ACTUATORS, -1.0, 1.0)),
            dt: config.control_dt,
            max_episode_steps: Some(config.max_episode_steps),
            attrs: vec![("distance_threshold", config.distance_threshold)],
            observation_names: hand::observation_names(),
            signals: hand::signals(),
            episode_metrics: vec![EpisodeMetric::higher("is_success", "1"), EpisodeMetric::lower("distance", "m")],
            goal: Some(GoalSpec { achieved: layout::FINGERTIPS, desired: layout::DESIRED_FINGERTIPS }),
        };
        let goal = flatten(&initial_tips);
        Ok(Self { spec, config, hand, substeps, initial, initial_tips, palm, goal, rng: Xoshiro256PlusPlus::seed_from_u64(0), action: Vec::with_capacity(20) })
    }

    pub fn hand(&self) -> &Hand {
        &self.hand
    }

    /// The desired fingertip positions (m), five triples.
    pub fn goal(&self) -> &[f64; 15] {
        &self.goal
    }

    /// Gymnasium-Robotics' goal sampler (see the table).
    fn sample_goal(&mut self) -> [f64; 15] {
        let finger = self.rng.random_range(0..4usize);
        let noise = Normal::new(0.0, 0.005).expect("a valid normal");
        let mut meeting = [self.palm[0], self.palm[1] - 0.09, self.palm[2] + 0.05];
        for m in &mut meeting {
            *m += noise.sample(&mut self.rng);
        }
        let mut goal = self.initial_tips;
        for idx in [4, finger] {
            let d: Vec<f64> = (0..3).map(|k| meeting[k] - goal[idx][k]).collect();
            let n = d.iter().map(|x| x * x).sum::<f64>().sqrt();
            for k in 0..3 {
                goal[idx][k] = meeting[k] - 0.005 * d[k] / n;
            }
        }
        if self.rng.random::<f64>() < 0.1 {
            goal = self.initial_tips;
        }
        flatten(&goal)
    }

    fn observe(&self, obs: &mut [f32]) {
        obs.fill(0.0);
        hand::write_hand_state(&self.hand, obs);
        for (o, g) in obs[layout::DESIRED_FINGERTIPS].iter_mut().zip(&self.goal) {
            *o = *g as f32;
        }
    }

    fn reward_of(&self, distance: f64) -> f64 {
        match self.config.reward_type {
            RewardType::Sparse => -((distance > self.config.distance_threshold) as u8 as f64),
            RewardType::Dense => -distance,
        }
    }
}

/// The finger (0 first, 1 middle, 2 ring, 3 little) that the goal in observation `obs` (as
/// written at reset) pairs with the thumb: the fingertip whose desired position is furthest
/// from where it is; `None` for a goal that leaves every fingertip within 1 mm of where it starts
/// (the sampler's 10% of all-at-rest goals).
pub fn goal_finger(obs: &[f32]) -> Option<usize> {
    let moved = |f: usize| (0..3).map(|k| (obs[layout::FINGERTIPS.start + 3 * f + k] - obs[layout::DESIRED_FINGERTIPS.start + 3 * f + k]).powi(2)).sum::<f32>().sqrt();
    let (finger, distance) = (0..4).map(|f| (f, moved(f))).fold((0, 0.0), |best, x| if x.1 > best.1 { x } else { best });
    (distance >= 1e-3).then_some(finger)
}

fn flatten(tips: &[[f64; 3]; 5]) -> [f64; 15] {
    std::array::from_fn(|i| tips[i / 3][i % 3])
}

impl Env for HandReachEnv {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        check_observation(&self.spec, obs)?;
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
        self.hand.restore(&self.initial).map_err(|e| EnvError::Snapshot { env: ID.into(), message: e.message })?;
        self.goal = self.sample_goal();
        self.observe(obs);
        let d = goal_distance(&obs[layout::FINGERTIPS], &obs[layout::DESIRED_FINGERTIPS]);
        info.clear();
        info.set("is_success", (d < self.config.distance_threshold) as u8 as f64);
        info.set("distance", d);
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        check_observation(&self.spec, obs)?;
        hand::apply_action(&mut self.hand, &self.spec, action, &mut self.action, self.config.relative_control, self.substeps)?;
        if let Err(what) = hand::check_hand(&self.hand) {
            return Ok(hand::blowup(obs, info, what));
        }
        info.clear();
        self.observe(obs);
        let d = goal_distance(&obs[layout::FINGERTIPS], &obs[layout::DESIRED_FINGERTIPS]);
        info.set("is_success", (d < self.config.distance_threshold) as u8 as f64);
        info.set("distance", d);
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
        let mut bodies = Vec::new();
        hand::render_hand(&self.hand, &mut bodies);
        hand::render_fingertip_targets(&std::array::from_fn(|f| [self.goal[3 * f], self.goal[3 * f + 1], self.goal[3 * f + 2]]), &mut bodies);
        RenderState { time: self.hand.time(), bodies, floor: None, camera_distance: Some(HAND_CAMERA_DISTANCE) }
    }

    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        hand::physical_state(&self.hand, out);
    }

    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        Ok(hand::snapshot_task(&self.config, &self.rng, &self.goal, &self.hand))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        (self.goal, self.rng) = hand::restore_task(ID, bytes, &self.config, &mut self.hand)?;
        Ok(())
    }
}
