//! The Shadow dexterous hand (Gymnasium-Robotics' model) as a Rapier multibody.
//!
//! Frames, units and the model's numbers are in [`kinematics`]. The forearm is welded to the
//! world; every one of the 24 joints is a one-degree-of-freedom revolute link of one multibody
//! (Rapier 0.36 does not implement two-DOF multibody joints: they panic; the Shadow hand's
//! two-axis joints are two hinges at one point anyway, as in the XML).
//!
//! * Actuators: 20 position servos, τ = kp·(target − q) clamped to the force limit, kp 1 N·m/rad
//!   (wrist 5), Gymnasium-Robotics' control ranges and force limits ([`kinematics::ACTUATORS`]);
//!   Rapier's force-based joint motors, integrated implicitly.
//! * Passive joint terms: MuJoCo's joint damping and armature as the multibody's implicit damping
//!   and rotor inertia; MuJoCo's dry friction (0.001 N·m) is left out.
//! * Distal coupling: each finger's J0 is held within the tendon's band around 1.14·q_J1
//!   ([`kinematics::coupled_range`]) by moving J0's joint limits before every physics step.
//!   MuJoCo's tendon limit pushes both joints; here the band drives the (unactuated) distal joint
//!   alone.
//! * Joint ranges: Rapier's hard multibody limits.
//! * Contacts: the hand's capsules and boxes collide with objects with friction. With
//!   `self_contacts` (off by default, see [`HandParams::self_contacts`]) MuJoCo's 18 pairs
//!   among them ([`kinematics::SELF_CONTACT_PAIRS`]) collide too, without friction (as condim 1),
//!   picked by a [`PhysicsHooks`] filter; no other pair of the hand's own colliders does.

pub mod kinematics;
pub mod object;

use rapier3d::glamx::{DQuat, DVec3};
use rapier3d::prelude::*;
use serde::{Deserialize, Serialize};

use kinematics::{Frame, Shape, ACTUATORS, COUPLED_JOINTS, FINGERTIPS, LINKS, N_ACTUATORS, N_JOINTS};

use crate::error::positive;
use crate::{BodyError, SnapshotError};
use object::{Object, ObjectShape};

/// Collision group of the hand's colliders.
pub const HAND_GROUP: Group = Group::GROUP_1;
/// Collision group of manipulated objects and the ground.
pub const OBJECT_GROUP: Group = Group::GROUP_2;

/// How the hand is simulated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandParams {
    /// Physics substep (s); 8 ms (5 per 0.04 s control period), the one every hand task and
    /// measurement in nerve uses.
    pub physics_dt: f64,
    /// Rapier solver iterations per substep.
    pub solver_iterations: usize,
    /// Gravity along world z (m/s²).
    pub gravity: f64,
    /// Friction coefficient of the hand's colliders (MuJoCo's sliding friction, 1).
    pub friction: f64,
    /// MuJoCo's frictionless finger–finger and thumb–palm contact pairs. Off by default: on, they
    /// cost a quarter of the hand's speed (924 → 701 env steps/s on HandBlock-v0, below
    /// MuJoCo's 726) and the ring and little fingers chatter against each other (0.05 rad/s
    /// after 2 s at rest), while they bring RFJ2's sag under gravity to MuJoCo's −0.059 rad.
    pub self_contacts: bool,
}

impl Default for HandParams {
    fn default() -> Self {
        Self { physics_dt: 0.008, solver_iterations: 1, gravity: -9.81, friction: 1.0, self_contacts: false }
    }
}

impl HandParams {
    pub fn validate(&self) -> Result<(), BodyError> {
        positive("physics_dt", self.physics_dt)?;
        positive("friction", self.friction)?;
        if self.solver_iterations == 0 {
            return Err(BodyError::new("solver_iterations", 0, "≥ 1"));
        }
        if !self.gravity.is_finite() {
            return Err(BodyError::new("gravity", self.gravity, "a finite number (m/s²)"));
        }
        Ok(())
    }
}

fn to_pose(frame: &Frame) -> Pose {
    Pose::from_parts(frame.translation.as_vec3(), frame.rotation.as_quat())
}

fn from_pose(pose: &Pose) -> Frame {
    Frame { rotation: pose.rotation.as_dquat(), translation: pose.translation.as_dvec3() }
}

fn vec3(v: [f64; 3]) -> DVec3 {
    DVec3::new(v[0], v[1], v[2])
}

fn quat(q: [f64; 4]) -> DQuat {
    DQuat::from_xyzw(q[1], q[2], q[3], q[0]).normalize()
}

/// The hand in its own Rapier world. Objects are added to [`Hand::world_mut`] by the tasks, in
/// [`OBJECT_GROUP`].
pub struct Hand {
    params: HandParams,
    world: PhysicsWorld,
    /// Rigid-body handle of each link, in [`LINKS`] order (0: the welded forearm).
    links: Vec<RigidBodyHandle>,
    /// Multibody joint handle of each jointed link (index k ↔ joint k).
    joints: Vec<MultibodyJointHandle>,
    /// Servo targets (rad), one per actuator.
    targets: [f64; N_ACTUATORS],
    time: f64,
    /// The self-contact pairs that collide (each ordered), when `self_contacts`.
    self_pairs: Vec<(ColliderHandle, ColliderHandle)>,
}

/// The contact filter of the hand's own colliders: only [`kinematics::SELF_CONTACT_PAIRS`]
/// collide, frictionless; every other pair as Rapier would.
struct SelfContacts<'a> {
    pairs: &'a [(ColliderHandle, ColliderHandle)],
}

impl SelfContacts<'_> {
    fn is_hand(colliders: &ColliderSet, h: ColliderHandle) -> bool {
        colliders.get(h).is_some_and(|c| c.collision_groups().memberships.contains(HAND_GROUP))
    }

    fn ordered(a: ColliderHandle, b: ColliderHandle) -> (ColliderHandle, ColliderHandle) {
        if a.into_raw_parts() <= b.into_raw_parts() { (a, b) } else { (b, a) }
    }
}

impl PhysicsHooks for SelfContacts<'_> {
    fn filter_contact_pair(&self, context: &PairFilterContext) -> Option<SolverFlags> {
        if Self::is_hand(context.colliders, context.collider1) && Self::is_hand(context.colliders, context.collider2) {
            let pair = Self::ordered(context.collider1, context.collider2);
            return self.pairs.contains(&pair).then_some(SolverFlags::COMPUTE_RIGID_IMPULSES);
        }
        // Rapier's own rule, which a filter replaces: no contacts between two non-dynamic bodies.
        let dynamic = |b: Option<RigidBodyHandle>| b.and_then(|b| context.bodies.get(b)).is_some_and(|b| b.is_dynamic());
        (dynamic(context.rigid_body1) || dynamic(context.rigid_body2)).then_some(SolverFlags::COMPUTE_RIGID_IMPULSES)
    }

    fn modify_solver_contacts(&self, context: &mut ContactModificationContext) {
        if Self::is_hand(context.colliders, context.collider1) && Self::is_hand(context.colliders, context.collider2) {
            if let Some(m) = context.rigid_mut() {
                *m.friction = 0.0;
            }
        }
    }
}

impl Hand {
    /// Builds the hand at zero joint angles, servo targets at the middle of their ranges.
    pub fn new(params: HandParams) -> Result<Self, BodyError> {
        params.validate()?;
        let targets = ACTUATORS.map(|a| 0.5 * (LINKS[a.joint + 1].range[0] + LINKS[a.joint + 1].range[1]));
        let mut hand = Hand { params, world: PhysicsWorld::default(), links: Vec::new(), joints: Vec::new(), targets, time: 0.0, self_pairs: Vec::new() };
        hand.rebuild();
        Ok(hand)
    }

    fn rebuild(&mut self) {
        let p = &self.params;
        let mut world = PhysicsWorld::default();
        world.gravity = Vector::new(0.0, 0.0, p.gravity as Real);
        world.integration_parameters.dt = p.physics_dt as Real;
        world.integration_parameters.num_solver_iterations = p.solver_iterations;
        // What keeps a resting object still on the palm (measured: 2.5 mm creep in 10 s without).
        world.integration_parameters.friction_in_bias_pass = true;

        let frames = kinematics::forward_kinematics(&[0.0; N_JOINTS]);
        self.links.clear();
        self.joints.clear();
        let mut link_colliders: Vec<Vec<ColliderHandle>> = Vec::with_capacity(LINKS.len());
        let (hand_filter, hooks) = if p.self_contacts {
            (HAND_GROUP | OBJECT_GROUP, ActiveHooks::FILTER_CONTACT_PAIRS | ActiveHooks::MODIFY_SOLVER_CONTACTS)
        } else {
            (OBJECT_GROUP, ActiveHooks::empty())
        };
        for (k, link) in LINKS.iter().enumerate() {
            let mprops = MassProperties::with_principal_inertia_frame(
                vec3(link.center_of_mass).as_vec3(),
                link.mass as Real,
                vec3(link.principal_inertia).as_vec3(),
                quat(link.inertia_rotation).as_quat(),
            );
            let builder = if link.parent.is_none() { RigidBodyBuilder::fixed() } else { RigidBodyBuilder::dynamic() };
            let body = builder.pose(to_pose(&frames[k])).additional_mass_properties(mprops).can_sleep(false).build();
            let handle = world.bodies.insert(body);
            let mut handles = Vec::new();
            for c in kinematics::colliders(k) {
                let shape = match c.shape {
                    Shape::Capsule { radius, half_length } => ColliderBuilder::capsule_z(half_length as Real, radius as Real),
                    Shape::Cuboid { half_extents: [x, y, z] } => ColliderBuilder::cuboid(x as Real, y as Real, z as Real),
                };
                let collider = shape
                    .position(Pose::from_parts(vec3(c.position).as_vec3(), quat(c.rotation).as_quat()))
                    .density(0.0)
                    .friction(p.friction as Real)
                    .collision_groups(InteractionGroups::new(HAND_GROUP, hand_filter, InteractionTestMode::And))
                    .active_hooks(hooks)
                    .build();
                handles.push(world.colliders.insert_with_parent(collider, handle, &mut world.bodies));
            }
            link_colliders.push(handles);
            self.links.push(handle);
            if let Some(parent) = link.parent {
                // The hinge turns about the joint frame's x: frame 1 puts it at the link's origin
                // and rest orientation in the parent, with x along the axis; frame 2 is the same
                // axis frame in the link.
                let axis_frame = DQuat::from_rotation_arc(DVec3::X, vec3(link.axis).normalize());
                let frame1 = Frame { rotation: quat(link.rotation) * axis_frame, translation: vec3(link.position) };
                let frame2 = Frame { rotation: axis_frame, translation: DVec3::ZERO };
                let locked = JointAxesMask::LIN_AXES | JointAxesMask::ANG_Y | JointAxesMask::ANG_Z;
                let mut joint = GenericJointBuilder::new(locked)
                    .local_frame1(to_pose(&frame1))
                    .local_frame2(to_pose(&frame2))
                    .limits(JointAxis::AngX, [link.range[0] as Real, link.range[1] as Real])
                    .contacts_enabled(false)
                    .build();
                if let Some(a) = ACTUATORS.iter().position(|a| a.joint + 1 == k) {
                    let actuator = &ACTUATORS[a];
                    joint.set_motor_model(JointAxis::AngX, MotorModel::ForceBased);
                    joint.set_motor_position(JointAxis::AngX, self.targets[a] as Real, actuator.kp as Real, 0.0);
                    joint.set_motor_max_force(JointAxis::AngX, actuator.force_limit as Real);
                }
                let h = world.multibody_joints.insert(self.links[parent], handle, joint, true).expect("a tree of hinges is a valid multibody");
                self.joints.push(h);
            }
        }

        // One step of zero length lets Rapier compute the links' mass properties; then MuJoCo's
        // passive joint terms (the multibody's DOFs are in link order, one per hinge).
        self.self_pairs.clear();
        if p.self_contacts {
            let find = |(link, i): (&str, usize)| link_colliders[LINKS.iter().position(|l| l.name == link).expect("a link of the hand")][i];
            for (a, b) in kinematics::SELF_CONTACT_PAIRS {
                self.self_pairs.push(SelfContacts::ordered(find(a), find(b)));
            }
        }
        world.integration_parameters.dt = 0.0;
        world.step_with_events(&SelfContacts { pairs: &self.self_pairs }, &());
        world.integration_parameters.dt = p.physics_dt as Real;
        let (mb, _) = world.multibody_joints.get_mut(self.joints[0]).expect("the hand's multibody");
        assert_eq!(mb.ndofs(), N_JOINTS, "one DOF per hinge");
        for (j, link) in LINKS[1..].iter().enumerate() {
            mb.damping_mut()[j] = link.damping as Real;
            mb.armature_mut()[j] = link.armature as Real;
        }
        self.world = world;
        self.time = 0.0;
    }

    pub fn params(&self) -> &HandParams {
        &self.params
    }

    /// Simulated time since the hand was built or last put in a state (s).
    pub fn time(&self) -> f64 {
        self.time
    }

    pub fn world(&self) -> &PhysicsWorld {
        &self.world
    }

    /// The Rapier world, for adding objects (in [`OBJECT_GROUP`], filtering [`HAND_GROUP`]).
    pub fn world_mut(&mut self) -> &mut PhysicsWorld {
        &mut self.world
    }

    fn multibody(&self) -> &Multibody {
        self.world.multibody_joints.get(self.joints[0]).expect("the hand's multibody").0
    }

    /// Joint angles (rad), [`kinematics::JOINT_NAMES`] order.
    pub fn joint_positions(&self) -> [f64; N_JOINTS] {
        let mb = self.multibody();
        std::array::from_fn(|j| mb.link(j + 1).expect("hinge link").joint().coords()[3] as f64)
    }

    /// Joint angular velocities (rad/s).
    pub fn joint_velocities(&self) -> [f64; N_JOINTS] {
        let v = self.multibody().generalized_velocity();
        std::array::from_fn(|j| v[j] as f64)
    }

    /// Puts the hand at joint angles `q` (rad) at rest. Angles outside a joint's range are
    /// clamped into it.
    pub fn set_joint_positions(&mut self, q: &[f64; N_JOINTS]) {
        let clamped: [f64; N_JOINTS] = std::array::from_fn(|j| q[j].clamp(LINKS[j + 1].range[0], LINKS[j + 1].range[1]));
        let current = self.joint_positions();
        let delta: Vec<Real> = clamped.iter().zip(&current).map(|(a, b)| (a - b) as Real).collect();
        let (mb, _) = self.world.multibody_joints.get_mut(self.joints[0]).expect("the hand's multibody");
        mb.apply_displacements(&delta);
        mb.generalized_velocity_mut().fill(0.0);
        mb.forward_kinematics(&self.world.bodies, false);
        mb.update_rigid_bodies(&mut self.world.bodies, false);
        for &h in &self.links[1..] {
            let rb = &mut self.world.bodies[h];
            rb.set_linvel(Vector::ZERO, true);
            rb.set_angvel(Vector::ZERO, true);
        }
    }

    /// Servo targets (rad), one per actuator.
    pub fn targets(&self) -> &[f64; N_ACTUATORS] {
        &self.targets
    }

    /// Sets the servo targets (rad); each is clamped to its control range. A non-finite target
    /// is an error and changes nothing.
    pub fn set_targets(&mut self, targets: &[f64; N_ACTUATORS]) -> Result<(), BodyError> {
        if let Some(i) = targets.iter().position(|t| !t.is_finite()) {
            return Err(BodyError::new("targets", format!("{} at actuator {i}", targets[i]), "finite angles (rad)"));
        }
        for (a, actuator) in ACTUATORS.iter().enumerate() {
            let [lo, hi] = LINKS[actuator.joint + 1].range;
            self.targets[a] = targets[a].clamp(lo, hi);
        }
        let (mb, _) = self.world.multibody_joints.get_mut(self.joints[0]).expect("the hand's multibody");
        for (a, actuator) in ACTUATORS.iter().enumerate() {
            let joint = &mut mb.link_mut(actuator.joint + 1).expect("hinge link").joint.data;
            joint.set_motor_position(JointAxis::AngX, self.targets[a] as Real, actuator.kp as Real, 0.0);
        }
        Ok(())
    }

    /// Advances by `substeps` physics steps, the servo targets held.
    pub fn step(&mut self, substeps: usize) {
        for _ in 0..substeps {
            self.update_coupling();
            self.world.step_with_events(&SelfContacts { pairs: &self.self_pairs }, &());
            self.time += self.params.physics_dt;
        }
    }

    /// Moves each distal joint's limits to the tendon's band at the middle joint's angle at the end
    /// of the coming substep (its angle plus its speed times the substep: the limits then lag the
    /// middle joint by the change of its speed within one substep only).
    fn update_coupling(&mut self) {
        let q = self.joint_positions();
        let qd = self.joint_velocities();
        let dt = self.params.physics_dt;
        let (mb, _) = self.world.multibody_joints.get_mut(self.joints[0]).expect("the hand's multibody");
        for (distal, middle) in COUPLED_JOINTS {
            let [lo, hi] = kinematics::coupled_range(q[middle] + qd[middle] * dt, LINKS[distal + 1].range);
            mb.link_mut(distal + 1).expect("hinge link").joint.data.set_limits(JointAxis::AngX, [lo as Real, hi as Real]);
        }
    }

    /// Every link's frame in the world as Rapier has it, [`LINKS`] order.
    pub fn link_frames(&self) -> Vec<Frame> {
        self.links.iter().map(|&h| from_pose(self.world.bodies[h].position())).collect()
    }

    /// Adds a free box of half-extents `half_extents` (m) and density `density` (kg/m³) with its
    /// centre at `position` (m, world), axis-aligned: [`Hand::add_object`] of a box.
    /// Gymnasium-Robotics' block is `[0.025; 3]` at 567 kg/m³ (70.9 g), dropped from (1, 0.87, 0.2).
    pub fn add_box(&mut self, half_extents: [f64; 3], density: f64, position: [f64; 3]) -> Result<RigidBodyHandle, BodyError> {
        self.add_object(&Object { shape: ObjectShape::Box { half_extents }, density }, position, [1.0, 0.0, 0.0, 0.0])
    }

    /// Adds a free object ([`object`]) with its centre at `position` (m, world) and orientation
    /// `rotation` (unit quaternion (w, x, y, z), normalised here), at rest, in [`OBJECT_GROUP`]:
    /// it touches the hand, the floor and other objects, with the hand's friction coefficient.
    pub fn add_object(&mut self, object: &Object, position: [f64; 3], rotation: [f64; 4]) -> Result<RigidBodyHandle, BodyError> {
        object.validate()?;
        check_pose(position, rotation)?;
        let mass = object.mass();
        let (linear_damping, angular_damping) = object.damping_rates();
        let mprops = MassProperties::new(Vector::ZERO, mass as Real, vec3(object.principal_inertia()).as_vec3());
        let body = RigidBodyBuilder::dynamic()
            .pose(Pose::from_parts(vec3(position).as_vec3(), quat(rotation).as_quat()))
            .additional_mass_properties(mprops)
            .linear_damping(linear_damping as Real)
            .angular_damping(angular_damping as Real)
            .can_sleep(false)
            .build();
        let handle = self.world.bodies.insert(body);
        let shape = match object.shape {
            ObjectShape::Box { half_extents: [x, y, z] } => ColliderBuilder::cuboid(x as Real, y as Real, z as Real),
            ObjectShape::Capsule { radius, half_length } => ColliderBuilder::capsule_z(half_length as Real, radius as Real),
            // Rapier's cylinder lies along y: a quarter turn about x puts it along z.
            ObjectShape::Cylinder { radius, half_length } => ColliderBuilder::cylinder(half_length as Real, radius as Real)
                .rotation(Vector::new(std::f32::consts::FRAC_PI_2, 0.0, 0.0)),
            ObjectShape::Ellipsoid { radii } => {
                let points: Vec<Vector> = object::ellipsoid_points(radii, 8).iter().map(|p| vec3(*p).as_vec3()).collect();
                ColliderBuilder::convex_hull(&points).ok_or_else(|| BodyError::new("radii", format!("{radii:?}"), "semi-axes whose points span a volume"))?
            }
        };
        let collider = shape
            .density(0.0)
            .friction(self.params.friction as Real)
            .collision_groups(InteractionGroups::new(OBJECT_GROUP, HAND_GROUP | OBJECT_GROUP, InteractionTestMode::And))
            .build();
        self.world.colliders.insert_with_parent(collider, handle, &mut self.world.bodies);
        Ok(handle)
    }

    /// Adds the floor: a fixed half-space below world height `height` (m), in [`OBJECT_GROUP`]
    /// (objects land on it; the hand does not reach it). Gymnasium-Robotics' floor is at 0 m
    /// (−0.2 m under the pen).
    pub fn add_floor(&mut self, height: f64) -> Result<ColliderHandle, BodyError> {
        if !height.is_finite() {
            return Err(BodyError::new("floor height", height, "a finite height (m)"));
        }
        let collider = ColliderBuilder::new(SharedShape::halfspace(Vector::Z))
            .translation(Vector::new(0.0, 0.0, height as Real))
            .friction(self.params.friction as Real)
            .collision_groups(InteractionGroups::new(OBJECT_GROUP, OBJECT_GROUP, InteractionTestMode::And))
            .build();
        Ok(self.world.colliders.insert(collider))
    }

    /// A rigid body's centre position (m, world).
    pub fn body_position(&self, handle: RigidBodyHandle) -> [f64; 3] {
        self.world.bodies[handle].translation().as_dvec3().to_array()
    }

    /// A rigid body's orientation, unit quaternion (w, x, y, z), world frame.
    pub fn body_rotation(&self, handle: RigidBodyHandle) -> [f64; 4] {
        let q = self.world.bodies[handle].rotation().as_dquat();
        [q.w, q.x, q.y, q.z]
    }

    /// A rigid body's linear velocity (m/s) and angular velocity (rad/s), world frame.
    pub fn body_velocity(&self, handle: RigidBodyHandle) -> ([f64; 3], [f64; 3]) {
        let rb = &self.world.bodies[handle];
        (rb.linvel().as_dvec3().to_array(), rb.angvel().as_dvec3().to_array())
    }

    /// Puts a free body at `position` (m) and orientation `rotation` ((w, x, y, z), normalised
    /// here), at rest. A non-finite or zero pose is an error and changes nothing.
    pub fn set_body_pose(&mut self, handle: RigidBodyHandle, position: [f64; 3], rotation: [f64; 4]) -> Result<(), BodyError> {
        check_pose(position, rotation)?;
        let rb = &mut self.world.bodies[handle];
        rb.set_position(Pose::from_parts(vec3(position).as_vec3(), quat(rotation).as_quat()), true);
        rb.set_linvel(Vector::ZERO, true);
        rb.set_angvel(Vector::ZERO, true);
        Ok(())
    }

    /// The five fingertip sites' world positions (m), [`FINGERTIPS`] order.
    pub fn fingertip_positions(&self) -> [[f64; 3]; 5] {
        FINGERTIPS.map(|(link, site)| from_pose(self.world.bodies[self.links[link]].position()).apply(vec3(site)).to_array())
    }

    /// Everything that decides the hand's future (and that of the objects in its world), as
    /// CBOR bytes: the whole Rapier world (bodies, colliders, the multibody with its joint
    /// coordinates and limits, contact manifolds with their warm-start impulses; Rapier's serde
    /// support), the servo targets and the time. [`Hand::restore`] continues bit for bit.
    pub fn snapshot(&self) -> Vec<u8> {
        let snapshot = SnapshotRef { params: &self.params, world: &self.world, targets: &self.targets, time: self.time };
        let mut bytes = Vec::new();
        ciborium::into_writer(&snapshot, &mut bytes).expect("writing CBOR into memory cannot fail");
        bytes
    }

    /// Restores a [`Hand::snapshot`] of a hand with the same parameters. On error the hand is
    /// unchanged.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        let s: SnapshotOwned = ciborium::from_reader(bytes).map_err(|e| SnapshotError::new(format!("not a readable hand snapshot ({e})")))?;
        if s.params != self.params {
            return Err(SnapshotError::new(format!("taken from a hand with other parameters ({:?}), not {:?}", s.params, self.params)));
        }
        if s.world.multibody_joints.get(self.joints[0]).is_none() || self.links.iter().any(|&h| s.world.bodies.get(h).is_none()) {
            return Err(SnapshotError::new("the Rapier world does not hold this hand's links"));
        }
        if s.targets.len() != N_ACTUATORS || s.targets.iter().any(|t| !t.is_finite()) {
            return Err(SnapshotError::new("servo targets of the wrong count or not finite"));
        }
        self.world = s.world;
        self.targets.copy_from_slice(&s.targets);
        self.time = s.time;
        Ok(())
    }
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    params: &'a HandParams,
    world: &'a PhysicsWorld,
    targets: &'a [f64; N_ACTUATORS],
    time: f64,
}

#[derive(Deserialize)]
struct SnapshotOwned {
    params: HandParams,
    world: PhysicsWorld,
    targets: Vec<f64>,
    time: f64,
}

fn check_pose(position: [f64; 3], rotation: [f64; 4]) -> Result<(), BodyError> {
    if let Some(i) = position.iter().position(|x| !x.is_finite()) {
        return Err(BodyError::new("position", position[i], "finite coordinates (m)"));
    }
    let norm = rotation.iter().map(|q| q * q).sum::<f64>().sqrt();
    if !(norm.is_finite() && norm > 1e-9) {
        return Err(BodyError::new("rotation", format!("{rotation:?}"), "a non-zero finite quaternion (w, x, y, z)"));
    }
    Ok(())
}
