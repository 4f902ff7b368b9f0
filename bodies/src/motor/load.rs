//! Mechanical loads, with GEM's models (`mechanical_loads/`).
//!
//! The drive's mechanical ODE is `dω/dt = (T − T_L(ω)) / (J_rotor + J_load)`.
//!
//! * Polynomial static load: `T_L = sign(ω)·c·ω² + b·ω + a_term`, with the Coulomb term
//!   `a_term = sign(ω)·a` for |ω| > ω_lim and `(J_total/τ_decay)·ω` below it (GEM's smoothing of
//!   the step at ω = 0; τ_decay = 1 ms, ω_lim = a·τ_decay/J_total).
//! * Constant speed: ω is held at `omega` whatever the torque (a dynamometer).

use serde::{Deserialize, Serialize};

use crate::error::non_negative;
use crate::BodyError;

/// GEM's smoothing time of the Coulomb friction's step (s).
pub const TAU_DECAY: f64 = 1e-3;

/// A mechanical load on the motor's shaft.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Load {
    /// `a` (N·m), `b` (N·m·s), `c` (N·m·s²), `j_load` (kg·m²); GEM's defaults are 0, 0, 0, 1e-5.
    Polynomial { a: f64, b: f64, c: f64, j_load: f64 },
    /// The shaft turns at `omega` (rad/s).
    ConstantSpeed { omega: f64 },
}

impl Load {
    /// GEM's default polynomial load: no friction, 1e-5 kg·m².
    pub const GEM_DEFAULT: Load = Load::Polynomial { a: 0.0, b: 0.0, c: 0.0, j_load: 1e-5 };

    pub fn validate(&self) -> Result<(), BodyError> {
        match *self {
            Load::Polynomial { a, b, c, j_load } => {
                non_negative("a", a)?;
                non_negative("b", b)?;
                non_negative("c", c)?;
                non_negative("j_load", j_load)
            }
            Load::ConstantSpeed { omega } => {
                if omega.is_finite() {
                    Ok(())
                } else {
                    Err(BodyError::new("omega", omega, "a finite speed (rad/s)"))
                }
            }
        }
    }

    /// Inertia the load adds to the rotor's (kg·m²).
    pub fn inertia(&self) -> f64 {
        match *self {
            Load::Polynomial { j_load, .. } => j_load,
            Load::ConstantSpeed { .. } => 0.0,
        }
    }

    /// Load torque (N·m) at `omega` with total inertia `j_total`.
    pub fn torque(&self, omega: f64, j_total: f64) -> f64 {
        match *self {
            Load::Polynomial { a, b, c, .. } => {
                let sign = if omega > 0.0 { 1.0 } else if omega < 0.0 { -1.0 } else { 0.0 };
                let omega_lim = a * TAU_DECAY / j_total;
                let a_term = if omega.abs() > omega_lim { sign * a } else { j_total / TAU_DECAY * omega };
                sign * c * omega * omega + b * omega + a_term
            }
            Load::ConstantSpeed { .. } => 0.0,
        }
    }

    /// `dω/dt` (rad/s²) under motor torque `torque` (N·m).
    pub fn acceleration(&self, omega: f64, torque: f64, j_total: f64) -> f64 {
        match self {
            Load::Polynomial { .. } => (torque - self.torque(omega, j_total)) / j_total,
            Load::ConstantSpeed { .. } => 0.0,
        }
    }
}
