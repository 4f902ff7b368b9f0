//! What every hand task shares ([`super::hand_reach`], [`super::hand_manipulate`]): one
//! observation layout, the action mapping, the simulation settings, goal rotation arithmetic and
//! the hand's render state.
//!
//! # One observation layout for every hand task
//!
//! So that one network can serve every hand task (a multi-task prior), each task writes the same
//! [`layout::DIM`] = 130 entries, zero where it has nothing to say:
//!
//! | entries | what | unit |
//! |---|---|---|
//! | 0..24 | joint angles, Gymnasium-Robotics' `qpos` order ([`JOINT_NAMES`]) | rad |
//! | 24..48 | joint velocities | rad/s |
//! | 48..63 | fingertip positions (first, middle, ring, little finger, thumb), world frame | m |
//! | 63..70 | object position (3), orientation quaternion (w, x, y, z) with w ≥ 0 | m, 1 |
//! | 70..76 | object linear (3) and angular (3) velocity, world frame | m/s, rad/s |
//! | 76..84 | object descriptor: shape one-hot (box, capsule, cylinder, ellipsoid), bounding half-extents (3), mass | 1, m, kg |
//! | 84..99 | desired fingertip positions (reach tasks) | m |
//! | 99..106 | desired object pose, position and quaternion (manipulation tasks) | m, 1 |
//! | 106..130 | desired joint angles (pose tasks) | rad |
//!
//! A task's achieved goal is the part of the state its desired goal targets (fingertips, object
//! pose or joint angles), named in its [`GoalSpec`]; Gymnasium-Robotics' Dict observation is that
//! pair plus the whole vector as `observation`.
//!
//! # Simulation
//!
//! The hand ([`bodies::hand`]) is stepped at `physics_dt` = 8 ms with one solver iteration: 5
//! substeps per 0.04 s control period (Gymnasium-Robotics: 20 MuJoCo steps of 2 ms). This is the
//! one substep of every hand measurement in nerve (physics, learning, speed), chosen on
//! 2026-12-03: at 5 ms the hand ran at 0.88× Gymnasium-Robotics' HandManipulateBlock-v1 on one
//! thread, at 8 ms 1.27×, at 10 ms 1.6×; 8 ms keeps the block's behaviour at zero action as at
//! 5 ms (10 ms let it turn up to 1.2 rad in 4 s, MuJoCo 0.23), the coupling tendon within
//! 0.2 mm of its band and the resting block within 2e-5 m in 10 s (NOTES: hand).

use bodies::hand::kinematics::{self, Frame, ACTUATORS, JOINT_NAMES, LINKS, N_ACTUATORS, N_JOINTS};
use bodies::hand::object::{Object, ObjectShape};
use bodies::hand::{Hand, HandParams};
use rapier3d::glamx::{DQuat, DVec3};

use rand::rngs::Xoshiro256PlusPlus;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::env::{check_action, EnvError, EnvSpec, Info, Step};
use crate::render::{RenderBody, Shape, GHOST_OPACITY};
use crate::snapshot;
use crate::signal::Signal;

/// The shared observation layout (see the module docs).
pub mod layout {
    use std::ops::Range;

    pub const JOINT_ANGLES: Range<usize> = 0..24;
    pub const JOINT_VELOCITIES: Range<usize> = 24..48;
    pub const FINGERTIPS: Range<usize> = 48..63;
    pub const OBJECT_POSE: Range<usize> = 63..70;
    pub const OBJECT_VELOCITY: Range<usize> = 70..76;
    pub const OBJECT_DESCRIPTOR: Range<usize> = 76..84;
    pub const DESIRED_FINGERTIPS: Range<usize> = 84..99;
    pub const DESIRED_OBJECT_POSE: Range<usize> = 99..106;
    pub const DESIRED_JOINT_ANGLES: Range<usize> = 106..130;
    pub const DIM: usize = 130;
}

/// The fingertips' names, [`kinematics::FINGERTIPS`] order.
pub const FINGERTIP_NAMES: [&str; 5] = ["ff", "mf", "rf", "lf", "th"];

/// Names of the [`layout`]'s entries.
pub fn observation_names() -> Vec<String> {
    let mut names: Vec<String> = JOINT_NAMES.iter().map(|j| format!("{j}_angle")).collect();
    names.extend(JOINT_NAMES.iter().map(|j| format!("{j}_velocity")));
    let xyz = ["x", "y", "z"];
    for f in FINGERTIP_NAMES {
        names.extend(xyz.map(|c| format!("{f}tip_{c}")));
    }
    names.extend(xyz.map(|c| format!("object_{c}")));
    names.extend(["w", "x", "y", "z"].map(|c| format!("object_q{c}")));
    names.extend(xyz.map(|c| format!("object_v{c}")));
    names.extend(xyz.map(|c| format!("object_w{c}")));
    names.extend(bodies::hand::object::SHAPE_NAMES.map(|s| format!("object_is_{s}")));
    names.extend(xyz.map(|c| format!("object_half_extent_{c}")));
    names.push("object_mass".into());
    for f in FINGERTIP_NAMES {
        names.extend(xyz.map(|c| format!("desired_{f}tip_{c}")));
    }
    names.extend(xyz.map(|c| format!("desired_object_{c}")));
    names.extend(["w", "x", "y", "z"].map(|c| format!("desired_object_q{c}")));
    names.extend(JOINT_NAMES.iter().map(|j| format!("desired_{j}_angle")));
    debug_assert_eq!(names.len(), layout::DIM);
    names
}

/// What the hand tasks' `physical_state` reports: each joint's angle within its range, then
/// each actuated joint's servo target as that angle's reference.
pub fn signals() -> Vec<Signal> {
    let mut s: Vec<Signal> = (0..N_JOINTS).map(|j| Signal::new(format!("{}_angle", JOINT_NAMES[j]), "rad").with_limits(LINKS[j + 1].range[0], LINKS[j + 1].range[1])).collect();
    for a in ACTUATORS {
        let name = JOINT_NAMES[a.joint];
        s.push(Signal::new(format!("{name}_target"), "rad").with_limits(LINKS[a.joint + 1].range[0], LINKS[a.joint + 1].range[1]).reference_for(&format!("{name}_angle")));
    }
    s
}

/// The values of [`signals`].
pub fn physical_state(hand: &Hand, out: &mut Vec<(String, f64)>) {
    out.clear();
    for (j, q) in hand.joint_positions().iter().enumerate() {
        out.push((format!("{}_angle", JOINT_NAMES[j]), *q));
    }
    for (a, t) in ACTUATORS.iter().zip(hand.targets()) {
        out.push((format!("{}_target", JOINT_NAMES[a.joint]), *t));
    }
}

pub use super::RewardType;

/// The settings every hand task has (each task's config has these four keys at its top level).
#[derive(Debug, Clone, PartialEq)]
pub struct HandSim {
    /// Control period (s).
    pub control_dt: f64,
    /// Physics substep (s); `control_dt` must be a whole number of them.
    pub physics_dt: f64,
    /// Rapier solver iterations per substep.
    pub solver_iterations: usize,
    /// Actions move the servo targets relative to the current joint angles (Gymnasium-Robotics'
    /// `relative_control`) instead of setting them within the control ranges.
    pub relative_control: bool,
    /// MuJoCo's hand self-contact pairs.
    pub self_contacts: bool,
}

impl Default for HandSim {
    fn default() -> Self {
        Self { control_dt: 0.04, physics_dt: 0.008, solver_iterations: 1, relative_control: false, self_contacts: false }
    }
}

impl HandSim {
    /// The hand's parameters and the substeps per control period, or what is wrong.
    pub fn validate(&self) -> Result<(HandParams, usize), String> {
        if !(self.control_dt.is_finite() && self.control_dt > 0.0) {
            return Err(format!("`control_dt` = {}: expected a number of seconds > 0", self.control_dt));
        }
        let params = HandParams { physics_dt: self.physics_dt, solver_iterations: self.solver_iterations, self_contacts: self.self_contacts, ..HandParams::default() };
        params.validate().map_err(|e| e.to_string())?;
        let ratio = self.control_dt / self.physics_dt;
        let substeps = ratio.round();
        if substeps < 1.0 || (ratio - substeps).abs() > 1e-6 {
            return Err(format!("`control_dt` = {} s is not a whole number of `physics_dt` = {} s substeps", self.control_dt, self.physics_dt));
        }
        Ok((params, substeps as usize))
    }
}

/// Servo targets (rad) for `action` in [−1, 1]²⁰: the middle of each control range plus the
/// action times its half-width (absolute), or the actuated joint's current angle plus it
/// (relative: zero action holds the pose), clipped to the range.
///
/// Gymnasium-Robotics' relative control also adds the distal angle J0 to each middle-joint
/// (J1) actuator's centre, a remnant of the tendon-driven J1 of older Shadow models: on its
/// joint-driven J1 this makes zero action curl the fingers. nerve does not.
pub fn servo_targets(action: &[f32], q: &[f64; N_JOINTS], relative: bool) -> [f64; N_ACTUATORS] {
    std::array::from_fn(|a| {
        let j = ACTUATORS[a].joint;
        let [lo, hi] = LINKS[j + 1].range;
        let half = (hi - lo) / 2.0;
        let centre = if relative { q[j] } else { (lo + hi) / 2.0 };
        (centre + action[a] as f64 * half).clamp(lo, hi)
    })
}

/// One control period of a hand task: checks `action` (into `scratch`, reused), sets the servo
/// targets it asks for ([`servo_targets`]) and steps the hand `substeps` times. A bad action is
/// an error and changes nothing.
pub fn apply_action(hand: &mut Hand, spec: &EnvSpec, action: &[f32], scratch: &mut Vec<f32>, relative: bool, substeps: usize) -> Result<(), EnvError> {
    let u = check_action(spec, action, scratch)?;
    let targets = servo_targets(u, &hand.joint_positions(), relative);
    hand.set_targets(&targets).expect("targets from a finite action are finite");
    hand.step(substeps);
    Ok(())
}

/// The step that ends an episode whose physics blew up (`what`): zero observation, the reason in
/// `info`, truncated.
pub fn blowup(obs: &mut [f32], info: &mut Info, what: String) -> Step {
    obs.fill(0.0);
    info.clear();
    info.truncation_reason = Some(format!("physics_blowup: {what}"));
    Step { reward: 0.0, terminated: false, truncated: true }
}

/// Sets the servo targets to the hand's current actuated joint angles (the pose held at rest).
pub fn hold_pose(hand: &mut Hand) {
    let q = hand.joint_positions();
    let targets = std::array::from_fn(|a| q[ACTUATORS[a].joint]);
    hand.set_targets(&targets).expect("joint angles are finite");
}

/// Writes the hand's part of the layout: joint angles and velocities, fingertips.
pub fn write_hand_state(hand: &Hand, obs: &mut [f32]) {
    for (o, v) in obs[layout::JOINT_ANGLES].iter_mut().zip(hand.joint_positions()) {
        *o = v as f32;
    }
    for (o, v) in obs[layout::JOINT_VELOCITIES].iter_mut().zip(hand.joint_velocities()) {
        *o = v as f32;
    }
    for (o, v) in obs[layout::FINGERTIPS].iter_mut().zip(hand.fingertip_positions().iter().flatten()) {
        *o = *v as f32;
    }
}

/// Whether the hand's state is finite and its speeds below 1000 rad/s; else what is not.
pub fn check_hand(hand: &Hand) -> Result<(), String> {
    let q = hand.joint_positions();
    let qd = hand.joint_velocities();
    if let Some(j) = (0..N_JOINTS).find(|&j| !q[j].is_finite() || !qd[j].is_finite() || qd[j].abs() > 1000.0) {
        return Err(format!("joint {} at {} rad, {} rad/s", JOINT_NAMES[j], q[j], qd[j]));
    }
    Ok(())
}

/// An env error for a config value that is wrong.
pub fn config_error(id: &str, message: impl Into<String>) -> EnvError {
    EnvError::Config { env: id.to_string(), message: message.into() }
}

// --- rotations: unit quaternions (w, x, y, z), f64 ---

pub type Quat = [f64; 4];

pub fn quat_mul(a: Quat, b: Quat) -> Quat {
    [
        a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
        a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
        a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
        a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
    ]
}

pub fn quat_normalize(q: Quat) -> Quat {
    let n = q.iter().map(|x| x * x).sum::<f64>().sqrt();
    q.map(|x| x / n)
}

/// The rotation by `angle` (rad) about `axis` (any non-zero vector; normalised here).
pub fn quat_from_axis_angle(axis: [f64; 3], angle: f64) -> Quat {
    let n = axis.iter().map(|x| x * x).sum::<f64>().sqrt();
    let (s, c) = (angle / 2.0).sin_cos();
    [c, s * axis[0] / n, s * axis[1] / n, s * axis[2] / n]
}

/// `q` with w ≥ 0 (the same rotation).
pub fn quat_canonical(q: Quat) -> Quat {
    if q[0] < 0.0 { q.map(|x| -x) } else { q }
}

/// `q` applied to `v`.
pub fn quat_rotate(q: Quat, v: [f64; 3]) -> [f64; 3] {
    (DQuat::from_xyzw(q[1], q[2], q[3], q[0]) * DVec3::from_array(v)).to_array()
}

/// The angle of the rotation taking `b` to `a` (rad, in [0, π]): 2·acos(|⟨a, b⟩|), computed as
/// 2·atan2(‖v‖, |w|) of a·b̄ = (w, v), which is exact near zero (0 for a = b).
pub fn rotation_distance(a: Quat, b: Quat) -> f64 {
    let d = quat_mul(a, [b[0], -b[1], -b[2], -b[3]]);
    2.0 * (d[1] * d[1] + d[2] * d[2] + d[3] * d[3]).sqrt().atan2(d[0].abs())
}

/// The angle between the z axes of the frames `a` and `b` (rad, in [0, π]): a rotation distance
/// that ignores turns about the object's own axis (a pen's).
pub fn axis_distance(a: Quat, b: Quat) -> f64 {
    let (za, zb) = (DVec3::from_array(quat_rotate(quat_normalize(a), [0.0, 0.0, 1.0])), DVec3::from_array(quat_rotate(quat_normalize(b), [0.0, 0.0, 1.0])));
    za.cross(zb).length().atan2(za.dot(zb))
}

/// The 24 rotations that map the coordinate axes onto themselves (a cube's symmetries;
/// Gymnasium-Robotics' "parallel" rotations), as quaternions with w ≥ 0.
pub fn parallel_quats() -> Vec<Quat> {
    let mut out: Vec<Quat> = Vec::with_capacity(24);
    let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for p in perms {
        for signs in 0..8 {
            let mut m = [[0.0; 3]; 3];
            for (row, &col) in p.iter().enumerate() {
                m[row][col] = if signs >> row & 1 == 1 { -1.0 } else { 1.0 };
            }
            let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
            if det > 0.0 {
                let mat = rapier3d::glamx::DMat3::from_cols(DVec3::new(m[0][0], m[1][0], m[2][0]), DVec3::new(m[0][1], m[1][1], m[2][1]), DVec3::new(m[0][2], m[1][2], m[2][2]));
                let q = DQuat::from_mat3(&mat).normalize();
                out.push(quat_canonical([q.w, q.x, q.y, q.z]));
            }
        }
    }
    out
}

// --- rendering ---

/// A quarter turn about x: takes a render capsule's y axis to a shape's z axis.
fn y_to_z() -> DQuat {
    DQuat::from_rotation_x(std::f64::consts::FRAC_PI_2)
}

fn render_rotation(q: DQuat) -> [f32; 4] {
    [q.x as f32, q.y as f32, q.z as f32, q.w as f32]
}

fn wxyz(q: [f64; 4]) -> DQuat {
    DQuat::from_xyzw(q[1], q[2], q[3], q[0]).normalize()
}

/// The hand's colliders as drawable parts, named `hand_<link>` (`hand_<link>_<i>` for a link's
/// second shape).
pub fn render_hand(hand: &Hand, out: &mut Vec<RenderBody>) {
    let frames: Vec<Frame> = hand.link_frames();
    for (k, frame) in frames.iter().enumerate() {
        for (i, c) in kinematics::colliders(k).iter().enumerate() {
            let local = Frame { rotation: wxyz(c.rotation), translation: DVec3::from_array(c.position) };
            let world = frame.then(&local);
            let (shape, rotation) = match c.shape {
                kinematics::Shape::Capsule { radius, half_length } => (Shape::Capsule { half_height: half_length as f32, radius: radius as f32 }, world.rotation * y_to_z()),
                kinematics::Shape::Cuboid { half_extents } => (Shape::Cuboid { half_extents: half_extents.map(|h| h as f32) }, world.rotation),
            };
            let name = if i == 0 { format!("hand_{}", LINKS[k].name) } else { format!("hand_{}_{i}", LINKS[k].name) };
            out.push(RenderBody::solid(name, shape, world.translation.as_vec3().to_array(), render_rotation(rotation)));
        }
    }
}

/// Fingertip targets (m, world, [`FINGERTIP_NAMES`] order) as small balls named
/// `target_<finger>tip`.
pub fn render_fingertip_targets(tips: &[[f64; 3]; 5], out: &mut Vec<RenderBody>) {
    for (tip, name) in tips.iter().zip(FINGERTIP_NAMES) {
        out.push(RenderBody { name: format!("target_{name}tip"), shape: Shape::Ellipsoid { radii: [0.005; 3] }, position: tip.map(|x| x as f32), rotation: [0.0, 0.0, 0.0, 1.0], opacity: GHOST_OPACITY });
    }
}

/// The snapshot of a hand task whose state is its hand, its reset stream and an N-entry goal
/// (reach, pose): [`snapshot_task`] writes it, [`restore_task`] reads it back.
#[derive(Serialize, Deserialize)]
struct TaskSnapshot<C> {
    config: C,
    rng: Xoshiro256PlusPlus,
    goal: Vec<f64>,
    #[serde(with = "snapshot::bytes")]
    hand: Vec<u8>,
}

/// A [`TaskSnapshot`] of `config`, `rng`, `goal` and `hand`.
pub fn snapshot_task<C: Serialize>(config: &C, rng: &Xoshiro256PlusPlus, goal: &[f64], hand: &Hand) -> Vec<u8> {
    snapshot::encode(&TaskSnapshot { config, rng: rng.clone(), goal: goal.to_vec(), hand: hand.snapshot() })
}

/// Restores a [`snapshot_task`] into `hand` and returns its goal and reset stream; refuses one
/// taken with another config, of another goal length, or not readable (and then changes nothing).
pub fn restore_task<C, const N: usize>(id: &str, bytes: &[u8], config: &C, hand: &mut Hand) -> Result<([f64; N], Xoshiro256PlusPlus), EnvError>
where
    C: DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let s: TaskSnapshot<C> = snapshot::decode(id, bytes)?;
    let err = |message: String| EnvError::Snapshot { env: id.to_string(), message };
    if s.config != *config {
        return Err(err(format!("taken with config {:?}, not {config:?}", s.config)));
    }
    let goal: [f64; N] = s.goal.try_into().map_err(|_| err("a goal of the wrong length".into()))?;
    hand.restore(&s.hand).map_err(|e| err(e.message))?;
    Ok((goal, s.rng))
}

/// An object as a drawable part named `name` at `position` (m) and orientation (w, x, y, z),
/// with `opacity` (1 for the object itself, [`GHOST_OPACITY`] for its target's ghost).
pub fn render_object(name: &str, object: &Object, position: [f64; 3], rotation: [f64; 4], opacity: f32) -> RenderBody {
    let q = wxyz(rotation);
    let (shape, rotation) = match object.shape {
        ObjectShape::Box { half_extents } => (Shape::Cuboid { half_extents: half_extents.map(|h| h as f32) }, q),
        ObjectShape::Ellipsoid { radii } => (Shape::Ellipsoid { radii: radii.map(|r| r as f32) }, q),
        ObjectShape::Capsule { radius, half_length } => (Shape::Capsule { half_height: half_length as f32, radius: radius as f32 }, q * y_to_z()),
        ObjectShape::Cylinder { radius, half_length } => (Shape::Cylinder { half_height: half_length as f32, radius: radius as f32 }, q * y_to_z()),
    };
    RenderBody { name: name.to_string(), shape, position: position.map(|x| x as f32), rotation: render_rotation(rotation), opacity }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_tiles_the_observation() {
        let parts = [
            layout::JOINT_ANGLES,
            layout::JOINT_VELOCITIES,
            layout::FINGERTIPS,
            layout::OBJECT_POSE,
            layout::OBJECT_VELOCITY,
            layout::OBJECT_DESCRIPTOR,
            layout::DESIRED_FINGERTIPS,
            layout::DESIRED_OBJECT_POSE,
            layout::DESIRED_JOINT_ANGLES,
        ];
        let mut next = 0;
        for p in parts {
            assert_eq!(p.start, next);
            next = p.end;
        }
        assert_eq!(next, layout::DIM);
        assert_eq!(observation_names().len(), layout::DIM);
        assert_eq!(layout::OBJECT_DESCRIPTOR.len(), bodies::hand::object::DESCRIPTOR_LEN);
    }

    #[test]
    fn twenty_four_distinct_parallel_rotations() {
        let q = parallel_quats();
        assert_eq!(q.len(), 24);
        for (i, a) in q.iter().enumerate() {
            for b in &q[i + 1..] {
                assert!(rotation_distance(*a, *b) > 1.0, "{a:?} {b:?}");
            }
            // Each maps the z axis onto a coordinate axis.
            let z = quat_rotate(*a, [0.0, 0.0, 1.0]);
            assert!(z.iter().filter(|c| (c.abs() - 1.0).abs() < 1e-12).count() == 1, "{z:?}");
        }
    }

    #[test]
    fn rotation_distances_by_hand() {
        let a = quat_from_axis_angle([0.0, 0.0, 1.0], 0.3);
        let b = quat_from_axis_angle([0.0, 0.0, 1.0], -0.2);
        assert!((rotation_distance(a, b) - 0.5).abs() < 1e-12);
        // q and −q are the same rotation.
        assert!(rotation_distance(a, a.map(|x| -x)) < 1e-7);
        // Turning about z leaves the z axis: the axis distance ignores it.
        assert!(axis_distance(a, b) < 1e-7);
        let tilt = quat_from_axis_angle([1.0, 0.0, 0.0], 0.4);
        assert!((axis_distance(quat_mul(tilt, a), b) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn absolute_and_relative_servo_targets() {
        let q = [0.0; N_JOINTS];
        let t = servo_targets(&[0.0; 20], &q, false);
        assert!((t[0] - (-0.489 + 0.14) / 2.0).abs() < 1e-12);
        let t = servo_targets(&[1.0; 20], &q, false);
        assert!((t[4] - 1.571).abs() < 1e-12);
        // Relative: zero action holds each actuated joint where it is (FFJ1 whatever FFJ0 is).
        let mut q = [0.0; N_JOINTS];
        q[4] = 0.3;
        q[5] = 0.2;
        let t = servo_targets(&[0.0; 20], &q, true);
        assert!((t[4] - 0.3).abs() < 1e-12);
        assert_eq!(t[0], 0.0);
        let t = servo_targets(&[0.5; 20], &q, true);
        assert!((t[4] - (0.3 + 0.5 * 1.571 / 2.0)).abs() < 1e-12);
    }
}
