//! `HandBlock*-v0`, `HandEggRotate-v0`, `HandPenRotate-v0`: turn (and move) an object in the
//! Shadow hand to a target pose (Gymnasium-Robotics' `HandManipulate*`, on Rapier); and
//! `HandReorient8-v0`, `HandReorient100-v0`, `HandReorientID-v0`, `HandReorientOOD-v0`: tilt one
//! of a family of parametric objects to a target direction without dropping it (MyoSuite's
//! reorientation benchmark, its generalisation splits).
//!
//! | | |
//! |---|---|
//! | Body | [`bodies::hand::Hand`] with one free object ([`bodies::hand::object`]: the 5 cm block of 70.9 g, the 3×3×4 cm egg of 151 g, the 20.8 cm pen of 42.4 g) on the palm, and a floor (z = 0; −0.2 m under the pen) |
//! | Action | `Box(-1, 1, (20,))`: servo targets, absolute within each control range (default) or relative to the joint angles (`relative_control`). Out-of-range entries are clipped; NaN or infinite entries are an error. |
//! | Observation | `Box(-inf, inf, (130,))`: the hand tasks' shared layout ([`super::hand`]): hand state, fingertips, object pose (quaternion w ≥ 0) and velocity, object descriptor, the desired object pose (entries 99..106), the other goal parts zero |
//! | Goal | achieved: object position and quaternion (entries 63..70); desired: entries 99..106 ([`crate::GoalSpec`]) |
//! | Distances | d_pos = ‖Δposition‖ (m; 0 when `target_position` = `ignore`); d_rot = the angle of the rotation between the two orientations, 2·acos(\|⟨q_a, q_d⟩\|) ∈ [0, π] (rad; 0 when `target_rotation` = `ignore`), or with `ignore_target_axis_rotation` the angle between the object's z axes (the pen: a turn about its own axis does not count) |
//! | Reward | sparse (default): 0 on success (d_pos < `distance_threshold` and d_rot < `rotation_threshold`), else −1; dense: −(10·d_pos + d_rot) |
//! | Termination | never for the Gymnasium-Robotics tasks; the reorientation tasks when the object is dropped: more than `drop_distance` (0.075 m) from the target position |
//! | Truncation | after `max_episode_steps` (100 steps = 4 s), or at once if the physics blows up (`info.truncation_reason`) |
//! | Reset | hand at zero joint angles and the object at its initial pose, both at rest; the object's orientation turned by a random rotation of the target mode's kind (`randomize_initial_rotation`) and its position moved by N(0, 5 mm) per axis (`randomize_initial_position`); 10 steps (0.4 s) at zero action to settle; retried until the object's centre is above z = 0.04 m (on the palm), at most `max_reset_attempts` times. Then the goal: target rotation by mode (`z`: a random turn about world z; `parallel`: that times one of the 24 axis-aligned rotations; `xyz`: a random angle in [−π, π] about a random axis in [−1, 1]³; `fixed`/`ignore`: the settled orientation), target position the settled one plus U(`target_position_range`) (`random`) or the settled one |
//! | Step | 0.04 s: servo targets held over 5 physics substeps of 8 ms |
//! | Info | `is_success` (1 or 0), `d_pos` (m), `d_rot` (rad) |
//! | Reorientation | object per episode from `object_set`: MyoSuite's 8 (two sizes per shape), 100 drawn once from the training distribution (25 per shape: box half-extents 15–25 mm, ellipsoid semi-axes 8–29 × 25–45 × 25–45 mm, capsule radius 12.5–21.5 mm and half-length 20–50 mm, cylinder radius 11–21.5 mm and half-length 20–45 mm), a fresh one per episode from that distribution (ID) or from below or above it, [⅔·lo, lo] or [hi, 1.2·hi] (OOD); density `family_density` (567 kg/m³); resting upright (axis vertical); target direction: MuJoCo Euler x ~ U(−1, 1), y ~ U(−0.8, 1.2) rad; success: the axes within cos > 0.95 (0.318 rad) and not dropped; 100 steps (MyoSuite: 50 steps of 10 ms) |
//!
//! Where this differs from Gymnasium-Robotics: their d_rot is 2·acos(w) of the quaternion
//! difference, which runs to 2π for the same rotation written with the opposite sign; their pen
//! ignores the world-z Euler angle rather than the pen's own axis; MuJoCo's objects have
//! torsional contact friction (condim 4), Rapier's contacts do not.

use bodies::hand::kinematics::{self, N_JOINTS};
use bodies::hand::object::Object;
use bodies::hand::Hand;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use rapier3d::prelude::RigidBodyHandle;
use serde::{Deserialize, Serialize};

use super::hand::{self, layout, quat_canonical, quat_from_axis_angle, quat_mul, quat_normalize, HandSim, Quat, RewardType};
use crate::env::{check_goals, check_observation, Env, EnvError, EnvSpec, GoalSpec, Info, Step};
use crate::metric::EpisodeMetric;
use crate::registry::{EnvEntry, Registry};
use crate::render::{RenderState, GHOST_OPACITY, HAND_CAMERA_DISTANCE};
use crate::snapshot;
use crate::space::{BoxSpace, Space};
use crate::time_limit::TimeLimit;

/// Where the target position comes from (Gymnasium-Robotics' `target_position`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetPosition {
    /// Position does not count.
    Ignore,
    /// The settled position.
    Fixed,
    /// The settled position plus a uniform offset within `target_position_range`.
    Random,
}

/// How the target orientation is drawn (Gymnasium-Robotics' `target_rotation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetRotation {
    Ignore,
    Fixed,
    /// A random turn about world z.
    Z,
    /// A random turn about z times one of the 24 axis-aligned rotations.
    Parallel,
    /// A random angle about a random axis.
    Xyz,
    /// MyoSuite's reorientation targets: MuJoCo Euler angles x ~ U(−1, 1), y ~ U(−0.8, 1.2) rad,
    /// z = 0 (the object's axis tilted from the vertical).
    Tilt,
}

/// Which object an episode manipulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectSet {
    /// The config's `object`, every episode.
    Fixed,
    /// MyoSuite's eight reorientation objects: two sizes of each shape ([`reorient8`]).
    Reorient8,
    /// 100 objects, 25 per shape, drawn once from the training distribution ([`reorient100`]).
    Reorient100,
    /// A fresh object every episode from the training distribution (held out from the 100).
    InDistribution,
    /// A fresh object every episode from the shifted distribution: every size below or above the
    /// training range ([`sample_object`]).
    OutOfDistribution,
}

/// Configuration of a hand manipulation task (every key optional; unknown keys are errors; the
/// defaults are those of the id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandManipulateConfig {
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
    /// The object: `{ type = "box" | "capsule" | "cylinder" | "ellipsoid", sizes…, density }`.
    pub object: Object,
    /// Which object each episode uses: `fixed` (the `object`), or one of the reorientation
    /// families (`reorient8`, `reorient100`, `in_distribution`, `out_of_distribution`).
    pub object_set: ObjectSet,
    /// Density of the family objects (kg/m³).
    pub family_density: f64,
    /// End the episode (terminated) when the object is farther than this from the target
    /// position (m): dropped. `None`: never (Gymnasium-Robotics' tasks).
    pub drop_distance: Option<f64>,
    pub target_position: TargetPosition,
    pub target_rotation: TargetRotation,
    /// Range of the target's offset from the settled position per axis, `[[lo, hi]; 3]` (m).
    pub target_position_range: [[f64; 2]; 3],
    /// Rotation about the object's own z axis does not count (a pen's).
    pub ignore_target_axis_rotation: bool,
    pub randomize_initial_position: bool,
    pub randomize_initial_rotation: bool,
    /// The object's initial centre (m, world) and orientation (w, x, y, z).
    pub initial_position: [f64; 3],
    pub initial_rotation: [f64; 4],
    /// Height of the floor (m).
    pub floor_height: f64,
    /// Success needs d_pos below this (m) …
    pub distance_threshold: f64,
    /// … and d_rot below this (rad).
    pub rotation_threshold: f64,
    pub reward_type: RewardType,
    pub max_episode_steps: usize,
    /// Control steps at zero action that let the object settle at reset.
    pub settle_steps: usize,
    /// Resets that fail to leave the object on the palm before `reset` gives up with an error.
    pub max_reset_attempts: usize,
}

impl Default for HandManipulateConfig {
    /// `HandBlockRotateXYZ-v0`'s.
    fn default() -> Self {
        let sim = HandSim::default();
        Self {
            control_dt: sim.control_dt,
            physics_dt: sim.physics_dt,
            solver_iterations: sim.solver_iterations,
            self_contacts: false,
            relative_control: false,
            object: Object::block(),
            object_set: ObjectSet::Fixed,
            family_density: 567.0,
            drop_distance: None,
            target_position: TargetPosition::Ignore,
            target_rotation: TargetRotation::Xyz,
            target_position_range: [[-0.04, 0.04], [-0.06, 0.02], [0.0, 0.06]],
            ignore_target_axis_rotation: false,
            randomize_initial_position: true,
            randomize_initial_rotation: true,
            initial_position: [1.0, 0.87, 0.2],
            initial_rotation: [1.0, 0.0, 0.0, 0.0],
            floor_height: 0.0,
            distance_threshold: 0.01,
            rotation_threshold: 0.1,
            reward_type: RewardType::Sparse,
            max_episode_steps: 100,
            settle_steps: 10,
            max_reset_attempts: 100,
        }
    }
}

impl HandManipulateConfig {
    fn sim(&self) -> HandSim {
        HandSim { control_dt: self.control_dt, physics_dt: self.physics_dt, solver_iterations: self.solver_iterations, relative_control: self.relative_control, self_contacts: self.self_contacts }
    }
}

/// MuJoCo's `euler` attribute (intrinsic x-y-z, rad) as a quaternion (w, x, y, z).
fn mujoco_euler(e: [f64; 3]) -> Quat {
    let q = quat_mul(quat_from_axis_angle([1.0, 0.0, 0.0], e[0]), quat_from_axis_angle([0.0, 1.0, 0.0], e[1]));
    quat_mul(q, quat_from_axis_angle([0.0, 0.0, 1.0], e[2]))
}

/// The registered manipulation ids and their configs.
pub fn variants() -> Vec<(&'static str, &'static str, HandManipulateConfig)> {
    let block = HandManipulateConfig::default();
    vec![
        ("HandBlockRotateZ-v0", "turn the block about the vertical to a target angle", HandManipulateConfig { target_rotation: TargetRotation::Z, ..block.clone() }),
        ("HandBlockRotateParallel-v0", "turn the block to a target: a turn about the vertical and an axis-aligned rotation", HandManipulateConfig { target_rotation: TargetRotation::Parallel, ..block.clone() }),
        ("HandBlockRotateXYZ-v0", "turn the block to any target orientation", block.clone()),
        ("HandBlock-v0", "move and turn the block to a target position and orientation", HandManipulateConfig { target_position: TargetPosition::Random, ..block.clone() }),
        ("HandEggRotate-v0", "turn the egg to any target orientation", HandManipulateConfig { object: Object::egg(), ..block.clone() }),
        (
            "HandPenRotate-v0",
            "turn the pen's axis to a target direction",
            HandManipulateConfig {
                object: Object::pen(),
                randomize_initial_rotation: false,
                ignore_target_axis_rotation: true,
                distance_threshold: 0.05,
                initial_rotation: mujoco_euler([-1.0, 1.0, 0.0]),
                floor_height: -0.2,
                ..block.clone()
            },
        ),
        ("HandReorient8-v0", "tilt one of 8 objects (MyoSuite's reorientation set) to a target direction without dropping it", reorient(ObjectSet::Reorient8, &block)),
        ("HandReorient100-v0", "tilt one of 100 parametric objects to a target direction without dropping it", reorient(ObjectSet::Reorient100, &block)),
        ("HandReorientID-v0", "tilt a held-out object of the training distribution without dropping it", reorient(ObjectSet::InDistribution, &block)),
        ("HandReorientOOD-v0", "tilt a held-out object of a shifted size distribution without dropping it", reorient(ObjectSet::OutOfDistribution, &block)),
    ]
}

/// MyoSuite's reorientation semantics on a base config: a family object resting upright, a
/// tilted target direction, success when its axis is within cos > 0.95 of the target (0.318 rad)
/// and it has not been dropped (within 0.075 m of where it rested), the episode ending when it is.
fn reorient(set: ObjectSet, base: &HandManipulateConfig) -> HandManipulateConfig {
    HandManipulateConfig {
        object_set: set,
        target_position: TargetPosition::Fixed,
        target_rotation: TargetRotation::Tilt,
        ignore_target_axis_rotation: true,
        randomize_initial_rotation: false,
        distance_threshold: 0.075,
        rotation_threshold: 0.95f64.acos(),
        drop_distance: Some(0.075),
        ..base.clone()
    }
}

/// Sizes of the training distribution per shape (m): box half-extents, ellipsoid semi-axes
/// (x, then y and z), capsule and cylinder radius and half-length; read off MyoSuite's 100-object
/// set (its MuJoCo `size`s).
const BOX_HALF: [f64; 2] = [0.015, 0.025];
const ELLIPSOID_X: [f64; 2] = [0.008, 0.029];
const ELLIPSOID_YZ: [f64; 2] = [0.025, 0.045];
const CAPSULE_RADIUS: [f64; 2] = [0.0125, 0.0215];
const CAPSULE_HALF: [f64; 2] = [0.02, 0.05];
const CYLINDER_RADIUS: [f64; 2] = [0.011, 0.0215];
const CYLINDER_HALF: [f64; 2] = [0.02, 0.045];

/// MyoSuite's eight reorientation objects (two sizes of each shape), at `density`.
pub fn reorient8(density: f64) -> Vec<Object> {
    use bodies::hand::object::ObjectShape::*;
    [
        Ellipsoid { radii: [0.011, 0.025, 0.025] },
        Ellipsoid { radii: [0.019, 0.040, 0.040] },
        Box { half_extents: [0.017; 3] },
        Box { half_extents: [0.023; 3] },
        Capsule { radius: 0.013, half_length: 0.025 },
        Capsule { radius: 0.019, half_length: 0.040 },
        Cylinder { radius: 0.013, half_length: 0.025 },
        Cylinder { radius: 0.019, half_length: 0.040 },
    ]
    .map(|shape| Object { shape, density })
    .to_vec()
}

/// An object of shape `kind` (0 box, 1 capsule, 2 cylinder, 3 ellipsoid) with every size drawn
/// from the training range [lo, hi], or, `shifted`, from below or above it: [⅔·lo, lo] or
/// [hi, 1.2·hi], one side for the whole object (MyoSuite's out-of-distribution boxes: 10–15 and
/// 25–30 mm against 15–25 mm in training).
pub fn sample_object(kind: usize, shifted: bool, density: f64, rng: &mut Xoshiro256PlusPlus) -> Object {
    use bodies::hand::object::ObjectShape::*;
    let below = shifted && rng.random::<bool>();
    let mut draw = |[lo, hi]: [f64; 2]| {
        let (a, b) = match (shifted, below) {
            (false, _) => (lo, hi),
            (true, true) => (lo * 2.0 / 3.0, lo),
            (true, false) => (hi, hi * 1.2),
        };
        rng.random_range(a..b)
    };
    let shape = match kind {
        0 => Box { half_extents: [draw(BOX_HALF), draw(BOX_HALF), draw(BOX_HALF)] },
        1 => Capsule { radius: draw(CAPSULE_RADIUS), half_length: draw(CAPSULE_HALF) },
        2 => Cylinder { radius: draw(CYLINDER_RADIUS), half_length: draw(CYLINDER_HALF) },
        _ => Ellipsoid { radii: [draw(ELLIPSOID_X), draw(ELLIPSOID_YZ), draw(ELLIPSOID_YZ)] },
    };
    Object { shape, density }
}

/// The 100-object training set: 25 of each shape from the training distribution, drawn with a
/// fixed generator (the same set on every machine).
pub fn reorient100(density: f64) -> Vec<Object> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(100);
    (0..100).map(|i| sample_object(i / 25, false, density, &mut rng)).collect()
}

pub fn register(r: &mut Registry) {
    for (id, summary, config) in variants() {
        r.add(EnvEntry::new(id, "hand", format!("Shadow hand: {summary} (Gymnasium-Robotics' HandManipulate)"), config, build));
    }
}

fn build(id: &str, config: HandManipulateConfig) -> Result<Box<dyn Env>, EnvError> {
    let max_steps = config.max_episode_steps;
    Ok(Box::new(TimeLimit::new(HandManipulateEnv::new(id, config)?, max_steps)))
}

/// A manipulation task (without the time limit, which the registry adds).
pub struct HandManipulateEnv {
    spec: EnvSpec,
    config: HandManipulateConfig,
    hand: Hand,
    /// The episode's object: its rigid body in the hand's world, and what it is.
    object: RigidBodyHandle,
    current: Object,
    /// The objects of a `reorient8` / `reorient100` set.
    set: Vec<Object>,
    substeps: usize,
    /// Hand at zero angles over the floor, at rest, no object: every reset starts here.
    initial: Vec<u8>,
    parallel: Vec<Quat>,
    /// Target position (m) and orientation (w, x, y, z, w ≥ 0).
    goal: [f64; 7],
    rng: Xoshiro256PlusPlus,
    action: Vec<f32>,
}

impl HandManipulateEnv {
    pub fn new(id: &str, config: HandManipulateConfig) -> Result<Self, EnvError> {
        let err = |m: String| hand::config_error(id, m);
        let (params, substeps) = config.sim().validate().map_err(err)?;
        config.object.validate().map_err(|e| err(format!("object: {e}")))?;
        for (key, v) in [("distance_threshold", config.distance_threshold), ("rotation_threshold", config.rotation_threshold)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(err(format!("`{key}` = {v}: expected a number > 0")));
            }
        }
        if let Some(k) = (0..3).find(|&k| {
            let [lo, hi] = config.target_position_range[k];
            !(lo.is_finite() && hi.is_finite() && lo <= hi)
        }) {
            return Err(err(format!("`target_position_range[{k}]` = {:?}: expected [lo, hi] with lo ≤ hi (m)", config.target_position_range[k])));
        }
        if config.max_episode_steps == 0 || config.max_reset_attempts == 0 {
            return Err(err("`max_episode_steps` and `max_reset_attempts` must be ≥ 1".into()));
        }
        if !(config.family_density.is_finite() && config.family_density > 0.0) {
            return Err(err(format!("`family_density` = {}: expected kg/m³ > 0", config.family_density)));
        }
        if let Some(d) = config.drop_distance.filter(|d| !(d.is_finite() && *d > 0.0)) {
            return Err(err(format!("`drop_distance` = {d}: expected metres > 0")));
        }
        let mut hand = Hand::new(params).map_err(|e| err(e.to_string()))?;
        hand.add_floor(config.floor_height).map_err(|e| err(e.to_string()))?;
        hand.set_joint_positions(&[0.0; N_JOINTS]);
        let initial = hand.snapshot();
        let object = hand.add_object(&config.object, config.initial_position, config.initial_rotation).map_err(|e| err(format!("object: {e}")))?;
        let set = match config.object_set {
            ObjectSet::Reorient8 => reorient8(config.family_density),
            ObjectSet::Reorient100 => reorient100(config.family_density),
            _ => Vec::new(),
        };
        let mut attrs = vec![("distance_threshold", config.distance_threshold), ("rotation_threshold", config.rotation_threshold)];
        if config.object_set == ObjectSet::Fixed {
            attrs.push(("object_mass", config.object.mass()));
        }
        let spec = EnvSpec {
            id: id.to_string(),
            observation_space: Space::Box(BoxSpace::uniform(layout::DIM, f32::NEG_INFINITY, f32::INFINITY)),
            action_space: Space::Box(BoxSpace::uniform(kinematics::N_ACTUATORS, -1.0, 1.0)),
            dt: config.control_dt,
            max_episode_steps: Some(config.max_episode_steps),
            attrs,
            observation_names: hand::observation_names(),
            signals: hand::signals(),
            episode_metrics: vec![EpisodeMetric::higher("is_success", "1"), EpisodeMetric::lower("d_pos", "m"), EpisodeMetric::lower("d_rot", "rad")],
            goal: Some(GoalSpec { achieved: layout::OBJECT_POSE, desired: layout::DESIRED_OBJECT_POSE }),
        };
        let mut goal = [0.0; 7];
        goal[..3].copy_from_slice(&config.initial_position);
        goal[3..].copy_from_slice(&quat_canonical(quat_normalize(config.initial_rotation)));
        let current = config.object;
        Ok(Self { spec, config, hand, object, current, set, substeps, initial, parallel: hand::parallel_quats(), goal, rng: Xoshiro256PlusPlus::seed_from_u64(0), action: Vec::with_capacity(20) })
    }

    pub fn hand(&self) -> &Hand {
        &self.hand
    }

    /// The object's rigid body in [`Hand::world`].
    pub fn object(&self) -> RigidBodyHandle {
        self.object
    }

    /// The episode's object.
    pub fn current_object(&self) -> &Object {
        &self.current
    }

    /// Draws the next episode's object from the object set.
    fn draw_object(&mut self) -> Object {
        match self.config.object_set {
            ObjectSet::Fixed => self.config.object,
            ObjectSet::Reorient8 | ObjectSet::Reorient100 => self.set[self.rng.random_range(0..self.set.len())],
            ObjectSet::InDistribution | ObjectSet::OutOfDistribution => {
                let kind = self.rng.random_range(0..4usize);
                sample_object(kind, self.config.object_set == ObjectSet::OutOfDistribution, self.config.family_density, &mut self.rng)
            }
        }
    }

    /// Target position (m) and orientation (w, x, y, z).
    pub fn goal(&self) -> &[f64; 7] {
        &self.goal
    }

    /// A random rotation of the target mode's kind (identity for `fixed`/`ignore`, whose initial
    /// orientation Gymnasium-Robotics turns like `xyz`'s).
    fn random_rotation(&mut self, mode: TargetRotation) -> Quat {
        match mode {
            TargetRotation::Fixed => [1.0, 0.0, 0.0, 0.0],
            TargetRotation::Z => quat_from_axis_angle([0.0, 0.0, 1.0], self.rng.random_range(-std::f64::consts::PI..std::f64::consts::PI)),
            TargetRotation::Parallel => {
                let z = quat_from_axis_angle([0.0, 0.0, 1.0], self.rng.random_range(-std::f64::consts::PI..std::f64::consts::PI));
                let p = self.parallel[self.rng.random_range(0..self.parallel.len())];
                quat_mul(z, p)
            }
            TargetRotation::Tilt => {
                let x = self.rng.random_range(-1.0..1.0);
                let y = self.rng.random_range(-0.8..1.2);
                mujoco_euler([x, y, 0.0])
            }
            TargetRotation::Xyz | TargetRotation::Ignore => {
                let angle = self.rng.random_range(-std::f64::consts::PI..std::f64::consts::PI);
                let mut axis = [0.0; 3];
                loop {
                    for a in &mut axis {
                        *a = self.rng.random_range(-1.0..1.0);
                    }
                    if axis.iter().map(|x| x * x).sum::<f64>() > 1e-12 {
                        break;
                    }
                }
                quat_from_axis_angle(axis, angle)
            }
        }
    }

    /// One attempt of Gymnasium-Robotics' `_reset_sim`: whether the object ended on the palm.
    fn try_reset(&mut self) -> Result<bool, EnvError> {
        self.hand.restore(&self.initial).map_err(|e| EnvError::Snapshot { env: self.spec.id.clone(), message: e.message })?;
        let mut position = self.config.initial_position;
        let mut rotation = quat_normalize(self.config.initial_rotation);
        if self.config.randomize_initial_rotation {
            let offset = self.random_rotation(self.config.target_rotation);
            rotation = quat_normalize(quat_mul(rotation, offset));
        }
        if self.config.randomize_initial_position && self.config.target_position != TargetPosition::Fixed {
            let noise = Normal::new(0.0, 0.005).expect("a valid normal");
            for p in &mut position {
                *p += noise.sample(&mut self.rng);
            }
        }
        self.object = self.hand.add_object(&self.current, position, rotation).map_err(|e| EnvError::Config { env: self.spec.id.clone(), message: format!("object: {e}") })?;
        let zero = [0.0f32; kinematics::N_ACTUATORS];
        for _ in 0..self.config.settle_steps {
            hand::apply_action(&mut self.hand, &self.spec, &zero, &mut self.action, self.config.relative_control, self.substeps)?;
            if hand::check_hand(&self.hand).is_err() {
                return Ok(false);
            }
        }
        Ok(self.hand.body_position(self.object)[2] > 0.04)
    }

    fn sample_goal(&mut self) -> [f64; 7] {
        let mut position = self.hand.body_position(self.object);
        if self.config.target_position == TargetPosition::Random {
            for (k, p) in position.iter_mut().enumerate() {
                let [lo, hi] = self.config.target_position_range[k];
                *p += if hi > lo { self.rng.random_range(lo..hi) } else { lo };
            }
        }
        let rotation = match self.config.target_rotation {
            TargetRotation::Ignore | TargetRotation::Fixed => self.hand.body_rotation(self.object),
            mode => self.random_rotation(mode),
        };
        let q = quat_canonical(quat_normalize(rotation));
        [position[0], position[1], position[2], q[0], q[1], q[2], q[3]]
    }

    fn observe(&self, obs: &mut [f32]) {
        obs.fill(0.0);
        hand::write_hand_state(&self.hand, obs);
        let p = self.hand.body_position(self.object);
        let q = quat_canonical(self.hand.body_rotation(self.object));
        let (v, w) = self.hand.body_velocity(self.object);
        let pose = &mut obs[layout::OBJECT_POSE];
        for (o, x) in pose.iter_mut().zip(p.iter().chain(&q)) {
            *o = *x as f32;
        }
        for (o, x) in obs[layout::OBJECT_VELOCITY].iter_mut().zip(v.iter().chain(&w)) {
            *o = *x as f32;
        }
        for (o, x) in obs[layout::OBJECT_DESCRIPTOR].iter_mut().zip(self.current.descriptor()) {
            *o = x as f32;
        }
        for (o, x) in obs[layout::DESIRED_OBJECT_POSE].iter_mut().zip(&self.goal) {
            *o = *x as f32;
        }
    }

    /// (d_pos (m), d_rot (rad)) between two 7-D poses.
    fn distances(&self, a: &[f32], b: &[f32]) -> (f64, f64) {
        let d_pos = if self.config.target_position == TargetPosition::Ignore { 0.0 } else { (0..3).map(|k| (a[k] as f64 - b[k] as f64).powi(2)).sum::<f64>().sqrt() };
        let qa: Quat = std::array::from_fn(|k| a[3 + k] as f64);
        let qb: Quat = std::array::from_fn(|k| b[3 + k] as f64);
        let d_rot = match self.config.target_rotation {
            TargetRotation::Ignore => 0.0,
            _ if self.config.ignore_target_axis_rotation => hand::axis_distance(qa, qb),
            _ => hand::rotation_distance(qa, qb),
        };
        (d_pos, d_rot)
    }

    fn success(&self, d_pos: f64, d_rot: f64) -> bool {
        d_pos < self.config.distance_threshold && d_rot < self.config.rotation_threshold
    }

    fn reward_of(&self, d_pos: f64, d_rot: f64) -> f64 {
        match self.config.reward_type {
            RewardType::Sparse => self.success(d_pos, d_rot) as u8 as f64 - 1.0,
            RewardType::Dense => -(10.0 * d_pos + d_rot),
        }
    }

    fn report(&self, obs: &[f32], info: &mut Info) -> (f64, f64) {
        let (d_pos, d_rot) = self.distances(&obs[layout::OBJECT_POSE], &obs[layout::DESIRED_OBJECT_POSE]);
        info.set("is_success", self.success(d_pos, d_rot) as u8 as f64);
        info.set("d_pos", d_pos);
        info.set("d_rot", d_rot);
        (d_pos, d_rot)
    }
}

impl Env for HandManipulateEnv {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        check_observation(&self.spec, obs)?;
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
        self.current = self.draw_object();
        let mut attempts = 0;
        while !self.try_reset()? {
            attempts += 1;
            if attempts >= self.config.max_reset_attempts {
                return Err(EnvError::Config {
                    env: self.spec.id.clone(),
                    message: format!("the object did not come to rest on the palm in {attempts} reset attempts (object {:?}, initial_position {:?})", self.current, self.config.initial_position),
                });
            }
        }
        self.goal = self.sample_goal();
        self.observe(obs);
        info.clear();
        self.report(obs, info);
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        check_observation(&self.spec, obs)?;
        hand::apply_action(&mut self.hand, &self.spec, action, &mut self.action, self.config.relative_control, self.substeps)?;
        let p = self.hand.body_position(self.object);
        let health = hand::check_hand(&self.hand).and_then(|()| if p.iter().all(|x| x.is_finite() && x.abs() < 100.0) { Ok(()) } else { Err(format!("object at {p:?} m")) });
        if let Err(what) = health {
            return Ok(hand::blowup(obs, info, what));
        }
        info.clear();
        self.observe(obs);
        let (d_pos, d_rot) = self.report(obs, info);
        // Dropped: too far from the target position (whether or not position counts for success).
        let dropped = self.config.drop_distance.is_some_and(|limit| (0..3).map(|k| (p[k] - self.goal[k]).powi(2)).sum::<f64>().sqrt() > limit);
        Ok(Step { reward: self.reward_of(d_pos, d_rot), terminated: dropped, truncated: false })
    }

    fn compute_reward(&self, achieved: &[f32], desired: &[f32]) -> Result<f64, EnvError> {
        check_goals(&self.spec, achieved, desired)?;
        let (d_pos, d_rot) = self.distances(achieved, desired);
        Ok(self.reward_of(d_pos, d_rot))
    }

    fn is_success(&self, achieved: &[f32], desired: &[f32]) -> Result<bool, EnvError> {
        check_goals(&self.spec, achieved, desired)?;
        let (d_pos, d_rot) = self.distances(achieved, desired);
        Ok(self.success(d_pos, d_rot))
    }

    fn render_state(&self) -> RenderState {
        let mut bodies = Vec::new();
        hand::render_hand(&self.hand, &mut bodies);
        let object = &self.current;
        bodies.push(hand::render_object("object", object, self.hand.body_position(self.object), self.hand.body_rotation(self.object), 1.0));
        // As Gymnasium-Robotics draws it: beside the hand when only the orientation counts.
        let mut target = [self.goal[0], self.goal[1], self.goal[2]];
        if self.config.target_position == TargetPosition::Ignore {
            target[0] += 0.15;
        }
        bodies.push(hand::render_object("target", object, target, [self.goal[3], self.goal[4], self.goal[5], self.goal[6]], GHOST_OPACITY));
        RenderState { time: self.hand.time(), bodies, floor: Some(self.config.floor_height as f32), camera_distance: Some(HAND_CAMERA_DISTANCE) }
    }

    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        hand::physical_state(&self.hand, out);
    }

    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        Ok(snapshot::encode(&ManipulateSnapshot { config: self.config.clone(), rng: self.rng.clone(), goal: self.goal.to_vec(), object: self.object, current: self.current, hand: self.hand.snapshot() }))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let id = self.spec.id.clone();
        let s: ManipulateSnapshot = snapshot::decode(&id, bytes)?;
        if s.config != self.config {
            return Err(EnvError::Snapshot { env: id, message: format!("taken with config {:?}, not {:?}", s.config, self.config) });
        }
        let goal: [f64; 7] = s.goal.try_into().map_err(|_| EnvError::Snapshot { env: id.clone(), message: "a goal of the wrong length".into() })?;
        self.hand.restore(&s.hand).map_err(|e| EnvError::Snapshot { env: id.clone(), message: e.message })?;
        if self.hand.world().bodies.get(s.object).is_none() {
            return Err(EnvError::Snapshot { env: id, message: "the snapshot's world holds no object".into() });
        }
        (self.goal, self.rng, self.object, self.current) = (goal, s.rng, s.object, s.current);
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct ManipulateSnapshot {
    config: HandManipulateConfig,
    rng: Xoshiro256PlusPlus,
    goal: Vec<f64>,
    object: RigidBodyHandle,
    current: Object,
    #[serde(with = "snapshot::bytes")]
    hand: Vec<u8>,
}
