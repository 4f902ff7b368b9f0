//! The outer loop of a drive's cascade ([`crate::cascaded_pi`], [`crate::foc`]): a PI from the
//! speed error (rad/s) to a torque reference (N·m), tuned by the symmetric optimum for the plant
//! `1/(J s)` behind the closed inner loops' lag `T_σ` (s): `K_p = J/(a T_σ)`, integral time
//! `a² T_σ`; its output is limited to `[−T_max, T_max]` (`[0, T_max]` for a motor that cannot
//! brake), and its integrator stops while the output is limited (conditional integration).
//!
//! It is also what a spiking speed loop ([`crate::spiking_cascade`]) replaces and learns from:
//! the network's input is the speed error in units of the error that saturates the P term,
//! `e = (ω* − ω) K_p/T_max`, and its targets are the PI's terms over `T_max`.

use envs::EnvSpec;

use crate::pid::{Pid, PidConfig};
use crate::policy::PolicyError;

/// A drive's speed PI and where it reads speed and reference.
#[derive(Debug, Clone)]
pub struct SpeedLoop {
    pi: Pid,
    torque_limit: f64,
    omega: usize,
    reference: usize,
    limit_omega: f64,
}

impl SpeedLoop {
    /// The loop for `spec` (observations `omega`, `omega_ref`; attributes `j_total`, `tau`,
    /// `limit_omega`), design parameter `a`, inner lag `t_sigma` (s), torque limit (N·m).
    pub fn new(spec: &EnvSpec, a: f64, t_sigma: f64, torque_limit: f64, can_brake: bool) -> Result<Self, PolicyError> {
        let incompatible = |reason: String| PolicyError::Incompatible { controller: "cascaded-pi".into(), env: spec.id.clone(), reason };
        let find = |n: &str| spec.observation_index(n).ok_or_else(|| incompatible(format!("it controls speed: the env has no `{n}` observation")));
        let attr = |k: &str| spec.attr(k).ok_or_else(|| incompatible(format!("it drives a motor's speed; the env has no `{k}`")));
        let (omega, reference) = (find("omega")?, find("omega_ref")?);
        let (j, tau, limit_omega) = (attr("j_total")?, attr("tau")?, attr("limit_omega")?);
        let kp = j / (a * t_sigma);
        let pi = Pid::new(PidConfig {
            kp,
            ki: kp / (a * a * t_sigma),
            kd: 0.0,
            derivative_tau: 0.0,
            output_min: if can_brake { -torque_limit } else { 0.0 },
            output_max: torque_limit,
            dt: tau,
        })?;
        Ok(Self { pi, torque_limit, omega, reference, limit_omega })
    }

    /// T_max (N·m).
    pub fn torque_limit(&self) -> f64 {
        self.torque_limit
    }

    pub fn pi(&self) -> &Pid {
        &self.pi
    }

    pub fn reset(&mut self) {
        self.pi.reset();
    }

    /// Speed and reference (rad/s) in `obs`.
    pub fn speed_and_reference(&self, obs: &[f32]) -> (f64, f64) {
        (obs[self.omega] as f64 * self.limit_omega, obs[self.reference] as f64 * self.limit_omega)
    }

    /// The torque reference (N·m) for `obs`; advances the integrator.
    pub fn update(&mut self, obs: &[f32]) -> f64 {
        let (omega, omega_ref) = self.speed_and_reference(obs);
        self.pi.update(omega_ref, omega)
    }

    /// The speed error (rad/s) at which the P term reaches T_max.
    pub fn saturating_error(&self) -> f64 {
        self.torque_limit / self.pi.config().kp
    }

    /// The normalised speed error a spiking speed loop sees: `(ω* − ω)/saturating_error`.
    pub fn network_input(&self, obs: &[f32]) -> f32 {
        let (omega, omega_ref) = self.speed_and_reference(obs);
        ((omega_ref - omega) / self.saturating_error()) as f32
    }

    /// After [`SpeedLoop::update`] on `obs`: the P term over T_max, clamped to [−1, 1], and the
    /// integral over T_max (the targets a spiking speed loop mimics).
    pub fn teacher_terms(&self, obs: &[f32]) -> (f32, f32) {
        (self.network_input(obs).clamp(-1.0, 1.0), (self.pi.integral() / self.torque_limit) as f32)
    }
}
