//! DC motors with GEM's equations and defaults (`dc_*.py` in gym-electric-motor 3.0).
//!
//! | kind | currents | voltages | electrical ODE | torque |
//! |---|---|---|---|---|
//! | externally excited | `i_a`, `i_e` | `u_a`, `u_e` | `di_a/dt = (−r_a i_a − l_e′ ω i_e + u_a)/l_a`, `di_e/dt = (−r_e i_e + u_e)/l_e` | `l_e′ i_a i_e` |
//! | shunt | `i_a`, `i_e` | `u` (= u_a = u_e) | as externally excited | `l_e′ i_a i_e` |
//! | series | `i` | `u` | `di/dt = (−(r_a + r_e) i − l_e′ ω i + u)/(l_a + l_e)` | `l_e′ i²` |
//! | permanently excited | `i` | `u` | `di/dt = (−ψ_e ω − r_a i + u)/l_a` | `ψ_e i` |
//!
//! ω is the mechanical speed (rad/s). The electrical ODE is linear in the currents for a given
//! ω, except for the series motor's ω·i, which is integrated with the rest by RK4 ([`super::drive`]).

use serde::{Deserialize, Serialize};

use crate::error::positive;
use crate::BodyError;

/// Which DC motor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DcKind {
    ExternallyExcited,
    Series,
    Shunt,
    PermanentlyExcited,
}

impl DcKind {
    /// GEM's names of the motor's currents.
    pub fn currents(self) -> &'static [&'static str] {
        match self {
            DcKind::ExternallyExcited | DcKind::Shunt => &["i_a", "i_e"],
            DcKind::Series | DcKind::PermanentlyExcited => &["i"],
        }
    }

    /// GEM's names of the motor's input voltages.
    pub fn voltages(self) -> &'static [&'static str] {
        match self {
            DcKind::ExternallyExcited => &["u_a", "u_e"],
            _ => &["u"],
        }
    }

    /// The parameters this kind uses (the others are ignored and may stay at their defaults).
    pub fn parameter_names(self) -> &'static [&'static str] {
        match self {
            DcKind::ExternallyExcited | DcKind::Shunt | DcKind::Series => &["r_a", "r_e", "l_a", "l_e", "l_e_prime", "j_rotor"],
            DcKind::PermanentlyExcited => &["r_a", "l_a", "psi_e", "j_rotor"],
        }
    }
}

/// Motor parameters (Ω, H, Wb, kg·m²). Defaults: GEM's, per kind ([`DcMotorParams::gem`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcMotorParams {
    /// Armature resistance (Ω) and inductance (H).
    pub r_a: f64,
    pub l_a: f64,
    /// Field (excitation) winding resistance (Ω) and inductance (H).
    pub r_e: f64,
    pub l_e: f64,
    /// Mutual inductance between field and armature (H): the EMF is `l_e′ ω i_e`.
    pub l_e_prime: f64,
    /// Permanent-magnet flux linkage (Wb): the EMF is `ψ_e ω`.
    pub psi_e: f64,
    /// Rotor inertia (kg·m²).
    pub j_rotor: f64,
}

impl DcMotorParams {
    /// GEM 3.0's defaults for `kind` (a Heinzmann PMG-132, "slightly adapted"). GEM's
    /// externally excited, series and shunt motors have j_rotor = 0.0025 kg·m² in code (0.025
    /// in their docstrings); the permanently excited one 0.025.
    pub fn gem(kind: DcKind) -> Self {
        let base = Self { r_a: 16e-3, l_a: 19e-6, r_e: 16e-2, l_e: 5.4e-3, l_e_prime: 1.7e-3, psi_e: 0.165, j_rotor: 0.0025 };
        match kind {
            DcKind::ExternallyExcited => base,
            DcKind::Series => Self { r_e: 48e-3, ..base },
            DcKind::Shunt => Self { r_e: 4e-1, ..base },
            DcKind::PermanentlyExcited => Self { j_rotor: 0.025, ..base },
        }
    }

    /// Checks the parameters `kind` uses: every one finite and > 0.
    pub fn validate(&self, kind: DcKind) -> Result<(), BodyError> {
        for &name in kind.parameter_names() {
            let value = match name {
                "r_a" => self.r_a,
                "l_a" => self.l_a,
                "r_e" => self.r_e,
                "l_e" => self.l_e,
                "l_e_prime" => self.l_e_prime,
                "psi_e" => self.psi_e,
                _ => self.j_rotor,
            };
            positive(name, value)?;
        }
        Ok(())
    }
}

/// Ratings: GEM's nominal values and limits share this shape (rad/s, N·m, A, V). Every current
/// of a motor has the same rating `i`, every voltage `u`, as in GEM's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcRatings {
    pub omega: f64,
    pub torque: f64,
    pub i: f64,
    pub u: f64,
}

impl DcRatings {
    /// GEM's default limits (all four kinds): 400 rad/s, 38 N·m, 210 A, 60 V.
    pub const GEM_LIMITS: Self = Self { omega: 400.0, torque: 38.0, i: 210.0, u: 60.0 };
    /// GEM's default nominal values: 300 rad/s, 16 N·m, 97 A, 60 V.
    pub const GEM_NOMINAL: Self = Self { omega: 300.0, torque: 16.0, i: 97.0, u: 60.0 };

    pub fn validate(&self, what: &'static str) -> Result<(), BodyError> {
        for v in [self.omega, self.torque, self.i, self.u] {
            positive(what, v)?;
        }
        Ok(())
    }
}

/// `d(currents)/dt` (A/s) for `kind` at `currents` (A), `voltages` (V) and speed `omega` (rad/s).
/// Unused entries (the second current of a one-current motor) get 0.
pub fn current_derivatives(kind: DcKind, p: &DcMotorParams, currents: [f64; 2], voltages: [f64; 2], omega: f64) -> [f64; 2] {
    match kind {
        DcKind::ExternallyExcited | DcKind::Shunt => {
            let (u_a, u_e) = if kind == DcKind::Shunt { (voltages[0], voltages[0]) } else { (voltages[0], voltages[1]) };
            let [i_a, i_e] = currents;
            [(-p.r_a * i_a - p.l_e_prime * omega * i_e + u_a) / p.l_a, (-p.r_e * i_e + u_e) / p.l_e]
        }
        DcKind::Series => {
            let i = currents[0];
            [(-(p.r_a + p.r_e) * i - p.l_e_prime * omega * i + voltages[0]) / (p.l_a + p.l_e), 0.0]
        }
        DcKind::PermanentlyExcited => [(-p.psi_e * omega - p.r_a * currents[0] + voltages[0]) / p.l_a, 0.0],
    }
}

/// Electromagnetic torque (N·m).
pub fn torque(kind: DcKind, p: &DcMotorParams, currents: [f64; 2]) -> f64 {
    match kind {
        DcKind::ExternallyExcited | DcKind::Shunt => p.l_e_prime * currents[0] * currents[1],
        DcKind::Series => p.l_e_prime * currents[0] * currents[0],
        DcKind::PermanentlyExcited => p.psi_e * currents[0],
    }
}

/// The current the motor draws from its converter (A): the shunt's two windings share one input.
pub fn input_currents(kind: DcKind, currents: [f64; 2]) -> [f64; 2] {
    match kind {
        DcKind::Shunt => [currents[0] + currents[1], 0.0],
        _ => currents,
    }
}
