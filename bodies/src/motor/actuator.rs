//! A permanently excited DC motor with a 4-quadrant converter and a gearbox, as the actuator of a
//! joint of another body: the joint's speed drives the back-EMF, the motor's current the joint's
//! torque, and the rotor's inertia (times the gear ratio squared) adds to the joint's.
//!
//! A body's physics step (milliseconds) is far longer than a small motor's electrical time
//! constant L/R (tens of microseconds), so explicit integration would be unstable. With the joint
//! speed held over the step, the current's ODE `L di/dt = u − R i − ψ n ω_j` is linear and is
//! solved exactly: `i(t) = i_ss + (i₀ − i_ss) e^{−t R/L}`, `i_ss = (u − ψ n ω_j)/R`; the step
//! applies the exact mean current over the step, so the joint gets the mean torque `n ψ ī` and
//! the supply delivers the mean power `u ī`.

use serde::{Deserialize, Serialize};

use crate::error::positive;
use crate::BodyError;

/// A joint actuator's motor, gearbox and supply.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DcActuatorParams {
    /// Armature resistance (Ω) and inductance (H).
    pub r_a: f64,
    pub l_a: f64,
    /// Flux linkage (Wb = V·s/rad = N·m/A).
    pub psi_e: f64,
    /// Rotor inertia (kg·m²).
    pub j_rotor: f64,
    /// Gear ratio n: motor speed = n × joint speed, joint torque = n × motor torque.
    pub gear: f64,
    /// Supply voltage (V); the command u ∈ [−1, 1] is the 4-quadrant converter's duty cycle.
    pub u_sup: f64,
}

impl Default for DcActuatorParams {
    /// A coreless micro-motor sized for the swimmer's hinges: stall torque ψ u_sup / R = 5e-4 N·m
    /// (the swimmer's full torque), L/R = 10 µs, direct drive.
    fn default() -> Self {
        Self { r_a: 3.0, l_a: 30e-6, psi_e: 1e-3, j_rotor: 1e-9, gear: 1.0, u_sup: 1.5 }
    }
}

impl DcActuatorParams {
    pub fn validate(&self) -> Result<(), BodyError> {
        positive("r_a", self.r_a)?;
        positive("l_a", self.l_a)?;
        positive("psi_e", self.psi_e)?;
        if !(self.j_rotor.is_finite() && self.j_rotor >= 0.0) {
            return Err(BodyError::new("j_rotor", self.j_rotor, "a finite inertia ≥ 0 (kg·m²)"));
        }
        positive("gear", self.gear)?;
        positive("u_sup", self.u_sup)
    }

    /// The rotor's inertia seen at the joint (kg·m²): `n² J_rotor`.
    pub fn reflected_inertia(&self) -> f64 {
        self.gear * self.gear * self.j_rotor
    }

    /// Joint torque at stall for command `u` (N·m).
    pub fn stall_torque(&self, u: f64) -> f64 {
        self.gear * self.psi_e * u.clamp(-1.0, 1.0) * self.u_sup / self.r_a
    }
}

/// What one step of an actuator delivered.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ActuatorStep {
    /// Mean joint torque over the step (N·m).
    pub torque: f64,
    /// Mean electrical power drawn from the supply (W; negative when regenerating).
    pub power: f64,
}

/// An actuator's state: its armature current.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DcActuator {
    params: DcActuatorParams,
    current: f64,
}

impl DcActuator {
    pub fn new(params: DcActuatorParams) -> Result<Self, BodyError> {
        params.validate()?;
        Ok(Self { params, current: 0.0 })
    }

    pub fn params(&self) -> &DcActuatorParams {
        &self.params
    }

    /// Armature current (A).
    pub fn current(&self) -> f64 {
        self.current
    }

    pub fn reset(&mut self) {
        self.current = 0.0;
    }

    /// Advances `dt` seconds with command `u` (clipped to [−1, 1]; a non-finite command counts as
    /// 0) and the joint turning at `joint_omega` (rad/s).
    pub fn step(&mut self, u: f64, joint_omega: f64, dt: f64) -> ActuatorStep {
        let p = &self.params;
        let u = if u.is_finite() { u.clamp(-1.0, 1.0) } else { 0.0 } * p.u_sup;
        let rate = p.r_a / p.l_a;
        let i_ss = (u - p.psi_e * p.gear * joint_omega) / p.r_a;
        let x = rate * dt;
        let decay = (-x).exp();
        // Mean of i over the step: i_ss + (i₀ − i_ss)(1 − e^{−x})/x, with the series for tiny x.
        let fraction = if x > 1e-8 { (1.0 - decay) / x } else { 1.0 - x / 2.0 };
        let mean = i_ss + (self.current - i_ss) * fraction;
        self.current = i_ss + (self.current - i_ss) * decay;
        ActuatorStep { torque: p.gear * p.psi_e * mean, power: u * mean }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stall_torque_back_emf_and_power_follow_the_circuit() {
        let p = DcActuatorParams::default();
        let mut a = DcActuator::new(p).unwrap();
        // Stall from rest over 0.01 s = 1000 L/R: the current ends at u/R = 0.5 A; its mean lags
        // by L/R: 0.5·(1 − 1e-5/1e-2) A, so the torque is ψ times that (5e-4 N·m at steady state).
        let s = a.step(1.0, 0.0, 0.01);
        let mean = 0.5 * (1.0 - 1e-3);
        assert!((a.current() - 0.5).abs() < 1e-12 && (s.torque - p.psi_e * mean).abs() < 1e-12, "{s:?}");
        assert!((s.power - 1.5 * mean).abs() < 1e-12, "{s:?}");
        let s = a.step(1.0, 0.0, 0.01);
        assert!((s.torque - 5e-4).abs() < 1e-12);
        // Turning at the no-load speed u/ψ the motor makes no torque and draws no current.
        a.reset();
        let no_load = 1.5 / p.psi_e;
        let s = a.step(1.0, no_load, 0.01);
        assert!(s.torque.abs() < 1e-15 && a.current().abs() < 1e-12);
        // Driven faster than that, it brakes and regenerates.
        let s = a.step(0.0, 100.0, 0.01);
        assert!(s.torque < 0.0 && a.current() < 0.0);
        // The step's mean current matches a fine explicit integration of the same circuit.
        let mut fine = 0.0_f64;
        let mut fine_mean = 0.0;
        let (dt, n) = (1e-4, 100_000);
        for _ in 0..n {
            fine += dt / n as f64 * (0.6 * 1.5 - p.r_a * fine - p.psi_e * 20.0) / p.l_a;
            fine_mean += fine / n as f64;
        }
        let mut b = DcActuator::new(p).unwrap();
        let s = b.step(0.6, 20.0, dt);
        assert!((s.torque / p.psi_e - fine_mean).abs() < 1e-4 * fine_mean.abs(), "{} vs {fine_mean}", s.torque / p.psi_e);
        assert!((b.current() - fine).abs() < 1e-4 * fine.abs());
    }

    #[test]
    fn gearing_and_bad_parameters() {
        let geared = DcActuatorParams { gear: 10.0, ..Default::default() };
        assert!((geared.stall_torque(1.0) - 5e-3).abs() < 1e-12);
        assert!((geared.reflected_inertia() - 1e-7).abs() < 1e-20);
        assert!(DcActuator::new(DcActuatorParams { r_a: 0.0, ..Default::default() }).unwrap_err().to_string().contains("`r_a`"));
        assert!(DcActuator::new(DcActuatorParams { gear: -1.0, ..Default::default() }).unwrap_err().to_string().contains("`gear`"));
        let mut a = DcActuator::new(DcActuatorParams::default()).unwrap();
        assert_eq!(a.step(f64::NAN, 0.0, 0.01).torque, 0.0);
    }
}
