//! Discrete PID: derivative on the measurement (no kick when the reference steps), a first-order
//! filter on the derivative, output limits, and anti-windup by conditional integration (the
//! integral does not grow while the output is saturated in the direction of the error).
//!
//! `u_k = clamp(K_p e_k + I_k + K_d D_k, u_min, u_max)` with `e_k = r_k − y_k`,
//! `I_k = I_{k−1} + K_i e_k Δt` (held when it would push a saturated output further), and
//! `D_k = D_{k−1} + (d_k − D_{k−1})·Δt/(τ_d + Δt)`, `d_k = −(y_k − y_{k−1})/Δt` (backward Euler of
//! the filter `τ_d Ḋ + D = −ẏ`; `τ_d = 0` is the raw difference).

use serde::{Deserialize, Serialize};

use crate::PolicyError;

/// Gains, limits and timing of a [`Pid`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PidConfig {
    pub kp: f64,
    pub ki: f64,
    pub kd: f64,
    /// Time constant of the derivative's filter (s); 0: unfiltered.
    pub derivative_tau: f64,
    pub output_min: f64,
    pub output_max: f64,
    /// Control period (s).
    pub dt: f64,
}

impl PidConfig {
    pub fn validate(&self) -> Result<(), PolicyError> {
        let err = |message: String| Err(PolicyError::Config { controller: "pid".into(), message });
        for (k, v) in [("kp", self.kp), ("ki", self.ki), ("kd", self.kd)] {
            if !v.is_finite() {
                return err(format!("`{k}` = {v}: expected a finite gain"));
            }
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return err(format!("`dt` = {}: expected a control period > 0 s", self.dt));
        }
        if !(self.derivative_tau.is_finite() && self.derivative_tau >= 0.0) {
            return err(format!("`derivative_tau` = {}: expected a time constant ≥ 0 s", self.derivative_tau));
        }
        if !(self.output_min < self.output_max) {
            return err(format!("output limits [{}, {}]: expected output_min < output_max", self.output_min, self.output_max));
        }
        Ok(())
    }
}

/// A discrete PID controller's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Pid {
    config: PidConfig,
    integral: f64,
    derivative: f64,
    previous_measurement: Option<f64>,
}

impl Pid {
    pub fn new(config: PidConfig) -> Result<Self, PolicyError> {
        config.validate()?;
        Ok(Self { config, integral: 0.0, derivative: 0.0, previous_measurement: None })
    }

    pub fn config(&self) -> &PidConfig {
        &self.config
    }

    /// Clears the integral and the derivative's memory.
    pub fn reset(&mut self) {
        self.integral = 0.0;
        self.derivative = 0.0;
        self.previous_measurement = None;
    }

    /// The integral term `I_k` (output units).
    pub fn integral(&self) -> f64 {
        self.integral
    }

    /// The filtered derivative of the measurement's negative, `D_k` (measurement units per s).
    pub fn derivative(&self) -> f64 {
        self.derivative
    }

    /// One control step: the command for `reference` and `measurement`.
    pub fn update(&mut self, reference: f64, measurement: f64) -> f64 {
        let c = &self.config;
        let error = reference - measurement;
        let raw = match self.previous_measurement {
            Some(previous) => -(measurement - previous) / c.dt,
            None => 0.0,
        };
        self.previous_measurement = Some(measurement);
        self.derivative += (raw - self.derivative) * c.dt / (c.derivative_tau + c.dt);
        let proportional = c.kp * error;
        let derivative = c.kd * self.derivative;
        let integral = self.integral + c.ki * error * c.dt;
        let unsaturated = proportional + integral + derivative;
        // Anti-windup: integrate unless that drives an already saturated output further out.
        let winding_up = (unsaturated > c.output_max && error * c.ki > 0.0) || (unsaturated < c.output_min && error * c.ki < 0.0);
        if !winding_up {
            self.integral = integral;
        }
        (proportional + self.integral + derivative).clamp(c.output_min, c.output_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(kp: f64, ki: f64, kd: f64, derivative_tau: f64) -> Pid {
        Pid::new(PidConfig { kp, ki, kd, derivative_tau, output_min: -1.0, output_max: 1.0, dt: 0.1 }).unwrap()
    }

    #[test]
    fn proportional_and_integral_by_hand() {
        let mut p = pid(2.0, 0.0, 0.0, 0.0);
        assert_eq!(p.update(1.0, 0.75), 0.5);
        // I: K_i e Δt = 0.5 · 1 · 0.1 = 0.05 per step.
        let mut i = pid(0.0, 0.5, 0.0, 0.0);
        let outputs: Vec<f64> = (0..3).map(|_| i.update(1.0, 0.0)).collect();
        for (u, want) in outputs.iter().zip([0.05, 0.10, 0.15]) {
            assert!((u - want).abs() < 1e-12, "{outputs:?}");
        }
    }

    #[test]
    fn derivative_acts_on_the_measurement_only_and_is_filtered() {
        let mut d = pid(0.0, 0.0, 0.5, 0.0);
        assert_eq!(d.update(0.0, 0.0), 0.0);
        // The reference steps: no derivative kick.
        assert_eq!(d.update(1.0, 0.0), 0.0);
        // The measurement rises 0.1 in 0.1 s: d = −1 /s, u = K_d d = −0.5.
        assert!((d.update(1.0, 0.1) + 0.5).abs() < 1e-12);
        // With τ_d = Δt the filter passes half of a step: D = 0.5·(−1) = −0.5, u = −0.25; then
        // with no further motion D decays by half each step: −0.25, u = −0.125.
        let mut f = pid(0.0, 0.0, 0.5, 0.1);
        f.update(0.0, 0.0);
        assert!((f.update(0.0, 0.1) + 0.25).abs() < 1e-12);
        assert!((f.update(0.0, 0.1) + 0.125).abs() < 1e-12);
    }

    #[test]
    fn anti_windup_holds_the_integral_at_saturation() {
        // K_i = 1, Δt = 0.1, error 10: the first step's integral is 1.0 (output 1, the limit);
        // further steps would wind it up to 2, 3, ... but it holds at 1.
        let mut p = pid(0.0, 1.0, 0.0, 0.0);
        for _ in 0..20 {
            assert_eq!(p.update(10.0, 0.0), 1.0);
        }
        assert!((p.integral() - 1.0).abs() < 1e-12, "integral {}", p.integral());
        // When the error turns, the output leaves saturation at once: 1 − 1·1·0.1 = 0.9.
        assert!((p.update(-1.0, 0.0) - 0.9).abs() < 1e-12);
        // Without anti-windup the integral would be 20 and the output stuck at 1 for ~190 steps.
    }

    #[test]
    fn reset_forgets_and_bad_config_is_named() {
        let mut p = pid(1.0, 1.0, 1.0, 0.05);
        p.update(1.0, 0.0);
        p.update(1.0, 0.2);
        p.reset();
        assert_eq!((p.integral(), p.derivative()), (0.0, 0.0));
        let bad = |c: PidConfig| Pid::new(c).unwrap_err().to_string();
        let base = PidConfig { kp: 1.0, ki: 0.0, kd: 0.0, derivative_tau: 0.0, output_min: -1.0, output_max: 1.0, dt: 0.1 };
        assert!(bad(PidConfig { dt: 0.0, ..base.clone() }).contains("`dt`"));
        assert!(bad(PidConfig { derivative_tau: -1.0, ..base.clone() }).contains("derivative_tau"));
        assert!(bad(PidConfig { output_min: 1.0, ..base.clone() }).contains("output_min < output_max"));
        assert!(bad(PidConfig { kp: f64::NAN, ..base }).contains("`kp`"));
    }
}
