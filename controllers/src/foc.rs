//! Field-oriented cascaded PI speed control of a PMSM on a B6 bridge (`cascaded-pi` on
//! `PmsmSpeed-v0`), tuned by the symmetric optimum as gym-electric-motor's controllers are:
//!
//! * **Speed loop** (outer): PI from the speed error (rad/s) to a torque reference (N·m),
//!   `K_p = J/(a T_σ)`, integral time `a² T_σ`, where `T_σ = a · 1.5 τ` is the closed current
//!   loop's lag; the torque reference is limited to the nominal torque (the MTPA torque at the
//!   nominal current, 160.61 N·m for GEM's motor).
//! * **Operating point**: the maximum-torque-per-ampere currents `[i_sd, i_sq]` for the torque
//!   reference ([`bodies::motor::pmsm::PmsmParams::mtpa_currents`]); no field weakening, so near the
//!   speed limit at full torque the voltage saturates: the current loops then fall short of their
//!   references, and the speed loop's integrator is bounded only by its torque limit.
//! * **Current loops** (inner, d and q): PI from the current error (A) to a voltage (V),
//!   `K_p = L_{d,q}/(a · 1.5 τ)`, integral time `a² · 1.5 τ` (1.5 τ: the half step of the held
//!   voltage plus one step of sampling, as GEM's tuning assumes), plus the decoupling
//!   feed-forward `u_sd0 = −p ω l_q i_sq`, `u_sq0 = p ω (l_d i_sd + ψ_p)`.
//! * **Modulation**: the dq voltage vector is limited to the B6 bridge's linear range
//!   `u_sup/√3` (with the zero-sequence injection below), rotated to abc by the electrical angle
//!   ε advanced by `angle_advance · τ · p ω`, shifted by `−(max + min)/2` (the zero sequence), and
//!   divided by `u_sup/2` into the legs' duty actions in [−1, 1].
//!
//! The env (like GEM) holds the dq voltage computed at the step's starting angle over the step,
//! so `angle_advance = 0` (the default) applies exactly the voltage asked for; GEM's controllers
//! advance by half a step (0.5), which is right for a drive whose voltage stays fixed in abc.
//!
//! Anti-windup by conditional integration: the speed integrator stops while the torque
//! reference is limited; while the voltage vector is limited, each current integrator stops if
//! integrating would push its axis's voltage further out (its error and voltage have the same
//! sign), and the output is recomputed from the integrals kept.

use bodies::motor::pmsm::PmsmParams;
use bodies::motor::transforms::dq_to_abc;
use envs::EnvSpec;

use crate::cascaded_pi::CascadedPiConfig;
use crate::policy::{Policy, PolicyError, Work};
use crate::speed_loop::SpeedLoop;

/// Field-oriented control of a PMSM's speed.
#[derive(Debug, Clone)]
pub struct FieldOrientedPi {
    speed: SpeedLoop,
    /// Current-loop gains: V/A and V/(A·s), d then q.
    kp: [f64; 2],
    ki: [f64; 2],
    /// Current-loop integrals (V), d then q.
    integral: [f64; 2],
    motor: PmsmParams,
    decoupling: bool,
    angle_advance: f64,
    tau: f64,
    u_sup: f64,
    limit_omega: f64,
    limit_i: f64,
    nominal_i: f64,
    idx: Indices,
}

#[derive(Debug, Clone, Copy)]
struct Indices {
    omega: usize,
    i_sd: usize,
    i_sq: usize,
    epsilon: usize,
}

impl FieldOrientedPi {
    pub fn new(spec: &EnvSpec, config: &CascadedPiConfig) -> Result<Self, PolicyError> {
        let name = "cascaded-pi";
        let incompatible = |reason: String| PolicyError::Incompatible { controller: name.into(), env: spec.id.clone(), reason };
        config.validate()?;
        let attr = |k: &str| spec.attr(k).ok_or_else(|| incompatible(format!("it drives a PMSM's speed (`PmsmSpeed-v0`); the env has no `{k}`")));
        let find = |n: &str| spec.observation_index(n).ok_or_else(|| incompatible(format!("it controls speed: the env has no `{n}` observation")));
        let idx = Indices { omega: find("omega")?, i_sd: find("i_sd")?, i_sq: find("i_sq")?, epsilon: find("epsilon")? };
        // The controller's motor model; its inertia field is unused here (the speed loop reads `j_total`).
        let motor = PmsmParams { p: attr("p")?, l_d: attr("l_d")?, l_q: attr("l_q")?, j_rotor: attr("j_total")?, r_s: attr("r_s")?, psi_p: attr("psi_p")? };
        let (tau, a, nominal_i) = (attr("tau")?, config.a, attr("nominal_i")?);
        let t_sigma_current = 1.5 * tau;
        // The closed current loops lag by about a·1.5τ: the speed loop's T_σ.
        let speed = SpeedLoop::new(spec, a, a * t_sigma_current, motor.mtpa_torque(nominal_i), true)?;
        let kp = [motor.l_d / (a * t_sigma_current), motor.l_q / (a * t_sigma_current)];
        let ki = [kp[0] / (a * a * t_sigma_current), kp[1] / (a * a * t_sigma_current)];
        Ok(Self {
            speed,
            kp,
            ki,
            integral: [0.0; 2],
            motor,
            decoupling: config.emf_feedforward,
            angle_advance: config.angle_advance,
            tau,
            u_sup: attr("u_sup")?,
            limit_omega: attr("limit_omega")?,
            limit_i: attr("limit_i")?,
            nominal_i,
            idx,
        })
    }

    /// The outer (speed) loop.
    pub fn speed_loop(&self) -> &SpeedLoop {
        &self.speed
    }

    /// Whether every measurement the cascade reads in `obs` is finite.
    pub fn measurements_finite(&self, obs: &[f32]) -> bool {
        let (omega, omega_ref) = self.speed.speed_and_reference(obs);
        omega.is_finite() && omega_ref.is_finite() && [self.idx.i_sd, self.idx.i_sq, self.idx.epsilon].iter().all(|&i| obs[i].is_finite())
    }

    /// The inner loops: the B6 bridge's duty actions that make torque `torque_ref` (N·m), through
    /// the MTPA currents, the d and q current PIs with decoupling, the voltage limit and the
    /// modulation. Non-finite measurements or reference hold the last command.
    pub fn drive_torque(&mut self, torque_ref: f64, obs: &[f32], action: &mut [f32]) {
        if !(self.measurements_finite(obs) && torque_ref.is_finite()) {
            return;
        }
        let m = &self.motor;
        let omega = obs[self.idx.omega] as f64 * self.limit_omega;
        let i_dq = [obs[self.idx.i_sd] as f64 * self.limit_i, obs[self.idx.i_sq] as f64 * self.limit_i];
        let eps = obs[self.idx.epsilon] as f64 * std::f64::consts::PI;
        let limit = self.speed.torque_limit();
        let i_ref = m.mtpa_currents(torque_ref.clamp(-limit, limit), self.nominal_i);
        let w_el = m.p * omega;
        let feedforward = if self.decoupling { [-w_el * m.l_q * i_dq[1], w_el * (m.l_d * i_dq[0] + m.psi_p)] } else { [0.0; 2] };
        let error = [i_ref[0] - i_dq[0], i_ref[1] - i_dq[1]];
        let voltage = |integral: [f64; 2]| [0, 1].map(|k| self.kp[k] * error[k] + integral[k] + feedforward[k]);
        let integrated = [0, 1].map(|k| self.integral[k] + self.ki[k] * error[k] * self.tau);
        let mut u = voltage(integrated);
        // The B6 bridge's linear range with zero-sequence injection: |u_dq| ≤ u_sup/√3.
        let u_max = self.u_sup / 3f64.sqrt();
        if u[0].hypot(u[1]) > u_max {
            // Keep an axis's new integral only if it does not push that axis further out.
            let kept = [0, 1].map(|k| if error[k] * u[k] > 0.0 { self.integral[k] } else { integrated[k] });
            self.integral = kept;
            u = voltage(kept);
            let magnitude = u[0].hypot(u[1]);
            if magnitude > u_max {
                u = [u[0] * u_max / magnitude, u[1] * u_max / magnitude];
            }
        } else {
            self.integral = integrated;
        }
        let abc = dq_to_abc(u, eps + self.angle_advance * self.tau * w_el);
        let zero_sequence = 0.5 * (abc.iter().cloned().fold(f64::NEG_INFINITY, f64::max) + abc.iter().cloned().fold(f64::INFINITY, f64::min));
        for (a, u_k) in action.iter_mut().zip(abc) {
            *a = ((u_k - zero_sequence) / (0.5 * self.u_sup)).clamp(-1.0, 1.0) as f32;
        }
    }
}

impl Policy for FieldOrientedPi {
    fn name(&self) -> &str {
        "cascaded-pi"
    }

    fn reset(&mut self, _seed: Option<u64>) {
        self.speed.reset();
        self.integral = [0.0; 2];
    }

    /// A non-finite measurement (a failed sensor) holds the last command and every loop's state.
    fn act(&mut self, obs: &[f32], action: &mut [f32]) {
        if !self.measurements_finite(obs) {
            return;
        }
        let torque_ref = self.speed.update(obs);
        self.drive_torque(torque_ref, obs, action);
    }

    /// The speed PI (5), the MTPA search (about 8 evaluations of ~12), two current PIs with
    /// decoupling (16), the vector limit (6) and the dq → abc rotation with the zero sequence (14).
    fn work(&self) -> Option<Work> {
        Some(Work { spikes: 0, synaptic_ops: 0, macs: 5 + 8 * 12 + 16 + 6 + 14 })
    }
}
