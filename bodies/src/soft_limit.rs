//! MuJoCo's soft joint limit, expressed as implicit joint terms.
//!
//! MuJoCo does not enforce a joint limit as a hard constraint. When the joint
//! passes its limit by a distance `r < 0` (rad), the limit's constraint force
//! `f ≥ 0` (N·m, along the constraint direction) makes the constrained
//! acceleration `a` track a *reference acceleration*
//!
//! ```text
//! a_ref = −b·v − k·d(r)·r,   b = 2 / (d_max·τ),   k = 1 / (d_max²·τ²·ζ²)
//! ```
//!
//! (`solref = (τ, ζ)`: time constant in s and damping ratio) through the
//! regularised solve `f = (a_ref − a) / R`, with the regulariser
//! `R = (1 − d)/d · A₀`. Here `d(r) ∈ (0, 1)` is the *impedance* from
//! `solimp = (d₀, d_max, width, midpoint, power)` and `A₀` the joint's inverse
//! inertia at the reference pose (MuJoCo's `dof_invweight0`, 1/(kg·m²)).
//!
//! Rearranged, `f = −(1/R)·a − (b/R)·v − (k·d/R)·r`: the limit acts on its
//! degree of freedom exactly as an extra **armature** `1/R` (kg·m²), a
//! **damping** `b/R` (N·m·s/rad) and a **spring** `k·d/R` (N·m/rad) whose rest
//! position is the limit. Rapier's multibodies integrate all three implicitly,
//! so the limit is as stable as MuJoCo's at much larger time steps. MuJoCo's
//! one-sidedness (`f ≥ 0`: the limit pushes, never pulls) is approximated by
//! activating the terms only while the joint is past its limit.

/// MuJoCo's `solref` and `solimp` for a joint limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftLimitParams {
    /// `solref[0]`: time constant τ (s).
    pub time_constant: f64,
    /// `solref[1]`: damping ratio ζ.
    pub damping_ratio: f64,
    /// `solimp = (d₀, d_max, width (rad), midpoint, power)`.
    pub solimp: [f64; 5],
}

impl SoftLimitParams {
    /// dm_control's swimmer: `solreflimit=".05 1" solimplimit="0 .8 .1"` (midpoint 0.5 and power 2 by default).
    pub const SWIMMER: Self = Self { time_constant: 0.05, damping_ratio: 1.0, solimp: [0.0, 0.8, 0.1, 0.5, 2.0] };

    /// MuJoCo's impedance `d(r)` for a violation `r` (rad; the sign is ignored).
    pub fn impedance(&self, r: f64) -> f64 {
        let [d0, dmax, width, mid, power] = self.solimp;
        let x = r.abs() / width;
        if x >= 1.0 || width <= 0.0 {
            return dmax;
        }
        let y = if power == 1.0 {
            x
        } else if x <= mid {
            x.powf(power) / mid.powf(power - 1.0)
        } else {
            1.0 - (1.0 - x).powf(power) / (1.0 - mid).powf(power - 1.0)
        };
        d0 + y * (dmax - d0)
    }

    /// Reference-acceleration gains `(b, k)` in 1/s and 1/s².
    pub fn gains(&self) -> (f64, f64) {
        let dmax = self.solimp[1];
        let tc = self.time_constant;
        let b = 2.0 / (dmax * tc);
        let k = 1.0 / (dmax * dmax * tc * tc * self.damping_ratio * self.damping_ratio);
        (b, k)
    }

    /// The implicit joint terms of the limit when the joint is past it by
    /// `violation` (rad, any sign), for a joint whose inverse inertia at the
    /// reference pose is `inv_weight0` (1/(kg·m²)). `None` when `d(r)` is zero,
    /// i.e. the limit exerts no force.
    pub fn joint_terms(&self, violation: f64, inv_weight0: f64) -> Option<LimitTerms> {
        let d = self.impedance(violation);
        if d <= 0.0 {
            return None;
        }
        let d = d.min(0.9999);
        let r_reg = (1.0 - d) / d * inv_weight0;
        let (b, k) = self.gains();
        Some(LimitTerms { armature: 1.0 / r_reg, damping: b / r_reg, stiffness: k * d / r_reg })
    }
}

/// The joint-space terms equivalent to an active soft limit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LimitTerms {
    /// Extra armature 1/R (kg·m²).
    pub armature: f64,
    /// Damping b/R (N·m·s/rad).
    pub damping: f64,
    /// Spring stiffness k·d/R (N·m/rad) about the limit.
    pub stiffness: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impedance_follows_mujoco_sigmoid() {
        let p = SoftLimitParams::SWIMMER;
        assert_eq!(p.impedance(0.0), 0.0);
        // x = 0.25 ≤ mid: y = x²/mid = 0.125 → d = 0.1
        assert!((p.impedance(-0.025) - 0.1).abs() < 1e-12);
        // x = 0.5: y = 0.5 → d = 0.4
        assert!((p.impedance(0.05) - 0.4).abs() < 1e-12);
        // x = 0.75 > mid: y = 1 − 0.25²/0.5 = 0.875 → d = 0.7
        assert!((p.impedance(0.075) - 0.7).abs() < 1e-12);
        assert_eq!(p.impedance(0.5), 0.8);
    }

    #[test]
    fn gains_and_terms() {
        let p = SoftLimitParams::SWIMMER;
        let (b, k) = p.gains();
        assert!((b - 50.0).abs() < 1e-9);
        assert!((k - 625.0).abs() < 1e-9);
        // Fully saturated, d = 0.8: R = 0.25·A0.
        let t = p.joint_terms(0.2, 1.0e5).unwrap();
        assert!((t.armature - 4.0e-5).abs() < 1e-12);
        assert!((t.damping - 50.0 * 4.0e-5).abs() < 1e-12);
        assert!((t.stiffness - 625.0 * 0.8 * 4.0e-5).abs() < 1e-12);
        assert!(p.joint_terms(0.0, 1.0e5).is_none());
    }
}
