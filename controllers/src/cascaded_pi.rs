//! Cascaded PI speed control of a DC drive (the PMSM's field-oriented cascade is [`crate::foc`]), tuned by the symmetric optimum (the controller of
//! gym-electric-motor's examples, with its design parameter a = 4):
//!
//! * **Current loop** (inner): PI from the current error to the armature voltage,
//!   `K_p = L/(a τ)` (V/A), integral time `a² τ`; plus the back-EMF feed-forward `e = k_Φ ω`
//!   (`k_Φ` = ψ_e, or l_e′ i_e, or l_e′ i for the series motor), so that the PI only supplies
//!   the resistive and inductive drops. Its closed loop behaves like a lag of `a τ`.
//! * **Speed loop** (outer): PI from the speed error to a torque reference,
//!   `K_p = J/(a² τ)` (N·m·s/rad), integral time `a³ τ`: the symmetric optimum for the plant
//!   `1/(J s)` behind the current loop's lag. The torque reference becomes a current reference
//!   through the motor's torque law (ψ_e i, l_e′ i_e i_a, l_e′ i²), limited to the nominal current.
//!   The series motor cannot brake (l_e′ i² ≥ 0 for either current sign): its torque reference is
//!   limited to [0, T_max] and a speed above the reference coasts down on the load.
//! * The externally excited motor's field is held at its nominal current by a third PI
//!   (`K_p = l_e/(a τ)`, integral time `a² τ`).
//!
//! Anti-windup: each integrator stops while its output is limited (conditional integration, as
//! [`crate::pid`]). Differences from GEM's example, on purpose: the speed gain includes the
//! torque constant (GEM's omits it), and the EMF feed-forward is applied (GEM's cascade reads a
//! misspelt key and so adds 0).

use envs::EnvSpec;
use serde::{Deserialize, Serialize};

use crate::pid::{Pid, PidConfig};
use crate::policy::{Policy, PolicyError, Work};
use crate::speed_loop::SpeedLoop;

/// Options of `cascaded-pi`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CascadedPiConfig {
    /// The symmetric optimum's design parameter a (> 1): larger is slower and better damped.
    pub a: f64,
    /// Add the back-EMF to the current loop's output (the PMSM: the dq decoupling terms).
    pub emf_feedforward: bool,
    /// PMSM only: advance the electrical angle of the dq → abc rotation by this many control
    /// steps' worth of rotation (`angle_advance · τ · p ω`). 0 suits nerve's (and GEM's) drive,
    /// which holds the dq voltage of the step's start; GEM's controllers use 0.5.
    pub angle_advance: f64,
}

impl Default for CascadedPiConfig {
    fn default() -> Self {
        Self { a: 4.0, emf_feedforward: true, angle_advance: 0.0 }
    }
}

impl CascadedPiConfig {
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |message: String| Err(PolicyError::Config { controller: "cascaded-pi".into(), message });
        if !(self.a.is_finite() && self.a > 1.0) {
            return bad(format!("`a` = {}: expected a number > 1", self.a));
        }
        if !(self.angle_advance.is_finite() && (0.0..=2.0).contains(&self.angle_advance)) {
            return bad(format!("`angle_advance` = {}: expected a number of control steps in [0, 2]", self.angle_advance));
        }
        Ok(())
    }
}

/// The cascade's state.
#[derive(Debug, Clone)]
pub struct CascadedPi {
    speed: SpeedLoop,
    current: Pid,
    field: Option<Pid>,
    kind: u8,
    k: Facts,
    idx: Indices,
    feedforward: bool,
}

#[derive(Debug, Clone, Copy)]
struct Facts {
    l_e_prime: f64,
    psi_e: f64,
    u_sup: f64,
    limit_omega: f64,
    limit_i: f64,
    nominal_i: f64,
}

#[derive(Debug, Clone, Copy)]
struct Indices {
    omega: usize,
    current: usize,
    field: Option<usize>,
}

impl CascadedPi {
    pub fn new(spec: &EnvSpec, config: &CascadedPiConfig) -> Result<Self, PolicyError> {
        let name = "cascaded-pi";
        let incompatible = |reason: String| PolicyError::Incompatible { controller: name.into(), env: spec.id.clone(), reason };
        config.validate()?;
        let attr = |k: &str| spec.attr(k).ok_or_else(|| incompatible(format!("it drives a DC motor's speed (`Dc…Speed-v0`); the env has no `{k}`")));
        let kind = attr("dc_kind")? as u8;
        if config.angle_advance != 0.0 {
            return Err(PolicyError::Config { controller: name.into(), message: format!("`angle_advance` = {}: a DC drive has no electrical angle (PMSM only)", config.angle_advance) });
        }
        let find = |n: &str| spec.observation_index(n);
        find("omega_ref").ok_or_else(|| incompatible("it controls speed: the env has no `omega_ref` observation".into()))?;
        let omega = find("omega").ok_or_else(|| incompatible("no `omega` observation".into()))?;
        let current = find("i").or(find("i_a")).ok_or_else(|| incompatible("no armature current observation".into()))?;
        let field = if kind == 0 { find("i_e") } else { None };
        let (tau, a) = (attr("tau")?, config.a);
        let l = if kind == 1 { attr("l_a")? + attr("l_e")? } else { attr("l_a")? };
        let k = Facts {
            l_e_prime: attr("l_e_prime")?,
            psi_e: attr("psi_e")?,
            u_sup: attr("u_sup")?,
            limit_omega: attr("limit_omega")?,
            limit_i: attr("limit_i")?,
            nominal_i: attr("nominal_i")?,
        };
        let pi = |kp: f64, t_n: f64, limit: f64| {
            Pid::new(PidConfig { kp, ki: kp / t_n, kd: 0.0, derivative_tau: 0.0, output_min: -limit, output_max: limit, dt: tau })
        };
        // Torque limit: what the nominal current gives at nominal field (series: at the current itself).
        let torque_limit = match kind {
            3 => k.psi_e * k.nominal_i,
            _ => k.l_e_prime * k.nominal_i * k.nominal_i,
        };
        // The current loop closes with a lag of about a·τ: the speed loop's T_σ. The series
        // motor's torque l_e′ i² is never negative: it cannot brake, so its speed loop asks for
        // torque in [0, T_max] and its integrator does not wind below 0.
        let speed = SpeedLoop::new(spec, a, a * tau, torque_limit, kind != 1)?;
        let current_pi = pi(l / (a * tau), a * a * tau, k.u_sup)?;
        let field_pi = if kind == 0 { Some(pi(attr("l_e")? / (a * tau), a * a * tau, k.u_sup)?) } else { None };
        Ok(Self { speed, current: current_pi, field: field_pi, kind, k, idx: Indices { omega, current, field }, feedforward: config.emf_feedforward })
    }

    /// The outer (speed) loop.
    pub fn speed_loop(&self) -> &SpeedLoop {
        &self.speed
    }

    /// Whether every measurement the cascade reads in `obs` is finite.
    pub fn measurements_finite(&self, obs: &[f32]) -> bool {
        let (omega, omega_ref) = self.speed.speed_and_reference(obs);
        omega.is_finite() && omega_ref.is_finite() && obs[self.idx.current].is_finite() && self.idx.field.is_none_or(|f| obs[f].is_finite())
    }

    /// The inner loops: the armature (and field) voltage that makes torque `torque_ref` (N·m),
    /// through the torque law, the current PI and the EMF feed-forward. Non-finite measurements
    /// or reference hold the last command.
    pub fn drive_torque(&mut self, torque_ref: f64, obs: &[f32], action: &mut [f32]) {
        if !(self.measurements_finite(obs) && torque_ref.is_finite()) {
            return;
        }
        let k = self.k;
        let omega = obs[self.idx.omega] as f64 * k.limit_omega;
        let i = obs[self.idx.current] as f64 * k.limit_i;
        let i_e = self.idx.field.map_or(0.0, |f| obs[f] as f64 * k.limit_i);
        // The flux factor k_Φ (V·s/rad = N·m/A): the EMF is k_Φ ω, the torque k_Φ i.
        let k_phi = match self.kind {
            3 => k.psi_e,
            1 => k.l_e_prime * i.abs().max(1e-3),
            _ => k.l_e_prime * i_e.max(1e-3),
        };
        let i_ref = match self.kind {
            1 => (torque_ref.max(0.0) / k.l_e_prime).sqrt(),
            _ => torque_ref / k_phi,
        }
        .clamp(-k.nominal_i, k.nominal_i);
        let emf = if self.feedforward { k_phi * omega } else { 0.0 };
        let u = (self.current.update(i_ref, i) + emf).clamp(-k.u_sup, k.u_sup);
        action[0] = (u / k.u_sup) as f32;
        if let Some(field) = self.field.as_mut() {
            action[1] = (field.update(k.nominal_i, i_e) / k.u_sup).clamp(-1.0, 1.0) as f32;
        }
    }
}

impl Policy for CascadedPi {
    fn name(&self) -> &str {
        "cascaded-pi"
    }

    fn reset(&mut self, _seed: Option<u64>) {
        self.speed.reset();
        self.current.reset();
        if let Some(f) = self.field.as_mut() {
            f.reset();
        }
    }

    /// A non-finite measurement (a failed sensor) holds the last command and every loop's state.
    fn act(&mut self, obs: &[f32], action: &mut [f32]) {
        if !self.measurements_finite(obs) {
            return;
        }
        let torque_ref = self.speed.update(obs);
        self.drive_torque(torque_ref, obs, action);
    }

    /// Two (three) PI loops of ~5 MACs, the torque law and the feed-forward.
    fn work(&self) -> Option<Work> {
        Some(Work { spikes: 0, synaptic_ops: 0, macs: if self.field.is_some() { 18 } else { 13 } })
    }
}
