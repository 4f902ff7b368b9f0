//! dm_control's N-link swimmer as a Rapier multibody.
//!
//! Frames and conventions (SI throughout):
//!
//! * World: the swimmer moves in the x–y plane; z is up. No gravity, no contacts.
//! * Link `i` (0 = the head) is a 0.1 m rod whose frame sits at its centre of
//!   mass with the rod along its own +y axis. The head's forward direction is
//!   its −y axis; each further link hangs behind the previous one, on a hinge
//!   about z at its proximal (−y) end, which is the distal (+y) end of its parent.
//! * Generalised coordinates, as MuJoCo's `qpos`: the head's centre-of-mass
//!   position `(x, y)` (m) and yaw `θ` (rad) (a planar joint to a fixed ground
//!   body), then the `N − 1` hinge angles `q_i` (rad), positive counter-clockwise.
//!   Generalised velocities likewise, `(ẋ, ẏ)` in the world frame.
//! * Actuators: hinge `i` is driven by a motor of torque `gear · u_i` (N·m), `u_i ∈ [−1, 1]`,
//!   acting on the child link and, reversed, on its parent.
//! * Fluid: [`InertiaBoxDrag`] on every link, from each link's velocity at its
//!   centre of mass computed from the *current* generalised velocities (a
//!   multibody link's `linvel()` lags one step behind them in Rapier 0.36).
//! * Joint limits: MuJoCo's soft limits ([`SoftLimitParams`]) as implicit joint
//!   terms, sized by each hinge's inverse inertia at the straight pose (MuJoCo's
//!   `dof_invweight0`).

use rapier3d::prelude::*;
use serde::{Deserialize, Serialize};

use crate::fluid::InertiaBoxDrag;
use crate::soft_limit::{LimitTerms, SoftLimitParams};
use crate::error::positive;
use crate::{BodyError, SnapshotError};

/// Spatial index of the angular z axis in Rapier's 6-DOF joint layout.
const ANG_Z: usize = 5;

/// Physical parameters of the swimmer. Defaults are dm_control's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SwimmerParams {
    /// Number of links N (≥ 3); there are N − 1 hinges.
    pub n_links: usize,
    /// Link length (m).
    pub link_length: f64,
    /// Link mass (kg).
    pub link_mass: f64,
    /// Half-sizes (m) of the solid box whose inertia each link has: (0.001, 0.05, 0.01).
    pub link_half_sizes: [f64; 3],
    /// Hinge range ±`joint_range` (rad); `None` gives dm_control's 2π/N.
    pub joint_range: Option<f64>,
    /// Hinge armature (kg·m²).
    pub armature: f64,
    /// Motor gear (N·m per unit of control) of the ideal torque actuators.
    pub gear: f64,
    /// DC motors at the hinges instead of ideal torque sources ([`crate::motor::actuator`]):
    /// the command is each motor's duty cycle, the hinge speed drives its back-EMF, and its
    /// rotor's reflected inertia adds to the hinge's armature. `None`: torque `gear · u`.
    pub dc_motors: Option<crate::motor::actuator::DcActuatorParams>,
    /// Fluid density (kg/m³).
    pub fluid_density: f64,
    /// Whether the hinge ranges are enforced (as MuJoCo's soft limits).
    pub joint_limits: bool,
    /// Physics step (s): the interval at which the explicit forces (fluid drag, motor torques)
    /// and the joint limits' activation are updated, and one Rapier pipeline step.
    pub physics_dt: f64,
    /// Rapier substeps per physics step (`num_solver_iterations`): the multibody's mass matrix
    /// and the implicit joint terms (the soft limits' springs and dampers) are refreshed at
    /// `physics_dt / solver_substeps`, without the pipeline's fixed cost per step.
    pub solver_substeps: usize,
}

impl SwimmerParams {
    /// A hinge's armature (kg·m²): its own, plus its DC motor's reflected rotor inertia.
    pub fn hinge_armature(&self) -> f64 {
        self.armature + self.dc_motors.map_or(0.0, |m| m.reflected_inertia())
    }
}

impl Default for SwimmerParams {
    fn default() -> Self {
        Self {
            n_links: 6,
            link_length: 0.1,
            link_mass: 0.01,
            link_half_sizes: [0.001, 0.05, 0.01],
            joint_range: None,
            armature: 1e-6,
            gear: 5e-4,
            dc_motors: None,
            fluid_density: 3000.0,
            joint_limits: true,
            physics_dt: 0.015,
            solver_substeps: 2,
        }
    }
}

impl SwimmerParams {
    /// Default parameters with `n_links` links.
    pub fn with_links(n_links: usize) -> Self {
        Self { n_links, ..Self::default() }
    }

    /// The hinge range (rad): ±this.
    pub fn joint_range(&self) -> f64 {
        self.joint_range.unwrap_or(2.0 * std::f64::consts::PI / self.n_links as f64)
    }

    /// Principal moments of inertia (kg·m²) of a link: those of its solid box.
    pub fn link_inertia(&self) -> [f64; 3] {
        let m = self.link_mass;
        let [a, b, c] = self.link_half_sizes.map(|h| 2.0 * h);
        [m * (b * b + c * c) / 12.0, m * (a * a + c * c) / 12.0, m * (a * a + b * b) / 12.0]
    }

    /// Checks every parameter; the error names the first bad one.
    pub fn validate(&self) -> Result<(), BodyError> {
        const MAX_LINKS: usize = 64;
        if !(3..=MAX_LINKS).contains(&self.n_links) {
            return Err(BodyError::new("n_links", self.n_links, format!("an integer in 3..={MAX_LINKS}")));
        }
        positive("link_length", self.link_length)?;
        positive("link_mass", self.link_mass)?;
        for h in self.link_half_sizes {
            positive("link_half_sizes", h)?;
        }
        positive("gear", self.gear)?;
        if let Some(m) = &self.dc_motors {
            m.validate()?;
        }
        positive("physics_dt", self.physics_dt)?;
        if !(1..=64).contains(&self.solver_substeps) {
            return Err(BodyError::new("solver_substeps", self.solver_substeps, "an integer in 1..=64"));
        }
        if let Some(r) = self.joint_range {
            if !(r.is_finite() && r > 0.0 && r <= std::f64::consts::PI) {
                return Err(BodyError::new("joint_range", r, "radians in (0, π]"));
            }
        }
        if !(self.armature.is_finite() && self.armature >= 0.0) {
            return Err(BodyError::new("armature", self.armature, "a finite number ≥ 0"));
        }
        if !(self.fluid_density.is_finite() && self.fluid_density >= 0.0) {
            return Err(BodyError::new("fluid_density", self.fluid_density, "a finite number ≥ 0"));
        }
        Ok(())
    }
}

/// The swimmer's state in generalised coordinates (see the module doc).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SwimmerState {
    /// Head centre of mass `(x, y)` (m) and yaw `θ` (rad).
    pub root: [f32; 3],
    /// `(ẋ, ẏ)` (m/s, world frame) and `θ̇` (rad/s).
    pub root_vel: [f32; 3],
    /// Hinge angles (rad), head to tail.
    pub joints: Vec<f32>,
    /// Hinge angular velocities (rad/s).
    pub joint_vels: Vec<f32>,
}

/// A link's planar pose and velocity at its centre of mass, world frame.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LinkKinematics {
    /// Centre of mass (m).
    pub position: [f32; 2],
    /// Yaw (rad): the angle from the world's y axis to the link's y axis.
    pub yaw: f32,
    /// Velocity of the centre of mass (m/s).
    pub velocity: [f32; 2],
    /// Angular velocity about z (rad/s).
    pub angular_velocity: f32,
}

impl LinkKinematics {
    /// The velocity of the centre of mass in the link's own frame (m/s).
    pub fn local_velocity(&self) -> [f32; 2] {
        let (s, c) = self.yaw.sin_cos();
        let [vx, vy] = self.velocity;
        [c * vx + s * vy, -s * vx + c * vy]
    }
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    params: &'a SwimmerParams,
    world: &'a PhysicsWorld,
    q: &'a [f32],
    qd: &'a [f32],
    qd_before: &'a [f32],
    time: f64,
    unconstrained_acc: &'a [Option<f32>],
    applied_limit: &'a [Option<(LimitTerms, f32)>],
    motors: &'a [crate::motor::actuator::DcActuator],
    electrical_energy: f64,
}

#[derive(Deserialize)]
struct SnapshotOwned {
    params: SwimmerParams,
    world: PhysicsWorld,
    q: Vec<f32>,
    qd: Vec<f32>,
    qd_before: Vec<f32>,
    time: f64,
    unconstrained_acc: Vec<Option<f32>>,
    applied_limit: Vec<Option<(LimitTerms, f32)>>,
    motors: Vec<crate::motor::actuator::DcActuator>,
    electrical_energy: f64,
}

/// dm_control's swimmer on Rapier. Build with [`Swimmer::new`], place with
/// [`Swimmer::set_state`], drive with [`Swimmer::step`].
pub struct Swimmer {
    params: SwimmerParams,
    range: f32,
    drag: InertiaBoxDrag,
    limit: SoftLimitParams,
    /// Each hinge's inverse inertia at the straight pose, 1/(kg·m²) (MuJoCo's `dof_invweight0`).
    inv_weight0: Vec<f64>,
    world: PhysicsWorld,
    links: Vec<RigidBodyHandle>,
    root_joint: MultibodyJointHandle,
    /// Generalised coordinates and velocities, refreshed after every physics step.
    q: Vec<f32>,
    qd: Vec<f32>,
    qd_before: Vec<f32>,
    kinematics: Vec<LinkKinematics>,
    time: f64,
    /// Per hinge: the unconstrained acceleration (rad/s², without the limit's force) estimated
    /// from the latest physics step; `None` right after `set_state`.
    unconstrained_acc: Vec<Option<f32>>,
    /// Per hinge: the limit terms applied in the latest physics step, and their rest angle.
    applied_limit: Vec<Option<(LimitTerms, f32)>>,
    /// Per hinge: its DC motor (empty with ideal actuators), and the torque of the latest physics step (N·m).
    motors: Vec<crate::motor::actuator::DcActuator>,
    hinge_torque: Vec<f32>,
    /// Electrical energy drawn by the motors since the last `set_state` (J), and the mean power
    /// over the latest `step` (W).
    electrical_energy: f64,
    electrical_power: f64,
}

impl std::fmt::Debug for Swimmer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Swimmer").field("params", &self.params).field("q", &self.q).field("time", &self.time).finish()
    }
}

impl Swimmer {
    /// Builds the swimmer straight and at rest, head at the origin pointing along −y.
    pub fn new(params: SwimmerParams) -> Result<Self, BodyError> {
        params.validate()?;
        let n = params.n_links;
        let drag = InertiaBoxDrag::new(params.link_half_sizes.map(|h| 2.0 * h), params.fluid_density);
        let motors = match params.dc_motors {
            Some(m) => vec![crate::motor::actuator::DcActuator::new(m)?; n - 1],
            None => Vec::new(),
        };
        let mut swimmer = Self {
            range: params.joint_range() as f32,
            drag,
            limit: SoftLimitParams::SWIMMER,
            inv_weight0: Vec::new(),
            world: PhysicsWorld::default(),
            links: Vec::with_capacity(n),
            root_joint: MultibodyJointHandle::invalid(),
            q: vec![0.0; n + 2],
            qd: vec![0.0; n + 2],
            qd_before: vec![0.0; n + 2],
            kinematics: vec![LinkKinematics::default(); n],
            time: 0.0,
            unconstrained_acc: vec![None; n - 1],
            applied_limit: vec![None; n - 1],
            motors,
            hinge_torque: vec![0.0; n - 1],
            electrical_energy: 0.0,
            electrical_power: 0.0,
            params,
        };
        swimmer.rebuild();
        swimmer.inv_weight0 = swimmer.compute_inv_weight0();
        swimmer.set_state(&SwimmerState { joints: vec![0.0; n - 1], joint_vels: vec![0.0; n - 1], ..Default::default() });
        Ok(swimmer)
    }

    fn compute_inv_weight0(&mut self) -> Vec<f64> {
        let world = &mut self.world;
        let (mb, _) = world.multibody_joints.get_mut(self.root_joint).expect("root joint exists");
        let inv = mb.dof_inverse_inertia(&world.bodies);
        (3..inv.len()).map(|i| inv[i] as f64).collect()
    }

    /// Creates a fresh Rapier world holding the straight swimmer (all coordinates zero).
    fn rebuild(&mut self) {
        let p = &self.params;
        let n = p.n_links;
        let [ix, iy, iz] = p.link_inertia();
        let half = p.link_length as f32 / 2.0;

        let mut world = PhysicsWorld::default();
        world.gravity = Vector::ZERO;
        world.integration_parameters.dt = p.physics_dt as Real;
        world.integration_parameters.num_solver_iterations = p.solver_substeps;

        let ground = world.bodies.insert(RigidBodyBuilder::fixed().build());
        let mprops = MassProperties::new(Vector::ZERO, p.link_mass as Real, Vector::new(ix as Real, iy as Real, iz as Real));
        self.links.clear();
        for i in 0..n {
            let body = RigidBodyBuilder::dynamic()
                .translation(Vector::new(0.0, 2.0 * half * i as Real, 0.0))
                .additional_mass_properties(mprops)
                .can_sleep(false)
                .build();
            self.links.push(world.bodies.insert(body));
        }
        let planar = GenericJointBuilder::new(JointAxesMask::LIN_Z | JointAxesMask::ANG_X | JointAxesMask::ANG_Y).build();
        self.root_joint = world.multibody_joints.insert(ground, self.links[0], planar, true).expect("planar root joint");
        let hinge_axes = JointAxesMask::LIN_AXES | JointAxesMask::ANG_X | JointAxesMask::ANG_Y;
        for i in 1..n {
            let hinge = GenericJointBuilder::new(hinge_axes)
                .local_anchor1(Vector::new(0.0, half, 0.0))
                .local_anchor2(Vector::new(0.0, -half, 0.0))
                .build();
            world.multibody_joints.insert(self.links[i - 1], self.links[i], hinge, true).expect("hinge joint");
        }

        // One step of zero length lets Rapier compute the links' mass properties and fix the
        // multibody's root on the ground (its joint is free until then). Then set MuJoCo's passive
        // joint properties: no damping, armature on the hinges only.
        world.integration_parameters.dt = 0.0;
        world.step();
        world.integration_parameters.dt = p.physics_dt as Real;
        let (mb, _) = world.multibody_joints.get_mut(self.root_joint).expect("root joint exists");
        assert_eq!(mb.ndofs(), n + 2, "planar root (3 DOFs) plus N − 1 hinges");
        mb.damping_mut().fill(0.0);
        mb.armature_mut().fill(0.0);
        for i in 3..n + 2 {
            mb.armature_mut()[i] = p.hinge_armature() as Real;
        }
        self.world = world;
    }

    /// The parameters the swimmer was built with.
    pub fn params(&self) -> &SwimmerParams {
        &self.params
    }

    /// Number of links N.
    pub fn n_links(&self) -> usize {
        self.params.n_links
    }

    /// Number of hinges, N − 1.
    pub fn n_joints(&self) -> usize {
        self.params.n_links - 1
    }

    /// Hinge range (rad): ±this.
    pub fn joint_range(&self) -> f32 {
        self.range
    }

    /// Each hinge's inverse inertia at the straight pose, 1/(kg·m²): MuJoCo's `dof_invweight0`.
    pub fn inv_weight0(&self) -> &[f64] {
        &self.inv_weight0
    }

    /// Simulated time since the last [`Swimmer::set_state`] (s).
    pub fn time(&self) -> f64 {
        self.time
    }

    /// Puts the swimmer in `state` exactly. The Rapier world is rebuilt, so the
    /// trajectory that follows depends on `state` and the commands alone.
    ///
    /// # Panics
    /// If `state` has the wrong number of hinges (a programming error).
    pub fn set_state(&mut self, state: &SwimmerState) {
        let nj = self.n_joints();
        assert_eq!(state.joints.len(), nj, "SwimmerState.joints must have N − 1 entries");
        assert_eq!(state.joint_vels.len(), nj, "SwimmerState.joint_vels must have N − 1 entries");
        self.rebuild();
        self.q[..3].copy_from_slice(&state.root);
        self.q[3..].copy_from_slice(&state.joints);
        self.qd[..3].copy_from_slice(&state.root_vel);
        self.qd[3..].copy_from_slice(&state.joint_vels);
        let world = &mut self.world;
        let (mb, _) = world.multibody_joints.get_mut(self.root_joint).expect("root joint exists");
        mb.apply_displacements(&self.q);
        mb.generalized_velocity_mut().copy_from_slice(&self.qd);
        mb.forward_kinematics(&world.bodies, false);
        mb.update_rigid_bodies(&mut world.bodies, false);
        self.time = 0.0;
        self.unconstrained_acc.fill(None);
        self.applied_limit.fill(None);
        self.motors.iter_mut().for_each(|m| m.reset());
        self.electrical_energy = 0.0;
        self.electrical_power = 0.0;
        self.update_kinematics();
        // Rapier reads the links' rigid-body velocities for the gyroscopic and Coriolis terms.
        for (k, &h) in self.kinematics.iter().zip(&self.links) {
            let rb = &mut self.world.bodies[h];
            rb.set_linvel(Vector::new(k.velocity[0], k.velocity[1], 0.0), true);
            rb.set_angvel(Vector::new(0.0, 0.0, k.angular_velocity), true);
        }
    }

    /// Everything that decides the swimmer's future, as CBOR bytes: the whole Rapier world
    /// (rigid bodies with their velocities, the multibody and its joints' coordinates; serialised
    /// with Rapier's serde support) and the per-step history the joint limits read (the previous
    /// step's velocities, unconstrained accelerations and applied limit terms). Restoring it with
    /// [`Swimmer::restore`] continues the trajectory bit for bit, unlike [`Swimmer::set_state`],
    /// which starts from generalised coordinates alone.
    pub fn snapshot(&self) -> Vec<u8> {
        let snapshot = SnapshotRef {
            params: &self.params,
            world: &self.world,
            q: &self.q,
            qd: &self.qd,
            qd_before: &self.qd_before,
            time: self.time,
            unconstrained_acc: &self.unconstrained_acc,
            applied_limit: &self.applied_limit,
            motors: &self.motors,
            electrical_energy: self.electrical_energy,
        };
        let mut bytes = Vec::new();
        ciborium::into_writer(&snapshot, &mut bytes).expect("writing CBOR into memory cannot fail");
        bytes
    }

    /// Restores a [`Swimmer::snapshot`] taken from a swimmer with the same parameters. On error
    /// the swimmer is unchanged.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        let s: SnapshotOwned = ciborium::from_reader(bytes).map_err(|e| SnapshotError::new(format!("not a readable swimmer snapshot ({e})")))?;
        if s.params != self.params {
            return Err(SnapshotError::new(format!("taken from a swimmer with other parameters ({:?}), not {:?}", s.params, self.params)));
        }
        let (n, nj) = (self.params.n_links + 2, self.n_joints());
        if [s.q.len(), s.qd.len(), s.qd_before.len()] != [n; 3] || s.unconstrained_acc.len() != nj || s.applied_limit.len() != nj {
            return Err(SnapshotError::new("state vectors of the wrong length"));
        }
        if s.world.multibody_joints.get(self.root_joint).is_none() || self.links.iter().any(|&h| s.world.bodies.get(h).is_none()) {
            return Err(SnapshotError::new("the Rapier world does not hold this swimmer's links"));
        }
        self.world = s.world;
        self.q = s.q;
        self.qd = s.qd;
        self.qd_before = s.qd_before;
        self.time = s.time;
        if s.motors.len() != self.motors.len() {
            return Err(SnapshotError::new("motor states of the wrong count"));
        }
        self.unconstrained_acc = s.unconstrained_acc;
        self.applied_limit = s.applied_limit;
        self.motors = s.motors;
        self.electrical_energy = s.electrical_energy;
        self.update_kinematics();
        Ok(())
    }

    /// The current state in generalised coordinates.
    pub fn state(&self) -> SwimmerState {
        SwimmerState {
            root: [self.q[0], self.q[1], self.q[2]],
            root_vel: [self.qd[0], self.qd[1], self.qd[2]],
            joints: self.q[3..].to_vec(),
            joint_vels: self.qd[3..].to_vec(),
        }
    }

    /// Generalised coordinates `(x, y, θ, q_1 … q_{N−1})`.
    pub fn qpos(&self) -> &[f32] {
        &self.q
    }

    /// Generalised velocities `(ẋ, ẏ, θ̇, q̇_1 … q̇_{N−1})`.
    pub fn qvel(&self) -> &[f32] {
        &self.qd
    }

    /// Hinge angles (rad), head to tail.
    pub fn joint_angles(&self) -> &[f32] {
        &self.q[3..]
    }

    /// Hinge angular velocities (rad/s), head to tail.
    pub fn joint_velocities(&self) -> &[f32] {
        &self.qd[3..]
    }

    /// Every link's pose and velocity (world frame), head first.
    pub fn links(&self) -> &[LinkKinematics] {
        &self.kinematics
    }

    /// The head's forward velocity (m/s): its centre of mass's velocity along its −y axis.
    pub fn head_forward_velocity(&self) -> f32 {
        -self.kinematics[0].local_velocity()[1]
    }

    /// Whether every coordinate and velocity is finite.
    pub fn is_finite(&self) -> bool {
        self.q.iter().chain(&self.qd).all(|x| x.is_finite())
    }

    /// `Err` with a description when the state has blown up: a non-finite coordinate, or a
    /// generalised velocity beyond [`Self::MAX_SPEED`]. (Rapier zeroes non-finite multibody
    /// accelerations, so a diverging integration shows as absurd but finite speeds.)
    pub fn check_state(&self) -> Result<(), String> {
        if !self.is_finite() {
            return Err("non-finite coordinate or velocity".into());
        }
        match self.qd.iter().map(|v| v.abs()).fold(0.0_f32, f32::max) {
            fastest if fastest > Self::MAX_SPEED => {
                Err(format!("a generalised velocity of {fastest:.3e} exceeds {:.0e} (m/s or rad/s)", Self::MAX_SPEED))
            }
            _ => Ok(()),
        }
    }

    /// Speeds (m/s or rad/s) no swimmer state reaches: the motors give at most ~50 rad/s² and the
    /// fluid brakes every motion.
    pub const MAX_SPEED: f32 = 1.0e3;

    /// Advances by `substeps` physics steps holding the hinge controls `u`
    /// (clipped to [−1, 1]; torque `gear · u` N·m).
    pub fn step(&mut self, u: &[f32], substeps: usize) {
        assert_eq!(u.len(), self.n_joints(), "one control per hinge");
        let energy_before = self.electrical_energy;
        for _ in 0..substeps {
            self.physics_step(u);
        }
        self.electrical_power = (self.electrical_energy - energy_before) / (substeps.max(1) as f64 * self.params.physics_dt);
    }

    /// Electrical energy the hinge motors drew since the last `set_state` (J; 0 with ideal actuators).
    pub fn electrical_energy(&self) -> f64 {
        self.electrical_energy
    }

    /// Mean electrical power of the hinge motors over the latest `step` (W).
    pub fn electrical_power(&self) -> f64 {
        self.electrical_power
    }

    /// The hinge motors' armature currents (A); empty with ideal actuators.
    pub fn motor_currents(&self) -> Vec<f64> {
        self.motors.iter().map(|m| m.current()).collect()
    }

    fn physics_step(&mut self, u: &[f32]) {
        let n = self.n_links();
        // Hinge torques: ideal (gear · u) or each DC motor's mean torque over the step at the
        // hinge's current speed.
        let dt = self.params.physics_dt;
        for j in 0..n - 1 {
            let uj = u[j].clamp(-1.0, 1.0);
            self.hinge_torque[j] = match self.motors.get_mut(j) {
                Some(m) => {
                    let out = m.step(uj as f64, self.qd[3 + j] as f64, dt);
                    self.electrical_energy += out.power * dt;
                    out.torque as f32
                }
                None => self.params.gear as f32 * uj,
            };
        }
        // Forces: drag on every link at its centre of mass, motor torques on each hinge's two links.
        for i in 0..n {
            let k = self.kinematics[i];
            let [vx, vy] = k.local_velocity();
            let [fx, fy, _] = self.drag.force([vx, vy, 0.0]);
            let [_, _, tz] = self.drag.torque([0.0, 0.0, k.angular_velocity]);
            let (s, c) = k.yaw.sin_cos();
            let mut torque = tz;
            if i + 1 < n {
                torque -= self.hinge_torque[i];
            }
            if i > 0 {
                torque += self.hinge_torque[i - 1];
            }
            let rb = &mut self.world.bodies[self.links[i]];
            rb.reset_forces(false);
            rb.reset_torques(false);
            rb.add_force(Vector::new(c * fx - s * fy, s * fx + c * fy, 0.0), false);
            rb.add_torque(Vector::new(0.0, 0.0, torque), false);
        }

        // Soft joint limits as implicit armature, damping and spring while a hinge is past its range
        // and the limit would push (MuJoCo's unilateral rule: f > 0 iff a_ref exceeds the
        // unconstrained acceleration along the limit's direction).
        if self.params.joint_limits {
            let range = self.range;
            let base_armature = self.params.hinge_armature() as Real;
            let (b, k) = self.limit.gains();
            let dt = self.params.physics_dt as f32;
            let (mb, _) = self.world.multibody_joints.get_mut(self.root_joint).expect("root joint exists");
            for j in 0..n - 1 {
                let (q0, v) = (self.q[3 + j], self.qd[3 + j]);
                // The impedance rises steeply from zero at the limit: evaluate the violation at the
                // step's predicted midpoint so that coarse steps engage the limit on time.
                let q = q0 + 0.5 * dt * v;
                let dof = 3 + j;
                let violation = q.abs() - range;
                let terms = if violation > 0.0 {
                    // Along the limit's push direction s = −sign(q): velocity s·v, distance r = −violation.
                    let s = -q.signum();
                    let d = self.limit.impedance(violation as f64);
                    let a_ref = -b * (s * v) as f64 + k * d * violation as f64;
                    let pushes = match self.unconstrained_acc[j] {
                        Some(a_unc) => a_ref > (s * a_unc) as f64,
                        None => true,
                    };
                    pushes.then(|| self.limit.joint_terms(violation as f64, self.inv_weight0[j])).flatten()
                } else {
                    None
                };
                let link = mb.link_mut(2 + j).expect("hinge link");
                match terms {
                    Some(t) => {
                        let rest = range.copysign(q);
                        link.joint.set_spring(ANG_Z, t.stiffness as Real, rest);
                        mb.armature_mut()[dof] = base_armature + t.armature as Real;
                        mb.damping_mut()[dof] = t.damping as Real;
                        self.applied_limit[j] = Some((t, rest));
                    }
                    None => {
                        link.joint.set_spring(ANG_Z, 0.0, 0.0);
                        mb.armature_mut()[dof] = base_armature;
                        mb.damping_mut()[dof] = 0.0;
                        self.applied_limit[j] = None;
                    }
                }
            }
            self.qd_before.copy_from_slice(&self.qd);
        }

        self.world.step();
        self.time += self.params.physics_dt;
        self.read_coordinates();
        self.update_kinematics();
        if self.params.joint_limits {
            self.estimate_unconstrained_acc();
        }
    }

    /// After a step: each hinge's acceleration less the part its limit caused, `a − A₀·τ_limit`.
    fn estimate_unconstrained_acc(&mut self) {
        let dt = self.params.physics_dt as f32;
        for j in 0..self.n_joints() {
            let (q, v) = (self.q[3 + j], self.qd[3 + j]);
            let a = (v - self.qd_before[3 + j]) / dt;
            let a_unc = match self.applied_limit[j] {
                Some((t, rest)) => {
                    let torque = -(t.armature as f32) * a - (t.damping as f32) * v - (t.stiffness as f32) * (q - rest);
                    a - self.inv_weight0[j] as f32 * torque
                }
                None => a,
            };
            self.unconstrained_acc[j] = Some(a_unc);
        }
    }

    fn read_coordinates(&mut self) {
        let (mb, _) = self.world.multibody_joints.get(self.root_joint).expect("root joint exists");
        let head = mb.link(1).expect("head link").joint().coords();
        self.q[0] = head[0];
        self.q[1] = head[1];
        self.q[2] = head[ANG_Z];
        for j in 0..self.params.n_links - 1 {
            self.q[3 + j] = mb.link(2 + j).expect("hinge link").joint().coords()[ANG_Z];
        }
        self.qd.copy_from_slice(mb.generalized_velocity().as_slice());
    }

    /// Planar forward kinematics of every link's centre of mass from `q` and `q̇`.
    fn update_kinematics(&mut self) {
        let half = self.params.link_length as f32 / 2.0;
        let (mut yaw, mut w) = (self.q[2], self.qd[2]);
        let mut p = [self.q[0], self.q[1]];
        let mut v = [self.qd[0], self.qd[1]];
        // Offset from a link's centre to its distal end, and that point's velocity relative to the centre.
        let half_axis = |yaw: f32, w: f32| {
            let (s, c) = yaw.sin_cos();
            let e = [-s * half, c * half];
            (e, [-w * e[1], w * e[0]])
        };
        self.kinematics[0] = LinkKinematics { position: p, yaw, velocity: v, angular_velocity: w };
        for i in 1..self.params.n_links {
            let (e0, de0) = half_axis(yaw, w);
            yaw += self.q[2 + i];
            w += self.qd[2 + i];
            let (e1, de1) = half_axis(yaw, w);
            p = [p[0] + e0[0] + e1[0], p[1] + e0[1] + e1[1]];
            v = [v[0] + de0[0] + de1[0], v[1] + de0[1] + de1[1]];
            self.kinematics[i] = LinkKinematics { position: p, yaw, velocity: v, angular_velocity: w };
        }
    }
}
