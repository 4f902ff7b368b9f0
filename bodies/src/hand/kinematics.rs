//! The Shadow hand's kinematic tree, as Gymnasium-Robotics models it (`hand/robot.xml`,
//! `hand/shared.xml`), and its forward kinematics.
//!
//! Frames and conventions (SI throughout):
//!
//! * World: MuJoCo's, z up. The forearm is welded to the world: the hand mount sits at
//!   (1, 1.25, 0.15) m, rotated by the intrinsic x-y-z Euler angles (π/2, 0, π), so the fingers
//!   point along world −y and the palm faces world +z (the hand's local −y). This keeps every
//!   goal and fingertip position in the same numbers as Gymnasium-Robotics'.
//! * Each link's frame is its MuJoCo body frame; at zero joint angles every hand frame is parallel
//!   to the mount's, except the thumb base (0.785 rad about the palm's y).
//! * Joint `k` is a hinge at its link's origin, about [`Link::axis`] (in the link frame), angle
//!   `q_k` (rad) in Gymnasium-Robotics' `qpos` order ([`JOINT_NAMES`]).
//! * Masses (kg), centres of mass and principal inertias (kg·m²) are the XML's `<inertial>`
//!   elements; `armature` (kg·m²) is MuJoCo's rotor inertia added to the joint's diagonal, which
//!   dominates the finger joints' dynamics (0.001 against link inertias of 1e-5 to 1.6e-4).

use rapier3d::glamx::{DQuat, DVec3};

/// Number of hinge joints.
pub const N_JOINTS: usize = 24;
/// Number of position actuators (the four distal finger joints are driven through the tendon).
pub const N_ACTUATORS: usize = 20;

/// Gymnasium-Robotics' joint names without the `robot0:` prefix, in `qpos` order.
pub const JOINT_NAMES: [&str; N_JOINTS] = [
    "WRJ1", "WRJ0", "FFJ3", "FFJ2", "FFJ1", "FFJ0", "MFJ3", "MFJ2", "MFJ1", "MFJ0", "RFJ3", "RFJ2", "RFJ1", "RFJ0", "LFJ4", "LFJ3", "LFJ2", "LFJ1", "LFJ0", "THJ4", "THJ3", "THJ2", "THJ1", "THJ0",
];

/// Where the hand mount sits in the world (m).
pub const MOUNT_POSITION: [f64; 3] = [1.0, 1.25, 0.15];
/// The mount's intrinsic x-y-z Euler angles (rad), as written in the XML.
pub const MOUNT_EULER: [f64; 3] = [1.5708, 0.0, 3.14159];
/// The forearm's offset in the mount frame (m); the forearm is welded to the mount.
pub const FOREARM_OFFSET: [f64; 3] = [0.0, 0.01, 0.0];

/// A collision shape on a link, in the link frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A capsule along the shape frame's z: radius and half-length of the cylindrical part (m).
    Capsule { radius: f64, half_length: f64 },
    /// A box of half-extents (m).
    Cuboid { half_extents: [f64; 3] },
}

/// A collider: its shape, where its frame sits on the link, and whether it is a fingertip
/// (condim 4 in MuJoCo: torsional friction as well).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Collider {
    pub shape: Shape,
    /// Position of the shape's centre in the link frame (m).
    pub position: [f64; 3],
    /// Orientation of the shape's frame in the link frame, quaternion (w, x, y, z).
    pub rotation: [f64; 4],
    pub fingertip: bool,
}

/// One link of the hand below the forearm: the body that hinge joint `joint` moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// MuJoCo body name without `robot0:`.
    pub name: &'static str,
    /// Index of the parent link in [`LINKS`]; `None` for the forearm (welded to the world).
    pub parent: Option<usize>,
    /// The link frame's origin in the parent frame at zero angle (m).
    pub position: [f64; 3],
    /// The link frame's orientation in the parent frame at zero angle, (w, x, y, z).
    pub rotation: [f64; 4],
    /// Hinge axis in the link frame (unit).
    pub axis: [f64; 3],
    /// Joint range (rad).
    pub range: [f64; 2],
    /// Viscous joint damping (N·m·s/rad).
    pub damping: f64,
    /// Rotor inertia added to the joint (kg·m²).
    pub armature: f64,
    /// Dry friction of the joint (N·m).
    pub frictionloss: f64,
    /// Mass (kg), centre of mass in the link frame (m), principal inertia (kg·m²) and the
    /// principal axes' orientation in the link frame, (w, x, y, z).
    pub mass: f64,
    pub center_of_mass: [f64; 3],
    pub principal_inertia: [f64; 3],
    pub inertia_rotation: [f64; 4],
}

const IDENTITY: [f64; 4] = [1.0, 0.0, 0.0, 0.0];
const X: [f64; 3] = [1.0, 0.0, 0.0];
const Y: [f64; 3] = [0.0, 1.0, 0.0];
const FINGER_INERTIA: [f64; 3] = [1e-5, 1e-5, 1e-5];

/// Index of the forearm in [`LINKS`] (no joint); link `k + 1` is moved by joint `k`.
pub const FOREARM: usize = 0;

const fn finger_link(name: &'static str, parent: usize, position: [f64; 3], axis: [f64; 3], range: [f64; 2], mass: f64, center_of_mass: [f64; 3]) -> Link {
    Link {
        name,
        parent: Some(parent),
        position,
        rotation: IDENTITY,
        axis,
        range,
        damping: 0.1,
        armature: 0.001,
        frictionloss: 0.001,
        mass,
        center_of_mass,
        principal_inertia: FINGER_INERTIA,
        inertia_rotation: IDENTITY,
    }
}

const KNUCKLE_RANGE: [f64; 2] = [-0.349, 0.349];
const FLEX_RANGE: [f64; 2] = [0.0, 1.571];

/// The forearm, then one link per joint in [`JOINT_NAMES`] order (link `k + 1` ↔ joint `k`).
///
/// The forearm's and the palm's principal axes are given by the XML's inertial quaternions;
/// the fingers' inertias are isotropic, so theirs do not matter.
pub const LINKS: [Link; N_JOINTS + 1] = [
    Link {
        name: "forearm",
        parent: None,
        position: FOREARM_OFFSET,
        rotation: IDENTITY,
        axis: X,
        range: [0.0, 0.0],
        damping: 0.0,
        armature: 0.0,
        frictionloss: 0.0,
        mass: 4.0,
        center_of_mass: [0.001, -0.002, 0.29],
        principal_inertia: [0.01, 0.01, 0.0075],
        inertia_rotation: [0.982, -0.016, 0.0, -0.188],
    },
    // 1: WRJ1
    Link {
        name: "wrist",
        parent: Some(FOREARM),
        position: [0.0, 0.0, 0.256],
        rotation: IDENTITY,
        axis: Y,
        range: [-0.489, 0.14],
        damping: 0.5,
        armature: 0.005,
        frictionloss: 0.001,
        mass: 0.3,
        center_of_mass: [0.003, 0.0, 0.016],
        principal_inertia: [0.001, 0.001, 0.001],
        inertia_rotation: [0.504, 0.496, 0.495, 0.504],
    },
    // 2: WRJ0
    Link {
        name: "palm",
        parent: Some(1),
        position: [0.0, 0.0, 0.034],
        rotation: IDENTITY,
        axis: X,
        range: [-0.698, 0.489],
        damping: 0.5,
        armature: 0.005,
        frictionloss: 0.001,
        mass: 0.3,
        center_of_mass: [0.006, 0.0, 0.036],
        principal_inertia: [0.001, 0.001, 0.001],
        inertia_rotation: [0.716, 0.044, 0.075, 0.693],
    },
    // 3–6: first finger
    finger_link("ffknuckle", 2, [0.033, 0.0, 0.095], Y, KNUCKLE_RANGE, 0.008, [0.0, 0.0, 0.0]),
    finger_link("ffproximal", 3, [0.0, 0.0, 0.0], X, FLEX_RANGE, 0.014, [0.0, 0.0, 0.023]),
    finger_link("ffmiddle", 4, [0.0, 0.0, 0.045], X, FLEX_RANGE, 0.012, [0.0, 0.0, 0.011]),
    finger_link("ffdistal", 5, [0.0, 0.0, 0.025], X, FLEX_RANGE, 0.01, [0.0, 0.0, 0.015]),
    // 7–10: middle finger
    finger_link("mfknuckle", 2, [0.011, 0.0, 0.099], Y, KNUCKLE_RANGE, 0.008, [0.0, 0.0, 0.0]),
    finger_link("mfproximal", 7, [0.0, 0.0, 0.0], X, FLEX_RANGE, 0.014, [0.0, 0.0, 0.023]),
    finger_link("mfmiddle", 8, [0.0, 0.0, 0.045], X, FLEX_RANGE, 0.012, [0.0, 0.0, 0.012]),
    finger_link("mfdistal", 9, [0.0, 0.0, 0.025], X, FLEX_RANGE, 0.01, [0.0, 0.0, 0.015]),
    // 11–14: ring finger
    finger_link("rfknuckle", 2, [-0.011, 0.0, 0.095], Y, KNUCKLE_RANGE, 0.008, [0.0, 0.0, 0.0]),
    finger_link("rfproximal", 11, [0.0, 0.0, 0.0], X, FLEX_RANGE, 0.014, [0.0, 0.0, 0.023]),
    finger_link("rfmiddle", 12, [0.0, 0.0, 0.045], X, FLEX_RANGE, 0.012, [0.0, 0.0, 0.012]),
    finger_link("rfdistal", 13, [0.0, 0.0, 0.025], X, FLEX_RANGE, 0.01, [0.0, 0.0, 0.015]),
    // 15–19: little finger (its metacarpal joint LFJ4 about a tilted axis)
    finger_link("lfmetacarpal", 2, [-0.017, 0.0, 0.044], [0.570977, 0.0, 0.820966], [0.0, 0.785], 0.075, [-0.014, 0.001, 0.014]),
    finger_link("lfknuckle", 15, [-0.017, 0.0, 0.044], Y, KNUCKLE_RANGE, 0.008, [0.0, 0.0, 0.0]),
    finger_link("lfproximal", 16, [0.0, 0.0, 0.0], X, FLEX_RANGE, 0.014, [0.0, 0.0, 0.023]),
    finger_link("lfmiddle", 17, [0.0, 0.0, 0.045], X, FLEX_RANGE, 0.012, [0.0, 0.0, 0.012]),
    finger_link("lfdistal", 18, [0.0, 0.0, 0.025], X, FLEX_RANGE, 0.01, [0.0, 0.0, 0.015]),
    // 20–24: thumb; its base is turned 0.785 rad about the palm's y
    Link {
        name: "thbase",
        parent: Some(2),
        position: [0.034, -0.009, 0.029],
        rotation: [0.923956, 0.0, 0.382499, 0.0],
        axis: [0.0, 0.0, -1.0],
        range: [-1.047, 1.047],
        damping: 0.1,
        armature: 0.001,
        frictionloss: 0.001,
        mass: 0.01,
        center_of_mass: [0.0, 0.0, 0.0],
        principal_inertia: FINGER_INERTIA,
        inertia_rotation: IDENTITY,
    },
    finger_link("thproximal", 20, [0.0, 0.0, 0.0], X, [0.0, 1.222], 0.016, [0.0, 0.0, 0.017]),
    finger_link("thhub", 21, [0.0, 0.0, 0.038], X, [-0.209, 0.209], 0.002, [0.0, 0.0, 0.0]),
    finger_link("thmiddle", 22, [0.0, 0.0, 0.0], Y, [-0.524, 0.524], 0.016, [0.0, 0.0, 0.016]),
    finger_link("thdistal", 23, [0.0, 0.0, 0.032], Y, [-1.571, 0.0], 0.016, [0.0, 0.0, 0.016]),
];

/// The fingertip sites (first, middle, ring, little finger, thumb): link index and position in
/// the link frame (m). HandReach's achieved goal is their world positions, in this order.
pub const FINGERTIPS: [(usize, [f64; 3]); 5] = [(6, [0.0, 0.0, 0.026]), (10, [0.0, 0.0, 0.026]), (14, [0.0, 0.0, 0.026]), (19, [0.0, 0.0, 0.026]), (24, [0.0, 0.0, 0.0275])];

/// A position actuator: the joint it drives, its control range (rad, equal to the joint's range),
/// its stiffness `kp` (N·m/rad: τ = kp·(ctrl − q), no velocity term) and its torque limit (N·m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Actuator {
    pub joint: usize,
    pub kp: f64,
    pub force_limit: f64,
}

/// The 20 actuators in action order (Gymnasium-Robotics' `A_*`): every joint but the four
/// distal finger joints FFJ0, MFJ0, RFJ0, LFJ0.
pub const ACTUATORS: [Actuator; N_ACTUATORS] = [
    Actuator { joint: 0, kp: 5.0, force_limit: 4.785 },
    Actuator { joint: 1, kp: 5.0, force_limit: 2.175 },
    Actuator { joint: 2, kp: 1.0, force_limit: 0.9 },
    Actuator { joint: 3, kp: 1.0, force_limit: 0.9 },
    Actuator { joint: 4, kp: 1.0, force_limit: 0.7245 },
    Actuator { joint: 6, kp: 1.0, force_limit: 0.9 },
    Actuator { joint: 7, kp: 1.0, force_limit: 0.9 },
    Actuator { joint: 8, kp: 1.0, force_limit: 0.7245 },
    Actuator { joint: 10, kp: 1.0, force_limit: 0.9 },
    Actuator { joint: 11, kp: 1.0, force_limit: 0.9 },
    Actuator { joint: 12, kp: 1.0, force_limit: 0.7245 },
    Actuator { joint: 14, kp: 1.0, force_limit: 0.9 },
    Actuator { joint: 15, kp: 1.0, force_limit: 0.9 },
    Actuator { joint: 16, kp: 1.0, force_limit: 0.9 },
    Actuator { joint: 17, kp: 1.0, force_limit: 0.7245 },
    Actuator { joint: 19, kp: 1.0, force_limit: 2.3722 },
    Actuator { joint: 20, kp: 1.0, force_limit: 1.45 },
    Actuator { joint: 21, kp: 1.0, force_limit: 0.99 },
    Actuator { joint: 22, kp: 1.0, force_limit: 0.99 },
    Actuator { joint: 23, kp: 1.0, force_limit: 0.81 },
];

/// The tendon that couples each finger's distal joint J0 to its middle joint J1 (first, middle,
/// ring, little): `MOMENT_ARM_DISTAL·q_J0 − MOMENT_ARM_MIDDLE·q_J1 ∈ [−TENDON_SLACK, TENDON_SLACK]`
/// (m), i.e. q_J0 ∈ 1.1418·q_J1 ± 0.1418 rad.
pub const COUPLED_JOINTS: [(usize, usize); 4] = [(5, 4), (9, 8), (13, 12), (18, 17)];
/// The tendon's moment arm at the distal joint (m), equal to the distal capsule's radius.
pub const MOMENT_ARM_DISTAL: f64 = 0.00705;
/// The tendon's moment arm at the middle joint (m), equal to the middle capsule's radius.
pub const MOMENT_ARM_MIDDLE: f64 = 0.00805;
/// Half the range of the coupling tendon's length (m).
pub const TENDON_SLACK: f64 = 0.001;

/// The range of distal angles (rad) the tendon allows at middle angle `q_middle`, within the
/// distal joint's own range.
pub fn coupled_range(q_middle: f64, distal_range: [f64; 2]) -> [f64; 2] {
    let centre = MOMENT_ARM_MIDDLE / MOMENT_ARM_DISTAL * q_middle;
    let half = TENDON_SLACK / MOMENT_ARM_DISTAL;
    let lo = (centre - half).max(distal_range[0]);
    let hi = (centre + half).min(distal_range[1]);
    if lo <= hi { [lo, hi] } else { [distal_range[1], distal_range[1]] }
}

/// MuJoCo's contact pairs between the hand's own colliders (`shared.xml`'s `<contact>`, condim 1:
/// frictionless), each collider named by its link and its index among the link's
/// [`colliders`] (`C_palm0` is the palm's first box). The XML lists `C_lfdistal`–`C_rfdistal`
/// twice; it is one pair.
pub const SELF_CONTACT_PAIRS: [((&str, usize), (&str, usize)); 18] = [
    (("ffdistal", 0), ("thdistal", 0)),
    (("ffmiddle", 0), ("thdistal", 0)),
    (("ffproximal", 0), ("thdistal", 0)),
    (("mfproximal", 0), ("thdistal", 0)),
    (("mfdistal", 0), ("thdistal", 0)),
    (("rfdistal", 0), ("thdistal", 0)),
    (("lfdistal", 0), ("thdistal", 0)),
    (("palm", 0), ("thdistal", 0)),
    (("mfdistal", 0), ("ffdistal", 0)),
    (("rfdistal", 0), ("mfdistal", 0)),
    (("lfdistal", 0), ("rfdistal", 0)),
    (("mfproximal", 0), ("ffproximal", 0)),
    (("rfproximal", 0), ("mfproximal", 0)),
    (("lfproximal", 0), ("rfproximal", 0)),
    (("lfdistal", 0), ("mfdistal", 0)),
    (("lfdistal", 0), ("rfmiddle", 0)),
    (("lfmiddle", 0), ("rfdistal", 0)),
    (("lfmiddle", 0), ("rfmiddle", 0)),
];

/// The collision shapes of each link (index into [`LINKS`]), Gymnasium-Robotics' `C_*` geoms
/// (the forearm's convex mesh is left out: it lies behind the wrist, where nothing the tasks
/// use reaches it).
pub fn colliders(link: usize) -> Vec<Collider> {
    let capsule = |radius: f64, half_length: f64, fingertip: bool| Collider {
        shape: Shape::Capsule { radius, half_length },
        position: [0.0, 0.0, half_length],
        rotation: IDENTITY,
        fingertip,
    };
    let cuboid = |half_extents: [f64; 3], position: [f64; 3]| Collider { shape: Shape::Cuboid { half_extents }, position, rotation: IDENTITY, fingertip: false };
    match LINKS[link].name {
        // The wrist capsule lies along the wrist's y axis.
        "wrist" => vec![Collider { shape: Shape::Capsule { radius: 0.015, half_length: 0.01 }, position: [0.0; 3], rotation: [0.707107, 0.707107, 0.0, 0.0], fingertip: false }],
        "palm" => vec![cuboid([0.032, 0.0111, 0.049], [0.011, 0.0, 0.038]), cuboid([0.011, 0.0111, 0.025], [-0.032, 0.0, 0.014])],
        "lfmetacarpal" => vec![cuboid([0.0095, 0.0111, 0.025], [-0.0165, 0.0, 0.01])],
        "ffproximal" | "mfproximal" | "rfproximal" | "lfproximal" => vec![capsule(0.01, 0.0225, false)],
        "ffmiddle" | "mfmiddle" | "rfmiddle" | "lfmiddle" => vec![capsule(0.00805, 0.0125, false)],
        "ffdistal" | "mfdistal" | "rfdistal" | "lfdistal" => vec![capsule(0.00705, 0.012, true)],
        "thproximal" => vec![capsule(0.013, 0.019, false)],
        "thmiddle" => vec![capsule(0.011, 0.016, false)],
        "thdistal" => vec![capsule(0.00918, 0.013, true)],
        _ => vec![],
    }
}

fn quat(q: [f64; 4]) -> DQuat {
    DQuat::from_xyzw(q[1], q[2], q[3], q[0]).normalize()
}

fn vec3(v: [f64; 3]) -> DVec3 {
    DVec3::new(v[0], v[1], v[2])
}

/// A rigid transform: `p_world = rotation · p_local + translation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub rotation: DQuat,
    pub translation: DVec3,
}

impl Frame {
    pub const IDENTITY: Frame = Frame { rotation: DQuat::IDENTITY, translation: DVec3::ZERO };

    /// This frame followed by `local` (expressed in this frame).
    pub fn then(&self, local: &Frame) -> Frame {
        Frame { rotation: self.rotation * local.rotation, translation: self.translation + self.rotation * local.translation }
    }

    pub fn apply(&self, p: DVec3) -> DVec3 {
        self.rotation * p + self.translation
    }
}

/// The mount's frame in the world: MuJoCo's intrinsic x-y-z Euler angles.
pub fn mount_frame() -> Frame {
    let [a, b, c] = MOUNT_EULER;
    let rotation = DQuat::from_rotation_x(a) * DQuat::from_rotation_y(b) * DQuat::from_rotation_z(c);
    Frame { rotation, translation: vec3(MOUNT_POSITION) }
}

/// The frame of link `k` relative to its parent at joint angle `angle` (rad).
pub fn link_offset(link: &Link, angle: f64) -> Frame {
    let hinge = DQuat::from_axis_angle(vec3(link.axis).normalize(), angle);
    Frame { rotation: quat(link.rotation) * hinge, translation: vec3(link.position) }
}

/// Every link's frame in the world at joint angles `q` (rad, [`JOINT_NAMES`] order), in
/// [`LINKS`] order.
pub fn forward_kinematics(q: &[f64; N_JOINTS]) -> [Frame; N_JOINTS + 1] {
    let mut frames = [Frame::IDENTITY; N_JOINTS + 1];
    for (k, link) in LINKS.iter().enumerate() {
        frames[k] = match link.parent {
            None => mount_frame().then(&link_offset(link, 0.0)),
            Some(parent) => frames[parent].then(&link_offset(link, q[k - 1])),
        };
    }
    frames
}

/// The five fingertip sites' world positions (m) at joint angles `q`, in [`FINGERTIPS`] order.
pub fn fingertip_positions(q: &[f64; N_JOINTS]) -> [[f64; 3]; 5] {
    let frames = forward_kinematics(q);
    FINGERTIPS.map(|(link, site)| frames[link].apply(vec3(site)).to_array())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_actuated_joint_but_the_four_distal_ones() {
        let actuated: Vec<usize> = ACTUATORS.iter().map(|a| a.joint).collect();
        let unactuated: Vec<&str> = (0..N_JOINTS).filter(|j| !actuated.contains(j)).map(|j| JOINT_NAMES[j]).collect();
        assert_eq!(unactuated, ["FFJ0", "MFJ0", "RFJ0", "LFJ0"]);
        for (distal, middle) in COUPLED_JOINTS {
            assert!(JOINT_NAMES[distal].ends_with("J0") && JOINT_NAMES[middle].ends_with("J1"));
            assert_eq!(&JOINT_NAMES[distal][..2], &JOINT_NAMES[middle][..2]);
        }
    }

    #[test]
    fn self_contact_pairs_name_existing_colliders_once() {
        let mut seen = Vec::new();
        for (a, b) in SELF_CONTACT_PAIRS {
            for (link, i) in [a, b] {
                let k = LINKS.iter().position(|l| l.name == link).unwrap_or_else(|| panic!("no link {link}"));
                assert!(i < colliders(k).len(), "{link} has no collider {i}");
            }
            let key = if a < b { (a, b) } else { (b, a) };
            assert!(!seen.contains(&key), "{key:?} twice");
            seen.push(key);
        }
    }

    #[test]
    fn parents_come_first_and_names_match_the_joints() {
        for (k, link) in LINKS.iter().enumerate().skip(1) {
            assert!(link.parent.unwrap() < k, "{}", link.name);
        }
    }

    #[test]
    fn zero_pose_matches_mujoco_world_positions() {
        // Gymnasium-Robotics' compiled model at qpos = 0 (mj_forward): palm origin, first knuckle,
        // and the five fingertip sites (m).
        let frames = forward_kinematics(&[0.0; N_JOINTS]);
        let close = |a: DVec3, b: [f64; 3]| (a - vec3(b)).length() < 1.5e-3;
        assert!(close(frames[2].translation, [1.0, 0.96, 0.14]), "{:?}", frames[2].translation);
        assert!(close(frames[3].translation, [0.967, 0.865, 0.14]), "{:?}", frames[3].translation);
        let tips = fingertip_positions(&[0.0; N_JOINTS]);
        let expected = [[0.967, 0.769, 0.14], [0.989, 0.765, 0.14], [1.011, 0.769, 0.14], [1.034, 0.776, 0.14], [0.8971, 0.862, 0.149]];
        for (tip, want) in tips.iter().zip(expected) {
            assert!(close(vec3(*tip), want), "{tip:?} vs {want:?}");
        }
    }

    #[test]
    fn the_tendon_band_is_centred_on_1_14_times_the_middle_angle() {
        let [lo, hi] = coupled_range(0.5, [0.0, 1.571]);
        assert!((lo - (0.5 * 0.00805 / 0.00705 - 0.001 / 0.00705)).abs() < 1e-12);
        assert!((hi - lo - 2.0 * 0.001 / 0.00705).abs() < 1e-12);
        // At a straight middle joint the band's lower edge is clipped by the joint range.
        assert_eq!(coupled_range(0.0, [0.0, 1.571])[0], 0.0);
    }
}
