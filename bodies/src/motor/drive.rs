//! A DC drive: motor, converter(s), ideal supply and load, advanced one control period at a time.
//!
//! Each period τ the converter's output is computed from the action and the currents at the
//! period's start, times the supply voltage, and held (GEM's zero-order hold); the state
//! `[ω, currents]` is then integrated over τ by classical RK4 in `substeps` equal steps. A
//! finite converter's dead time splits the period at `interlocking_time` ([`Converter::plan`]).
//! The externally excited motor has one converter per winding (GEM's `ContMultiConverter`), so
//! its action has two entries.

use serde::{Deserialize, Serialize};

use super::converter::{Applied, Converter, ConverterAction};
use super::dc::{self, DcKind, DcMotorParams, DcRatings};
use super::load::Load;
use crate::error::positive;
use crate::BodyError;

/// Everything that defines a DC drive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DcDriveParams {
    pub kind: DcKind,
    pub motor: DcMotorParams,
    pub nominal: DcRatings,
    pub limits: DcRatings,
    pub load: Load,
    pub converter: Converter,
    /// Supply voltage (V).
    pub u_sup: f64,
    /// Control period τ (s).
    pub tau: f64,
    /// RK4 steps per period.
    pub substeps: usize,
}

impl DcDriveParams {
    /// GEM's defaults for `kind` with `converter`: 60 V supply, τ = 1e-4 s (1e-5 s for finite
    /// converters, as GEM's finite envs), the default polynomial load.
    pub fn gem(kind: DcKind, converter: Converter) -> Self {
        Self {
            kind,
            motor: DcMotorParams::gem(kind),
            nominal: DcRatings::GEM_NOMINAL,
            limits: DcRatings::GEM_LIMITS,
            load: Load::GEM_DEFAULT,
            converter,
            u_sup: 60.0,
            tau: if converter.finite { 1e-5 } else { 1e-4 },
            substeps: 1,
        }
    }

    pub fn validate(&self) -> Result<(), BodyError> {
        self.motor.validate(self.kind)?;
        self.nominal.validate("nominal")?;
        self.limits.validate("limits")?;
        self.load.validate()?;
        if self.converter.kind.outputs() != 1 {
            return Err(BodyError::new("converter", format!("{:?}", self.converter.kind), "a DC converter (one-, two- or four-quadrant) for a DC motor"));
        }
        check_timing(self.u_sup, self.tau, self.substeps, &self.converter)
    }
}

/// A DC drive's state and parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DcDrive {
    params: DcDriveParams,
    omega: f64,
    currents: [f64; 2],
    /// Voltages applied over the latest period (V), as GEM reports them (the period's start value).
    voltages: [f64; 2],
    torque: f64,
    time: f64,
    previous: [Option<Applied>; 2],
}

impl DcDrive {
    pub fn new(params: DcDriveParams) -> Result<Self, BodyError> {
        params.validate()?;
        let omega = match params.load {
            Load::ConstantSpeed { omega } => omega,
            Load::Polynomial { .. } => 0.0,
        };
        Ok(Self { params, omega, currents: [0.0; 2], voltages: [0.0; 2], torque: 0.0, time: 0.0, previous: [None; 2] })
    }

    pub fn params(&self) -> &DcDriveParams {
        &self.params
    }

    /// Number of converter channels (voltages): 2 for the externally excited motor, else 1.
    pub fn channels(&self) -> usize {
        self.params.kind.voltages().len()
    }

    /// Puts the drive at speed `omega` (rad/s; a constant-speed load keeps its own) with
    /// `currents` (A), time 0, nothing applied yet.
    pub fn reset(&mut self, omega: f64, currents: [f64; 2]) {
        self.omega = match self.params.load {
            Load::ConstantSpeed { omega } => omega,
            Load::Polynomial { .. } => omega,
        };
        self.currents = if self.params.kind.currents().len() == 1 { [currents[0], 0.0] } else { currents };
        self.voltages = [0.0; 2];
        self.torque = dc::torque(self.params.kind, &self.params.motor, self.currents);
        self.time = 0.0;
        self.previous = [None; 2];
    }

    pub fn omega(&self) -> f64 {
        self.omega
    }

    /// Currents (A), GEM's order ([`DcKind::currents`]); a one-current motor's second entry is 0.
    pub fn currents(&self) -> [f64; 2] {
        self.currents
    }

    /// Voltages (V) applied over the latest period, GEM's order ([`DcKind::voltages`]).
    pub fn voltages(&self) -> [f64; 2] {
        self.voltages
    }

    pub fn torque(&self) -> f64 {
        self.torque
    }

    pub fn time(&self) -> f64 {
        self.time
    }

    /// Electrical power drawn from the supply over the latest period (W), at the period's start currents.
    pub fn input_power(&self) -> f64 {
        let i_in = dc::input_currents(self.params.kind, self.currents);
        (0..self.channels()).map(|k| self.voltages[k] * i_in[k]).sum()
    }

    /// Advances one period with one action per channel. On error nothing changes.
    pub fn step(&mut self, actions: &[ConverterAction]) -> Result<(), BodyError> {
        let n = self.channels();
        if actions.len() != n {
            return Err(BodyError::new("action", format!("{} entries", actions.len()), format!("{n} for a {:?} motor", self.params.kind)));
        }
        let conv = self.params.converter;
        let mut applied = [Applied::Duty([0.0; 3]); 2];
        for k in 0..n {
            applied[k] = conv.apply(actions[k])?;
        }
        let tau = self.params.tau;
        let plans: Vec<[(f64, Applied); 2]> = (0..n).map(|k| conv.plan(self.previous[k], applied[k], tau)).collect();
        // A dead time splits every channel at the same instant (at most one split per period).
        let split = plans.iter().map(|p| p[0].0).fold(1.0_f64, f64::min);
        let segments: &[(f64, usize)] = if split < 1.0 { &[(0.0, 0), (0.0, 1)] } else { &[(0.0, 0)] };
        let mut first_voltages = None;
        for &(_, seg) in segments {
            let fraction = if segments.len() == 1 { 1.0 } else if seg == 0 { split } else { 1.0 - split };
            let i_in = dc::input_currents(self.params.kind, self.currents);
            let mut u = [0.0; 2];
            for k in 0..n {
                let a = if seg == 0 && plans[k][0].0 < 1.0 { plans[k][0].1 } else { applied[k] };
                let mut out = [0.0];
                conv.output(a, &i_in[k..k + 1], tau, &mut out);
                u[k] = out[0] * self.params.u_sup;
            }
            first_voltages.get_or_insert(u);
            self.integrate(u, fraction * tau);
        }
        self.voltages = first_voltages.unwrap_or([0.0; 2]);
        for k in 0..n {
            self.previous[k] = Some(applied[k]);
        }
        self.time += tau;
        Ok(())
    }

    /// RK4 over `dt` seconds with voltages `u` held.
    fn integrate(&mut self, u: [f64; 2], dt: f64) {
        let p = self.params;
        let j_total = p.motor.j_rotor + p.load.inertia();
        let f = |y: [f64; 3]| -> [f64; 3] {
            let currents = [y[1], y[2]];
            let torque = dc::torque(p.kind, &p.motor, currents);
            let [di1, di2] = dc::current_derivatives(p.kind, &p.motor, currents, u, y[0]);
            [p.load.acceleration(y[0], torque, j_total), di1, di2]
        };
        let y = rk4([self.omega, self.currents[0], self.currents[1]], dt, p.substeps, f);
        self.omega = y[0];
        self.currents = [y[1], y[2]];
        self.torque = dc::torque(p.kind, &p.motor, self.currents);
    }
}

/// Classical RK4 of `dy/dt = f(y)` over `dt` in `substeps` equal steps.
fn rk4<const N: usize>(mut y: [f64; N], dt: f64, substeps: usize, f: impl Fn([f64; N]) -> [f64; N]) -> [f64; N] {
    let add = |y: [f64; N], k: [f64; N], h: f64| std::array::from_fn(|i| y[i] + h * k[i]);
    let h = dt / substeps as f64;
    for _ in 0..substeps {
        let k1 = f(y);
        let k2 = f(add(y, k1, h / 2.0));
        let k3 = f(add(y, k2, h / 2.0));
        let k4 = f(add(y, k3, h));
        for i in 0..N {
            y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
    y
}

/// The checks both drives share: a positive supply and period, at least one RK4 step, and a
/// converter dead time shorter than the period.
fn check_timing(u_sup: f64, tau: f64, substeps: usize, converter: &Converter) -> Result<(), BodyError> {
    positive("u_sup", u_sup)?;
    positive("tau", tau)?;
    if substeps == 0 {
        return Err(BodyError::new("substeps", 0, "an integer ≥ 1"));
    }
    converter.validate(tau)
}

/// Everything that defines a PMSM drive (B6 bridge, ideal supply, load).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PmsmDriveParams {
    pub motor: super::pmsm::PmsmParams,
    pub nominal: super::pmsm::PmsmRatings,
    pub limits: super::pmsm::PmsmRatings,
    pub load: Load,
    pub converter: Converter,
    /// Supply (DC link) voltage (V).
    pub u_sup: f64,
    pub tau: f64,
    pub substeps: usize,
}

impl PmsmDriveParams {
    /// GEM's defaults: the default PMSM on a B6 bridge at 300 V, τ = 1e-4 s (1e-5 s finite).
    pub fn gem(converter: Converter) -> Self {
        let motor = super::pmsm::PmsmParams::default();
        Self {
            motor,
            nominal: super::pmsm::PmsmRatings::gem_nominal(&motor),
            limits: super::pmsm::PmsmRatings::gem_limits(&motor),
            load: Load::GEM_DEFAULT,
            converter,
            u_sup: 300.0,
            tau: if converter.finite { 1e-5 } else { 1e-4 },
            substeps: 1,
        }
    }

    pub fn validate(&self) -> Result<(), BodyError> {
        self.motor.validate()?;
        for r in [self.nominal, self.limits] {
            for v in [r.omega, r.torque, r.i, r.u] {
                positive("ratings", v)?;
            }
        }
        self.load.validate()?;
        if self.converter.kind != super::converter::ConverterKind::B6Bridge {
            return Err(BodyError::new("converter", format!("{:?}", self.converter.kind), "the B6 bridge for a three-phase motor"));
        }
        check_timing(self.u_sup, self.tau, self.substeps, &self.converter)
    }
}

/// A PMSM drive, stepped as GEM's `SynchronousMotorSystem` (abc control space): each period the
/// phase currents at the start angle ε₀ feed the bridge, its phase voltages are transformed to
/// dq at ε₀ and held in the rotor frame while `[ω, i_sd, i_sq, ε]` is integrated by RK4; the
/// reported phase currents use ε₀ too, and ε is reported wrapped to (−π, π].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PmsmDrive {
    params: PmsmDriveParams,
    omega: f64,
    i_dq: [f64; 2],
    /// Electrical angle, unwrapped (rad).
    epsilon: f64,
    u_abc: [f64; 3],
    u_dq: [f64; 2],
    i_abc: [f64; 3],
    torque: f64,
    time: f64,
    previous: Option<Applied>,
}

impl PmsmDrive {
    pub fn new(params: PmsmDriveParams) -> Result<Self, BodyError> {
        params.validate()?;
        let mut d = Self { params, omega: 0.0, i_dq: [0.0; 2], epsilon: 0.0, u_abc: [0.0; 3], u_dq: [0.0; 2], i_abc: [0.0; 3], torque: 0.0, time: 0.0, previous: None };
        d.reset(0.0, [0.0; 2], 0.0);
        Ok(d)
    }

    pub fn params(&self) -> &PmsmDriveParams {
        &self.params
    }

    /// Puts the drive at `omega` (a constant-speed load keeps its own), dq currents and angle.
    pub fn reset(&mut self, omega: f64, i_dq: [f64; 2], epsilon: f64) {
        self.omega = match self.params.load {
            Load::ConstantSpeed { omega } => omega,
            Load::Polynomial { .. } => omega,
        };
        self.i_dq = i_dq;
        self.epsilon = epsilon;
        self.u_abc = [0.0; 3];
        self.u_dq = [0.0; 2];
        self.i_abc = super::transforms::dq_to_abc(i_dq, epsilon);
        self.torque = self.params.motor.torque(i_dq);
        self.time = 0.0;
        self.previous = None;
    }

    pub fn omega(&self) -> f64 {
        self.omega
    }
    pub fn i_dq(&self) -> [f64; 2] {
        self.i_dq
    }
    pub fn i_abc(&self) -> [f64; 3] {
        self.i_abc
    }
    pub fn u_abc(&self) -> [f64; 3] {
        self.u_abc
    }
    pub fn u_dq(&self) -> [f64; 2] {
        self.u_dq
    }
    pub fn torque(&self) -> f64 {
        self.torque
    }
    pub fn time(&self) -> f64 {
        self.time
    }

    /// Electrical angle wrapped to (−π, π] (rad), as GEM reports it.
    pub fn epsilon(&self) -> f64 {
        let tau = std::f64::consts::TAU;
        let e = self.epsilon.rem_euclid(tau);
        if e > std::f64::consts::PI { e - tau } else { e }
    }

    /// Advances one period. On error nothing changes.
    pub fn step(&mut self, action: ConverterAction) -> Result<(), BodyError> {
        let conv = self.params.converter;
        let applied = conv.apply(action)?;
        let tau = self.params.tau;
        let plan = conv.plan(self.previous, applied, tau);
        let eps0 = self.epsilon;
        let mut first = None;
        for (fraction, a) in plan {
            if fraction <= 0.0 {
                continue;
            }
            let eps = self.epsilon;
            let i_abc = super::transforms::dq_to_abc(self.i_dq, eps);
            let mut out = [0.0; 3];
            conv.output(a, &i_abc, tau, &mut out);
            let u_abc = out.map(|x| x * self.params.u_sup);
            let u_dq = super::transforms::abc_to_dq(u_abc, eps);
            first.get_or_insert((u_abc, u_dq));
            self.integrate(u_dq, fraction * tau);
        }
        if let Some((u_abc, u_dq)) = first {
            self.u_abc = u_abc;
            self.u_dq = u_dq;
        }
        self.i_abc = super::transforms::dq_to_abc(self.i_dq, eps0);
        self.previous = Some(applied);
        self.time += tau;
        Ok(())
    }

    fn integrate(&mut self, u_dq: [f64; 2], dt: f64) {
        let p = self.params;
        let j_total = p.motor.j_rotor + p.load.inertia();
        let f = |y: [f64; 4]| -> [f64; 4] {
            let i_dq = [y[1], y[2]];
            let [did, diq, deps] = p.motor.derivatives(i_dq, u_dq, y[0]);
            [p.load.acceleration(y[0], p.motor.torque(i_dq), j_total), did, diq, deps]
        };
        let y = rk4([self.omega, self.i_dq[0], self.i_dq[1], self.epsilon], dt, p.substeps, f);
        self.omega = y[0];
        self.i_dq = [y[1], y[2]];
        self.epsilon = y[3];
        self.torque = p.motor.torque(self.i_dq);
    }
}
