//! `HandPose-v0`: bring the Shadow hand's joints to a target pose (MyoSuite's
//! `myoHandPoseRandom`, on nerve's hand).
//!
//! | | |
//! |---|---|
//! | Body | [`bodies::hand::Hand`], no object |
//! | Action | `Box(-1, 1, (20,))`: servo targets relative to the current joint angles (default, as MyoSuite's pose tasks move from where the hand is), or absolute within each control range (`relative_control = false`). Out-of-range entries are clipped; NaN or infinite entries are an error. |
//! | Observation | `Box(-inf, inf, (130,))`: the hand tasks' shared layout ([`super::hand`]): joint angles and velocities, fingertips, the object part zero, the desired joint angles (entries 106..130, rad) |
//! | Goal | achieved: the joint angles (entries 0..24); desired: entries 106..130 ([`crate::GoalSpec`]) |
//! | Reward | sparse (default): 0 if ‖q − q_target‖₂ < `pose_threshold` (0.35 rad), else −1; dense: −‖q − q_target‖₂ (rad) |
//! | Termination | never |
//! | Truncation | after `max_episode_steps` (100 steps = 4 s), or at once if the physics blows up |
//! | Reset | every joint uniform in its range (each distal joint on its tendon's line), at rest (MyoSuite's `reset_type = "random"`); the target: each actuated joint uniform between the least and the largest angle it takes in [`POSES`] (MyoSuite: the range of its ten ASL numerals), each distal joint on its tendon's line |
//! | Step | 0.04 s: servo targets held over 5 physics substeps of 8 ms |
//! | Info | `is_success` (1 or 0), `distance` (rad) |
//!
//! MyoSuite's poses are the ASL numerals of its muscle-driven MyoHand; [`POSES`] are ten
//! counting and thumb-opposition poses written for the Shadow hand's joints (no data of
//! MyoSuite's carries over between the two models), so the targets span a like range.

use bodies::hand::kinematics::{self, COUPLED_JOINTS, LINKS, N_ACTUATORS, N_JOINTS};
use bodies::hand::Hand;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::hand::{self, layout, HandSim, RewardType};
use super::goal_distance;
use crate::env::{check_goals, check_observation, Env, EnvError, EnvSpec, GoalSpec, Info, Step};
use crate::metric::EpisodeMetric;
use crate::registry::{EnvEntry, Registry};
use crate::render::{RenderState, HAND_CAMERA_DISTANCE};
use crate::space::{BoxSpace, Space};
use crate::time_limit::TimeLimit;

const ID: &str = "HandPose-v0";

/// A finger's (J3, J2, J1) when extended, half closed and curled (rad); J0 follows the tendon.
const EXTENDED: [f64; 3] = [0.0, 0.0, 0.0];
const HALF: [f64; 3] = [0.0, 0.7, 0.8];
const CURLED: [f64; 3] = [0.0, 1.4, 1.5];
/// The thumb's (THJ4, THJ3, THJ2, THJ1, THJ0): open, across the palm, and reaching towards the
/// first, middle, ring and little finger.
const THUMB_OPEN: [f64; 5] = [0.0, 0.0, 0.0, 0.0, 0.0];
const THUMB_ACROSS: [f64; 5] = [1.0, 1.1, 0.0, 0.4, -0.8];
const THUMB_TO: [[f64; 5]; 4] = [[0.3, 1.0, 0.1, 0.2, -0.5], [0.6, 1.1, 0.1, 0.3, -0.6], [0.85, 1.15, 0.1, 0.4, -0.7], [1.0, 1.2, 0.1, 0.5, -0.8]];

/// A pose from the four fingers' (J3, J2, J1) and the thumb's joints, the wrist straight, each
/// distal joint at the centre of its tendon's band.
const fn pose(fingers: [[f64; 3]; 4], thumb: [f64; 5]) -> [f64; N_JOINTS] {
    let mut q = [0.0; N_JOINTS];
    // First, middle, ring finger: J3 J2 J1 J0 at 2.., 6.., 10..; little finger: LFJ4 then J3 J2 J1 J0 at 14...
    let starts = [2, 6, 10, 15];
    let mut f = 0;
    while f < 4 {
        let s = starts[f];
        q[s] = fingers[f][0];
        q[s + 1] = fingers[f][1];
        q[s + 2] = fingers[f][2];
        let distal = fingers[f][2] * kinematics::MOMENT_ARM_MIDDLE / kinematics::MOMENT_ARM_DISTAL;
        q[s + 3] = if distal > 1.571 { 1.571 } else { distal };
        f += 1;
    }
    let mut k = 0;
    while k < 5 {
        q[19 + k] = thumb[k];
        k += 1;
    }
    q
}

/// Ten poses whose per-joint range bounds the targets: a fist (0), one to four fingers raised
/// (1–4), the open hand (5), and the thumb meeting the little, ring, middle and first finger
/// with the others raised (6–9, as the ASL numerals 6–9).
pub const POSES: [[f64; N_JOINTS]; 10] = [
    pose([CURLED, CURLED, CURLED, CURLED], THUMB_ACROSS),
    pose([EXTENDED, CURLED, CURLED, CURLED], THUMB_ACROSS),
    pose([EXTENDED, EXTENDED, CURLED, CURLED], THUMB_ACROSS),
    pose([EXTENDED, EXTENDED, EXTENDED, CURLED], THUMB_ACROSS),
    pose([EXTENDED, EXTENDED, EXTENDED, EXTENDED], THUMB_ACROSS),
    pose([EXTENDED, EXTENDED, EXTENDED, EXTENDED], THUMB_OPEN),
    pose([EXTENDED, EXTENDED, EXTENDED, HALF], THUMB_TO[3]),
    pose([EXTENDED, EXTENDED, HALF, EXTENDED], THUMB_TO[2]),
    pose([EXTENDED, HALF, EXTENDED, EXTENDED], THUMB_TO[1]),
    pose([HALF, EXTENDED, EXTENDED, EXTENDED], THUMB_TO[0]),
];

pub fn register(r: &mut Registry) {
    r.add(EnvEntry::new(ID, "hand", "Shadow hand: reach a random joint pose within the range of ten hand poses (MyoSuite's myoHandPoseRandom)", HandPoseConfig::default(), build));
}

fn build(_id: &str, config: HandPoseConfig) -> Result<Box<dyn Env>, EnvError> {
    let max_steps = config.max_episode_steps;
    Ok(Box::new(TimeLimit::new(HandPoseEnv::new(config)?, max_steps)))
}

/// Configuration of `HandPose-v0` (every key optional; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandPoseConfig {
    /// Control period (s).
    pub control_dt: f64,
    /// Physics substep (s); `control_dt` must be a whole number of them.
    pub physics_dt: f64,
    /// Rapier solver iterations per substep.
    pub solver_iterations: usize,
    /// Actions move the servo targets relative to the current joint angles.
    pub relative_control: bool,
    /// MuJoCo's frictionless finger–finger contact pairs ([`bodies::hand::HandParams::self_contacts`]).
    pub self_contacts: bool,
    pub reward_type: RewardType,
    /// Success when ‖q − q_target‖₂ is below this (rad).
    pub pose_threshold: f64,
    pub max_episode_steps: usize,
}

impl Default for HandPoseConfig {
    fn default() -> Self {
        let sim = HandSim::default();
        Self {
            control_dt: sim.control_dt,
            physics_dt: sim.physics_dt,
            solver_iterations: sim.solver_iterations,
            self_contacts: false,
            relative_control: true,
            reward_type: RewardType::Sparse,
            pose_threshold: 0.35,
            max_episode_steps: 100,
        }
    }
}

impl HandPoseConfig {
    fn sim(&self) -> HandSim {
        HandSim { control_dt: self.control_dt, physics_dt: self.physics_dt, solver_iterations: self.solver_iterations, relative_control: self.relative_control, self_contacts: self.self_contacts }
    }
}

/// The least and the largest angle (rad) of each joint over [`POSES`].
pub fn target_ranges() -> [[f64; 2]; N_JOINTS] {
    std::array::from_fn(|j| {
        let lo = POSES.iter().map(|p| p[j]).fold(f64::INFINITY, f64::min);
        let hi = POSES.iter().map(|p| p[j]).fold(f64::NEG_INFINITY, f64::max);
        [lo, hi]
    })
}

/// The pose task (without the time limit, which the registry adds).
pub struct HandPoseEnv {
    spec: EnvSpec,
    config: HandPoseConfig,
    hand: Hand,
    substeps: usize,
    initial: Vec<u8>,
    ranges: [[f64; 2]; N_JOINTS],
    goal: [f64; N_JOINTS],
    rng: Xoshiro256PlusPlus,
    action: Vec<f32>,
}

/// Puts each distal joint of `q` at the centre of its tendon's band.
fn on_tendon(q: &mut [f64; N_JOINTS]) {
    for (distal, middle) in COUPLED_JOINTS {
        let [lo, hi] = kinematics::coupled_range(q[middle], LINKS[distal + 1].range);
        q[distal] = (lo + hi) / 2.0;
    }
}

impl HandPoseEnv {
    pub fn new(config: HandPoseConfig) -> Result<Self, EnvError> {
        let (params, substeps) = config.sim().validate().map_err(|m| hand::config_error(ID, m))?;
        if !(config.pose_threshold.is_finite() && config.pose_threshold > 0.0) {
            return Err(hand::config_error(ID, format!("`pose_threshold` = {}: expected radians > 0", config.pose_threshold)));
        }
        if config.max_episode_steps == 0 {
            return Err(hand::config_error(ID, "`max_episode_steps` = 0: expected an integer ≥ 1"));
        }
        let hand = Hand::new(params).map_err(|e| hand::config_error(ID, e.to_string()))?;
        let initial = hand.snapshot();
        let spec = EnvSpec {
            id: ID.to_string(),
            observation_space: Space::Box(BoxSpace::uniform(layout::DIM, f32::NEG_INFINITY, f32::INFINITY)),
            action_space: Space::Box(BoxSpace::uniform(N_ACTUATORS, -1.0, 1.0)),
            dt: config.control_dt,
            max_episode_steps: Some(config.max_episode_steps),
            attrs: vec![("pose_threshold", config.pose_threshold)],
            observation_names: hand::observation_names(),
            signals: hand::signals(),
            episode_metrics: vec![EpisodeMetric::higher("is_success", "1"), EpisodeMetric::lower("distance", "rad")],
            goal: Some(GoalSpec { achieved: layout::JOINT_ANGLES, desired: layout::DESIRED_JOINT_ANGLES }),
        };
        Ok(Self { spec, config, hand, substeps, initial, ranges: target_ranges(), goal: [0.0; N_JOINTS], rng: Xoshiro256PlusPlus::seed_from_u64(0), action: Vec::with_capacity(N_ACTUATORS) })
    }

    pub fn hand(&self) -> &Hand {
        &self.hand
    }

    /// The target joint angles (rad).
    pub fn goal(&self) -> &[f64; N_JOINTS] {
        &self.goal
    }

    fn reward_of(&self, d: f64) -> f64 {
        match self.config.reward_type {
            RewardType::Sparse => -((d >= self.config.pose_threshold) as u8 as f64),
            RewardType::Dense => -d,
        }
    }

    fn observe(&self, obs: &mut [f32], info: &mut Info) -> f64 {
        obs.fill(0.0);
        hand::write_hand_state(&self.hand, obs);
        for (o, g) in obs[layout::DESIRED_JOINT_ANGLES].iter_mut().zip(&self.goal) {
            *o = *g as f32;
        }
        let d = goal_distance(&obs[layout::JOINT_ANGLES], &obs[layout::DESIRED_JOINT_ANGLES]);
        info.clear();
        info.set("is_success", (d < self.config.pose_threshold) as u8 as f64);
        info.set("distance", d);
        d
    }
}

impl Env for HandPoseEnv {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        check_observation(&self.spec, obs)?;
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
        self.hand.restore(&self.initial).map_err(|e| EnvError::Snapshot { env: ID.into(), message: e.message })?;
        let mut start = [0.0; N_JOINTS];
        for (j, q) in start.iter_mut().enumerate() {
            let [lo, hi] = LINKS[j + 1].range;
            *q = self.rng.random_range(lo..=hi);
        }
        on_tendon(&mut start);
        let mut goal = [0.0; N_JOINTS];
        for (j, q) in goal.iter_mut().enumerate() {
            let [lo, hi] = self.ranges[j];
            *q = if hi > lo { self.rng.random_range(lo..=hi) } else { lo };
        }
        on_tendon(&mut goal);
        self.goal = goal;
        self.hand.set_joint_positions(&start);
        hand::hold_pose(&mut self.hand);
        self.observe(obs, info);
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        check_observation(&self.spec, obs)?;
        hand::apply_action(&mut self.hand, &self.spec, action, &mut self.action, self.config.relative_control, self.substeps)?;
        if let Err(what) = hand::check_hand(&self.hand) {
            return Ok(hand::blowup(obs, info, what));
        }
        let d = self.observe(obs, info);
        Ok(Step { reward: self.reward_of(d), terminated: false, truncated: false })
    }

    fn compute_reward(&self, achieved: &[f32], desired: &[f32]) -> Result<f64, EnvError> {
        check_goals(&self.spec, achieved, desired)?;
        Ok(self.reward_of(goal_distance(achieved, desired)))
    }

    fn is_success(&self, achieved: &[f32], desired: &[f32]) -> Result<bool, EnvError> {
        check_goals(&self.spec, achieved, desired)?;
        Ok(goal_distance(achieved, desired) < self.config.pose_threshold)
    }

    fn render_state(&self) -> RenderState {
        let mut bodies = Vec::new();
        hand::render_hand(&self.hand, &mut bodies);
        // The target pose's fingertips, where the pose puts them.
        hand::render_fingertip_targets(&kinematics::fingertip_positions(&self.goal), &mut bodies);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poses_lie_in_the_joint_ranges_and_on_the_tendon() {
        for (k, p) in POSES.iter().enumerate() {
            for (j, q) in p.iter().enumerate() {
                let [lo, hi] = LINKS[j + 1].range;
                assert!((lo..=hi).contains(q), "pose {k}: {} = {q} outside [{lo}, {hi}]", kinematics::JOINT_NAMES[j]);
            }
            for (distal, middle) in COUPLED_JOINTS {
                let [lo, hi] = kinematics::coupled_range(p[middle], LINKS[distal + 1].range);
                assert!(p[distal] >= lo - 1e-9 && p[distal] <= hi + 1e-9, "pose {k}: distal {distal}");
            }
        }
        // The wrist is straight in every pose; the flexion joints span open to curled.
        let r = target_ranges();
        assert_eq!(r[0], [0.0, 0.0]);
        assert_eq!(r[3], [0.0, 1.4]);
    }
}
