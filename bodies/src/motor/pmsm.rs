//! The permanent-magnet synchronous motor in the rotor's dq frame, with GEM's equations and
//! defaults (`permanent_magnet_synchronous_motor.py`, `synchronous_motor.py`).
//!
//! With mechanical speed ω (rad/s), pole pairs p and electrical angle ε:
//!
//! * `di_sd/dt = (−r_s i_sd + l_q p ω i_sq + u_sd)/l_d`
//! * `di_sq/dt = (−ψ_p p ω − r_s i_sq − l_d p ω i_sd + u_sq)/l_q`
//! * `dε/dt = p ω`
//! * `T = 1.5 p (ψ_p + (l_d − l_q) i_sd) i_sq`

use serde::{Deserialize, Serialize};

use crate::error::positive;
use crate::BodyError;

/// PMSM parameters; defaults are GEM's (DOI 10.1109/TPEL.2020.3006779).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PmsmParams {
    /// Pole pairs.
    pub p: f64,
    /// d- and q-axis inductances (H).
    pub l_d: f64,
    pub l_q: f64,
    /// Rotor inertia (kg·m²).
    pub j_rotor: f64,
    /// Stator resistance (Ω).
    pub r_s: f64,
    /// Permanent-magnet flux linkage (Wb).
    pub psi_p: f64,
}

impl Default for PmsmParams {
    fn default() -> Self {
        Self { p: 3.0, l_d: 0.37e-3, l_q: 1.2e-3, j_rotor: 0.03883, r_s: 18e-3, psi_p: 66e-3 }
    }
}

impl PmsmParams {
    pub fn validate(&self) -> Result<(), BodyError> {
        positive("p", self.p)?;
        positive("l_d", self.l_d)?;
        positive("l_q", self.l_q)?;
        positive("j_rotor", self.j_rotor)?;
        positive("r_s", self.r_s)?;
        positive("psi_p", self.psi_p)
    }

    /// `d[i_sd, i_sq, ε]/dt` at currents `i_dq` (A), voltages `u_dq` (V), speed `omega` (rad/s).
    pub fn derivatives(&self, i_dq: [f64; 2], u_dq: [f64; 2], omega: f64) -> [f64; 3] {
        let w = self.p * omega;
        let [i_d, i_q] = i_dq;
        [
            (-self.r_s * i_d + self.l_q * w * i_q + u_dq[0]) / self.l_d,
            (-self.psi_p * w - self.r_s * i_q - self.l_d * w * i_d + u_dq[1]) / self.l_q,
            w,
        ]
    }

    /// Torque (N·m).
    pub fn torque(&self, i_dq: [f64; 2]) -> f64 {
        1.5 * self.p * (self.psi_p + (self.l_d - self.l_q) * i_dq[0]) * i_dq[1]
    }

    /// GEM's torque limit: the torque at the maximum-torque-per-ampere point of current
    /// magnitude `i_n` (A) (160.61 N·m for the defaults at 240 A); `torque([0, i_n])` when l_d = l_q.
    pub fn mtpa_torque(&self, i_n: f64) -> f64 {
        self.torque(self.mtpa_point(i_n))
    }

    /// The maximum-torque-per-ampere currents `[i_sd, i_sq]` (A) of current magnitude `i_n` (A),
    /// with i_sq ≥ 0: the root of `i_sd² + p′ i_sd − i_n²/2 = 0`, `p′ = ψ_p/(2(l_d − l_q))`, that
    /// maximises the torque: `i_sd = −p′/2 − √(p′²/4 + i_n²/2)` ≤ 0 when l_d < l_q (GEM's
    /// `_torque_limit`; the reluctance torque adds to the magnet's for negative i_sd), and
    /// `−p′/2 + √(…)` ≥ 0 when l_d > l_q; `[0, i_n]` when l_d = l_q.
    pub fn mtpa_point(&self, i_n: f64) -> [f64; 2] {
        if self.l_d == self.l_q {
            return [0.0, i_n];
        }
        let p_ = self.psi_p / (2.0 * (self.l_d - self.l_q));
        let root = ((p_ / 2.0).powi(2) + i_n * i_n / 2.0).sqrt();
        let i_d = if self.l_d < self.l_q { -p_ / 2.0 - root } else { -p_ / 2.0 + root };
        [i_d, (i_n * i_n - i_d * i_d).max(0.0).sqrt()]
    }

    /// The MTPA currents `[i_sd, i_sq]` (A) that give torque `torque` (N·m, either sign), for a
    /// current magnitude in `[0, i_max]` (A), to 1e-12 of `i_max`; a torque beyond what `i_max`
    /// gives returns the `i_max` point. Newton's method on the torque along the MTPA curve, from
    /// the chord's guess, each step kept inside the bracket of the root (else bisected): about
    /// four steps of two evaluations each.
    pub fn mtpa_currents(&self, torque: f64, i_max: f64) -> [f64; 2] {
        let target = torque.abs();
        let i_max = i_max.max(0.0);
        let t_max = self.mtpa_torque(i_max);
        let mut i = i_max;
        if t_max > target {
            let (mut lo, mut hi) = (0.0, i_max);
            let h = 1e-7 * i_max;
            i = i_max * target / t_max;
            for _ in 0..64 {
                let t = self.mtpa_torque(i);
                if t < target {
                    lo = i;
                } else {
                    hi = i;
                }
                let slope = (self.mtpa_torque(i + h) - t) / h;
                let newton = i - (t - target) / slope;
                let next = if newton > lo && newton < hi { newton } else { 0.5 * (lo + hi) };
                let converged = (next - i).abs() <= 1e-12 * i_max;
                i = next;
                if converged {
                    break;
                }
            }
        }
        let [i_d, i_q] = self.mtpa_point(i);
        [i_d, i_q.copysign(torque)]
    }
}

/// PMSM ratings (rad/s, N·m, A, V): GEM's `i` and `u` are the phase current and voltage
/// amplitudes; the phase voltage limit is half the supply's `u`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PmsmRatings {
    pub omega: f64,
    pub torque: f64,
    pub i: f64,
    pub u: f64,
}

impl PmsmRatings {
    /// GEM's limits for the default motor: 4000 rpm, the MTPA torque at the nominal 240 A,
    /// 400 A, 150 V (half of 300 V).
    pub fn gem_limits(params: &PmsmParams) -> Self {
        Self { omega: 4e3 * std::f64::consts::PI / 30.0, torque: params.mtpa_torque(240.0), i: 400.0, u: 150.0 }
    }

    /// GEM's nominal values: 3000 rpm, the same torque, 240 A, 150 V.
    pub fn gem_nominal(params: &PmsmParams) -> Self {
        Self { omega: 3e3 * std::f64::consts::PI / 30.0, torque: params.mtpa_torque(240.0), i: 240.0, u: 150.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gem_torque_limit_is_the_mtpa_torque_at_nominal_current() {
        let p = PmsmParams::default();
        assert!((p.mtpa_torque(240.0) - 160.61).abs() < 0.01, "{}", p.mtpa_torque(240.0));
        // MTPA: no other split of 240 A gives more torque.
        let best = (0..2000).map(|k| -240.0 * k as f64 / 2000.0).map(|i_d: f64| p.torque([i_d, (240.0f64 * 240.0 - i_d * i_d).sqrt()])).fold(0.0, f64::max);
        assert!((best - p.mtpa_torque(240.0)).abs() < 0.01);
    }

    #[test]
    fn mtpa_currents_give_the_torque_asked_for_at_least_current() {
        let p = PmsmParams::default();
        for torque in [-160.0, -40.0, -1.0, 0.0, 0.5, 20.0, 100.0, 160.0] {
            let [i_d, i_q] = p.mtpa_currents(torque, 240.0);
            assert!((p.torque([i_d, i_q]) - torque).abs() < 1e-6, "{torque}: got {}", p.torque([i_d, i_q]));
            assert!(i_d <= 0.0 && i_q * torque >= 0.0);
            // No split of the same current magnitude gives more torque.
            let i_n = (i_d * i_d + i_q * i_q).sqrt();
            let best = (0..400).map(|k| -i_n * k as f64 / 400.0).map(|d: f64| p.torque([d, (i_n * i_n - d * d).max(0.0).sqrt()])).fold(0.0, f64::max);
            assert!(best <= torque.abs() + 1e-6, "{torque}: {best} at the same current");
        }
        // Beyond the current limit: the limit's point.
        assert_eq!(p.mtpa_currents(500.0, 240.0), p.mtpa_point(240.0));
        // Equal inductances: i_sd = 0.
        let round = PmsmParams { l_d: 1e-3, l_q: 1e-3, ..p };
        let [i_d, i_q] = round.mtpa_currents(30.0, 400.0);
        assert!(i_d.abs() < 1e-12 && (round.torque([i_d, i_q]) - 30.0).abs() < 1e-6);
        // l_d > l_q: the reluctance torque favours a positive i_sd.
        let inverse = PmsmParams { l_d: 1.2e-3, l_q: 0.37e-3, ..p };
        let [i_d, i_q] = inverse.mtpa_currents(100.0, 400.0);
        assert!(i_d > 0.0 && (inverse.torque([i_d, i_q]) - 100.0).abs() < 1e-6);
    }
}
