//! A small indoor blimp as one Rapier rigid body: an ellipsoidal envelope and a gondola, nearly
//! neutrally buoyant, with quadratic drag and a vertical thruster.
//!
//! Frames and conventions (SI throughout):
//!
//! * World: z up, gravity `−g ẑ`. The body frame has its origin at the envelope's centre (the
//!   centre of buoyancy), x along the envelope's long axis, z up; the gondola hangs below.
//! * Mass and inertia come from the shapes: a solid ellipsoid of the envelope's mass (skin, gas
//!   and fittings) and a solid box for the gondola, combined about their common centre of mass.
//! * Buoyancy `m g + net_lift` acts upward at the envelope's centre; Rapier applies gravity at the
//!   centre of mass. With the gondola below, the two form a righting couple. `net_lift < 0` is a
//!   heavier-than-air blimp: what makes integral action necessary to hold altitude.
//! * Drag: quadratic per body axis, `F_i = −½ ρ C_i A_i v_i |v_i|` (body frame) at the centre of
//!   mass, and a quadratic angular damping `τ_i = −k_ω ω_i |ω_i|`.
//! * Thruster: along body z at the centre of mass. The command `u` is clipped to [−1, 1]; inside
//!   the dead-zone `|u| < dead_zone` it gives nothing; otherwise the target thrust is
//!   `u · max_thrust_up` (u > 0) or `u · max_thrust_down` (u < 0; a small drivetrain pushes
//!   less in reverse). The thrust follows its target with a first-order lag of time constant
//!   `motor_tau`, integrated exactly over each physics step.
//! * Disturbances: an external force (a gust, N, world frame) at the centre of mass, held until
//!   changed ([`Blimp::set_disturbance_force`]), and a change of net lift in flight (ballast
//!   dropped or taken on, [`Blimp::set_net_lift`]).

use rapier3d::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{non_negative, positive};
use crate::{BodyError, SnapshotError};

/// Physical parameters; defaults are those of a small indoor blimp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlimpParams {
    /// Envelope semi-axes (m): 0.5 × 0.3 × 0.3 (1 m long).
    pub envelope_semi_axes: [f64; 3],
    /// Envelope mass: skin, lifting gas and fittings (kg).
    pub envelope_mass: f64,
    /// Gondola half-extents (m) and mass (kg), and how far its centre hangs below the envelope's (m).
    pub gondola_half_extents: [f64; 3],
    pub gondola_mass: f64,
    pub gondola_offset: f64,
    /// Buoyancy minus weight (N): negative sinks. −0.01 N ≈ 1 g too heavy.
    pub net_lift: f64,
    pub gravity: f64,
    /// Air density (kg/m³).
    pub air_density: f64,
    /// Drag coefficients along body x, y, z (dimensionless), on the envelope's projected areas.
    pub drag_coefficients: [f64; 3],
    /// Quadratic angular damping (N·m·s²/rad²).
    pub angular_damping: f64,
    /// Largest upward and downward thrust (N).
    pub max_thrust_up: f64,
    pub max_thrust_down: f64,
    /// Commands with |u| below this give no thrust.
    pub dead_zone: f64,
    /// Motor time constant (s).
    pub motor_tau: f64,
    /// Physics step (s).
    pub physics_dt: f64,
}

impl Default for BlimpParams {
    fn default() -> Self {
        Self {
            envelope_semi_axes: [0.5, 0.3, 0.3],
            envelope_mass: 0.13,
            gondola_half_extents: [0.05, 0.03, 0.02],
            gondola_mass: 0.05,
            gondola_offset: 0.35,
            net_lift: -0.01,
            gravity: 9.81,
            air_density: 1.2,
            drag_coefficients: [0.3, 0.6, 0.6],
            angular_damping: 0.002,
            max_thrust_up: 0.05,
            max_thrust_down: 0.03,
            dead_zone: 0.05,
            motor_tau: 0.1,
            physics_dt: 0.01,
        }
    }
}

impl BlimpParams {
    /// Total mass (kg).
    pub fn mass(&self) -> f64 {
        self.envelope_mass + self.gondola_mass
    }

    /// The envelope's projected areas (m²) across body x, y and z: π times the two other semi-axes.
    pub fn projected_areas(&self) -> [f64; 3] {
        let [a, b, c] = self.envelope_semi_axes;
        let pi = std::f64::consts::PI;
        [pi * b * c, pi * a * c, pi * a * b]
    }

    /// Quadratic drag constant `½ ρ C_i A_i` (kg/m) along each body axis.
    pub fn drag_constants(&self) -> [f64; 3] {
        let areas = self.projected_areas();
        [0, 1, 2].map(|i| 0.5 * self.air_density * self.drag_coefficients[i] * areas[i])
    }

    /// Checks every parameter; the error names the first bad one.
    pub fn validate(&self) -> Result<(), BodyError> {
        for v in self.envelope_semi_axes {
            positive("envelope_semi_axes", v)?;
        }
        for v in self.gondola_half_extents {
            positive("gondola_half_extents", v)?;
        }
        positive("envelope_mass", self.envelope_mass)?;
        positive("gondola_mass", self.gondola_mass)?;
        non_negative("gondola_offset", self.gondola_offset)?;
        positive("gravity", self.gravity)?;
        positive("air_density", self.air_density)?;
        for v in self.drag_coefficients {
            positive("drag_coefficients", v)?;
        }
        non_negative("angular_damping", self.angular_damping)?;
        positive("max_thrust_up", self.max_thrust_up)?;
        positive("max_thrust_down", self.max_thrust_down)?;
        positive("motor_tau", self.motor_tau)?;
        positive("physics_dt", self.physics_dt)?;
        if !(0.0..1.0).contains(&self.dead_zone) {
            return Err(BodyError::new("dead_zone", self.dead_zone, "a number in [0, 1)"));
        }
        self.check_net_lift(self.net_lift)
    }

    fn check_net_lift(&self, net_lift: f64) -> Result<(), BodyError> {
        if !net_lift.is_finite() || net_lift.abs() >= self.mass() * self.gravity {
            return Err(BodyError::new("net_lift", net_lift, format!("a finite force smaller in size than the weight, {:.3} N", self.mass() * self.gravity)));
        }
        Ok(())
    }
}

/// The blimp's state in the world frame.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct BlimpState {
    /// Envelope centre (m) and orientation `[x, y, z, w]`.
    pub position: [f32; 3],
    pub rotation: [f32; 4],
    /// Velocity of the centre of mass (m/s) and angular velocity (rad/s).
    pub velocity: [f32; 3],
    pub angular_velocity: [f32; 3],
    /// Current thrust (N).
    pub thrust: f64,
}

/// The blimp. Build with [`Blimp::new`], place with [`Blimp::set_state`], drive with [`Blimp::step`].
pub struct Blimp {
    params: BlimpParams,
    world: PhysicsWorld,
    body: RigidBodyHandle,
    thrust: f64,
    time: f64,
    /// External force at the centre of mass (N, world frame).
    disturbance: [f64; 3],
}

impl std::fmt::Debug for Blimp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blimp").field("params", &self.params).field("state", &self.state()).finish()
    }
}

impl Blimp {
    /// Builds the blimp at rest, upright, its envelope's centre at the origin.
    pub fn new(params: BlimpParams) -> Result<Self, BodyError> {
        params.validate()?;
        let mut world = PhysicsWorld::default();
        world.gravity = Vector::new(0.0, 0.0, -(params.gravity as Real));
        world.integration_parameters.dt = params.physics_dt as Real;
        let [a, b, c] = params.envelope_semi_axes;
        let me = params.envelope_mass;
        let envelope = MassProperties::new(Vector::ZERO, me as Real, Vector::new((me * (b * b + c * c) / 5.0) as Real, (me * (a * a + c * c) / 5.0) as Real, (me * (a * a + b * b) / 5.0) as Real));
        let [x, y, z] = params.gondola_half_extents.map(|h| 2.0 * h);
        let mg = params.gondola_mass;
        let gondola = MassProperties::new(
            Vector::new(0.0, 0.0, -(params.gondola_offset as Real)),
            mg as Real,
            Vector::new((mg * (y * y + z * z) / 12.0) as Real, (mg * (x * x + z * z) / 12.0) as Real, (mg * (x * x + y * y) / 12.0) as Real),
        );
        let body = world.bodies.insert(RigidBodyBuilder::dynamic().additional_mass_properties(envelope + gondola).can_sleep(false).build());
        let mut blimp = Self { params, world, body, thrust: 0.0, time: 0.0, disturbance: [0.0; 3] };
        blimp.set_state(&BlimpState { rotation: [0.0, 0.0, 0.0, 1.0], ..Default::default() });
        Ok(blimp)
    }

    pub fn params(&self) -> &BlimpParams {
        &self.params
    }

    /// Simulated time since the last [`Blimp::set_state`] (s).
    pub fn time(&self) -> f64 {
        self.time
    }

    /// Puts the blimp in `state` exactly.
    pub fn set_state(&mut self, state: &BlimpState) {
        let rb = &mut self.world.bodies[self.body];
        let [qx, qy, qz, qw] = state.rotation;
        let rotation = Rotation::from_xyzw(qx, qy, qz, qw).normalize();
        let [px, py, pz] = state.position;
        rb.set_translation(Vector::new(px, py, pz), true);
        rb.set_rotation(rotation, true);
        let [vx, vy, vz] = state.velocity;
        rb.set_linvel(Vector::new(vx, vy, vz), true);
        let [wx, wy, wz] = state.angular_velocity;
        rb.set_angvel(Vector::new(wx, wy, wz), true);
        self.thrust = state.thrust;
        self.time = 0.0;
    }

    pub fn state(&self) -> BlimpState {
        let rb = &self.world.bodies[self.body];
        let (p, q, v, w) = (rb.translation(), rb.rotation(), rb.linvel(), rb.angvel());
        BlimpState { position: [p.x, p.y, p.z], rotation: [q.x, q.y, q.z, q.w], velocity: [v.x, v.y, v.z], angular_velocity: [w.x, w.y, w.z], thrust: self.thrust }
    }

    /// The gondola's centre in the world frame (m).
    pub fn gondola_centre(&self) -> [f32; 3] {
        let rb = &self.world.bodies[self.body];
        let p = rb.position() * Vector::new(0.0, 0.0, -(self.params.gondola_offset as Real));
        [p.x, p.y, p.z]
    }

    /// Altitude of the envelope's centre (m).
    pub fn altitude(&self) -> f64 {
        self.world.bodies[self.body].translation().z as f64
    }

    /// Vertical velocity of the centre of mass (m/s).
    pub fn vertical_velocity(&self) -> f64 {
        self.world.bodies[self.body].linvel().z as f64
    }

    /// Current thrust (N).
    pub fn thrust(&self) -> f64 {
        self.thrust
    }

    /// The thrust the command `u` asks for (N): clipped to [−1, 1], zero in the dead-zone,
    /// scaled by the upward or (weaker) downward maximum.
    pub fn target_thrust(&self, u: f64) -> f64 {
        let u = if u.is_finite() { u.clamp(-1.0, 1.0) } else { 0.0 };
        if u.abs() < self.params.dead_zone {
            0.0
        } else if u > 0.0 {
            u * self.params.max_thrust_up
        } else {
            u * self.params.max_thrust_down
        }
    }

    /// Sets the external force at the centre of mass (N, world frame), e.g. a gust; held until
    /// changed. Non-finite entries are an error and change nothing.
    pub fn set_disturbance_force(&mut self, force: [f64; 3]) -> Result<(), BodyError> {
        if let Some(&v) = force.iter().find(|v| !v.is_finite()) {
            return Err(BodyError::new("disturbance_force", v, "a finite force (N)"));
        }
        self.disturbance = force;
        Ok(())
    }

    pub fn disturbance_force(&self) -> [f64; 3] {
        self.disturbance
    }

    /// Changes the net lift in flight (N): ballast dropped (up) or taken on (down). Checked as
    /// [`BlimpParams::net_lift`] is; on error nothing changes.
    pub fn set_net_lift(&mut self, net_lift: f64) -> Result<(), BodyError> {
        self.params.check_net_lift(net_lift)?;
        self.params.net_lift = net_lift;
        Ok(())
    }

    /// The blimp's complete state as bytes (the Rapier world, thrust, disturbance, time):
    /// [`Blimp::restore`] continues the trajectory bit for bit.
    pub fn snapshot(&self) -> Vec<u8> {
        let snapshot = SnapshotRef { params: &self.params, world: &self.world, thrust: self.thrust, time: self.time, disturbance: self.disturbance };
        let mut bytes = Vec::new();
        ciborium::into_writer(&snapshot, &mut bytes).expect("writing CBOR into memory cannot fail");
        bytes
    }

    /// Restores a [`Blimp::snapshot`] of a blimp with the same geometry and masses (net lift
    /// may differ: it changes in flight). On error the blimp is unchanged.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        let s: SnapshotOwned = ciborium::from_reader(bytes).map_err(|e| SnapshotError::new(format!("not a readable blimp snapshot ({e})")))?;
        let same = BlimpParams { net_lift: self.params.net_lift, ..s.params.clone() };
        if same != self.params {
            return Err(SnapshotError::new(format!("taken from a blimp with other parameters ({:?}), not {:?}", s.params, self.params)));
        }
        if s.world.bodies.get(self.body).is_none() {
            return Err(SnapshotError::new("the Rapier world does not hold this blimp's body"));
        }
        self.params = s.params;
        self.world = s.world;
        self.thrust = s.thrust;
        self.time = s.time;
        self.disturbance = s.disturbance;
        Ok(())
    }

    /// Advances `steps` physics steps holding the thrust command `u`.
    pub fn step(&mut self, u: f64, steps: usize) {
        let target = self.target_thrust(u);
        let decay = (-self.params.physics_dt / self.params.motor_tau).exp();
        let p = &self.params;
        let k = p.drag_constants();
        let buoyancy = (p.mass() * p.gravity + p.net_lift) as Real;
        for _ in 0..steps {
            // The motor's first-order lag, exact for a command held over the step; the thrust
            // applied over the step is its mean.
            let next = target + (self.thrust - target) * decay;
            let mean = target + (self.thrust - target) * (1.0 - decay) * p.motor_tau / p.physics_dt;
            self.thrust = next;

            let rb = &mut self.world.bodies[self.body];
            let rotation = *rb.rotation();
            let v_body = rotation.inverse() * rb.linvel();
            let w_body = rotation.inverse() * rb.angvel();
            let drag = Vector::new(
                -(k[0] as Real) * v_body.x * v_body.x.abs(),
                -(k[1] as Real) * v_body.y * v_body.y.abs(),
                -(k[2] as Real) * v_body.z * v_body.z.abs(),
            );
            let damping = -(p.angular_damping as Real) * w_body * w_body.abs();
            let centre = rb.translation();
            rb.reset_forces(false);
            rb.reset_torques(false);
            let [dx, dy, dz] = self.disturbance.map(|f| f as Real);
            rb.add_force(rotation * (drag + Vector::new(0.0, 0.0, mean as Real)) + Vector::new(dx, dy, dz), false);
            rb.add_force_at_point(Vector::new(0.0, 0.0, buoyancy), centre, false);
            rb.add_torque(rotation * damping, false);
            self.world.step();
            self.time += p.physics_dt;
        }
    }
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    params: &'a BlimpParams,
    world: &'a PhysicsWorld,
    thrust: f64,
    time: f64,
    disturbance: [f64; 3],
}

#[derive(Deserialize)]
struct SnapshotOwned {
    params: BlimpParams,
    world: PhysicsWorld,
    thrust: f64,
    time: f64,
    disturbance: [f64; 3],
}
