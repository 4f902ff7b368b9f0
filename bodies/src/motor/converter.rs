//! Power converters with GEM's models (`converters.py`): the output voltage is a fraction of the
//! supply voltage, decided by the action and, where diodes conduct, by the sign of the current.
//!
//! | converter | continuous action | finite action | output (× u_sup) |
//! |---|---|---|---|
//! | 1-quadrant (1QC) | duty d ∈ [0, 1] | 0 off, 1 on | `d` (`action`) if i ≥ 0, else 1 (freewheeling diode) |
//! | 2-quadrant (2QC) | d ∈ [0, 1] | 0 both off, 1 upper on, 2 lower on | `clip(d − sign(i)·t_il/τ, 0, 1)`; finite: 1 → 1, 2 → 0, 0 → 1 if i < 0 else 0 |
//! | 4-quadrant (4QC) | a ∈ [−1, 1] | 0…3 (0: T2,T4; 1: T1,T4; 2: T2,T3; 3: T1,T3) | two 2QC legs, `u = u₁(i) − u₂(−i)` with d₁ = (a + 1)/2, d₂ = (1 − a)/2: `u = a` without interlocking; finite 0 → 0, 1 → +1, 2 → −1, 3 → 0 |
//! | B6 bridge | a ∈ [−1, 1]³ | 0…7 = 4·H₁ + 2·H₂ + H₃ (H = 1: upper switch) | each leg a 2QC minus ½: in [−½, ½] |
//!
//! Continuous actions outside their box are clipped (as GEM does); NaN or infinite actions and
//! switching states that do not exist are errors. `interlocking_time` t_il (s, default 0) is
//! the dead time between opening one switch of a leg and closing the other: continuous
//! converters lose `sign(i)·t_il/τ` of duty; finite ones hold all switches open for t_il after a
//! change between two conducting states ([`Converter::plan`]).

use serde::{Deserialize, Serialize};

use crate::BodyError;

/// Which converter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConverterKind {
    OneQuadrant,
    TwoQuadrant,
    FourQuadrant,
    B6Bridge,
}

impl ConverterKind {
    /// Output channels: 1 for DC converters, 3 (phases) for the B6 bridge.
    pub fn outputs(self) -> usize {
        if self == ConverterKind::B6Bridge { 3 } else { 1 }
    }

    /// Number of switching states of the finite variant.
    pub fn switching_states(self) -> usize {
        match self {
            ConverterKind::OneQuadrant => 2,
            ConverterKind::TwoQuadrant => 3,
            ConverterKind::FourQuadrant => 4,
            ConverterKind::B6Bridge => 8,
        }
    }

    /// The continuous action box `[low, high]` per entry.
    pub fn action_range(self) -> (f64, f64) {
        match self {
            ConverterKind::OneQuadrant | ConverterKind::TwoQuadrant => (0.0, 1.0),
            _ => (-1.0, 1.0),
        }
    }
}

/// What the controller asks of a converter for one control period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConverterAction<'a> {
    /// Duty cycles (continuous converters), one per output channel.
    Duty(&'a [f64]),
    /// A switching state (finite converters).
    Switch(usize),
}

/// A converter: its kind, whether it switches (finite) or averages (continuous), and its dead time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Converter {
    pub kind: ConverterKind,
    pub finite: bool,
    /// Interlocking (dead) time (s).
    pub interlocking_time: f64,
}

/// The settled form of an action: clipped duty cycles or a valid switching state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Applied {
    Duty([f64; 3]),
    Switch(usize),
}

fn sign(x: f64) -> f64 {
    if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { 0.0 }
}

/// A continuous 2QC leg's output for duty `d` and current `i`.
fn leg_2qc(d: f64, i: f64, dead: f64) -> f64 {
    (d - sign(i) * dead).clamp(0.0, 1.0)
}

/// A finite 2QC leg's output for switching state `s` (0 off, 1 upper, 2 lower) and current `i`.
fn switch_2qc(s: usize, i: f64) -> f64 {
    match s {
        1 => 1.0,
        2 => 0.0,
        _ => {
            if i < 0.0 { 1.0 } else { 0.0 }
        }
    }
}

/// B6 legs per switching state: 1 upper switch on, 2 lower (GEM's `_subactions`).
const B6_LEGS: [[usize; 3]; 8] = [[2, 2, 2], [2, 2, 1], [2, 1, 2], [2, 1, 1], [1, 2, 2], [1, 2, 1], [1, 1, 2], [1, 1, 1]];

impl Converter {
    pub fn continuous(kind: ConverterKind) -> Self {
        Self { kind, finite: false, interlocking_time: 0.0 }
    }

    pub fn finite(kind: ConverterKind) -> Self {
        Self { kind, finite: true, interlocking_time: 0.0 }
    }

    pub fn validate(&self, tau: f64) -> Result<(), BodyError> {
        if !(self.interlocking_time.is_finite() && self.interlocking_time >= 0.0 && self.interlocking_time < tau) {
            return Err(BodyError::new("interlocking_time", self.interlocking_time, format!("a dead time ≥ 0 s and shorter than the period τ = {tau} s")));
        }
        Ok(())
    }

    /// Checks `action` against this converter and settles it: duty cycles clipped to the box, a
    /// switching state checked to exist. Errors name what was wrong.
    pub fn apply(&self, action: ConverterAction) -> Result<Applied, BodyError> {
        match (self.finite, action) {
            (false, ConverterAction::Duty(d)) => {
                let n = self.kind.outputs();
                if d.len() != n {
                    return Err(BodyError::new("action", format!("{} duty cycles", d.len()), format!("{n} for a {:?} converter", self.kind)));
                }
                let (lo, hi) = self.kind.action_range();
                let mut out = [0.0; 3];
                for (o, &x) in out.iter_mut().zip(d) {
                    if !x.is_finite() {
                        return Err(BodyError::new("action", x, "a finite duty cycle"));
                    }
                    *o = x.clamp(lo, hi);
                }
                Ok(Applied::Duty(out))
            }
            (true, ConverterAction::Switch(s)) => {
                let n = self.kind.switching_states();
                if s >= n {
                    return Err(BodyError::new("action", s, format!("a switching state in 0..{n} for a finite {:?} converter", self.kind)));
                }
                Ok(Applied::Switch(s))
            }
            (true, ConverterAction::Duty(_)) => Err(BodyError::new("action", "duty cycles", "a switching state: this converter is finite")),
            (false, ConverterAction::Switch(_)) => Err(BodyError::new("action", "a switching state", "duty cycles: this converter is continuous")),
        }
    }

    /// The output voltages as fractions of the supply for `applied` at input `currents` (A),
    /// over a period of `tau` seconds, into `out` (one entry per channel).
    pub fn output(&self, applied: Applied, currents: &[f64], tau: f64, out: &mut [f64]) {
        let dead = self.interlocking_time / tau;
        match (self.kind, applied) {
            (ConverterKind::OneQuadrant, Applied::Duty(d)) => out[0] = if currents[0] >= 0.0 { d[0] } else { 1.0 },
            (ConverterKind::TwoQuadrant, Applied::Duty(d)) => out[0] = leg_2qc(d[0], currents[0], dead),
            (ConverterKind::FourQuadrant, Applied::Duty(d)) => {
                let (d1, d2) = (0.5 * (d[0] + 1.0), -0.5 * (d[0] - 1.0));
                out[0] = leg_2qc(d1, currents[0], dead) - leg_2qc(d2, -currents[0], dead);
            }
            (ConverterKind::B6Bridge, Applied::Duty(d)) => {
                for k in 0..3 {
                    out[k] = leg_2qc(0.5 * (d[k] + 1.0), currents[k], dead) - 0.5;
                }
            }
            (ConverterKind::OneQuadrant, Applied::Switch(s)) => out[0] = if currents[0] >= 0.0 { s as f64 } else { 1.0 },
            (ConverterKind::TwoQuadrant, Applied::Switch(s)) => out[0] = switch_2qc(s, currents[0]),
            (ConverterKind::FourQuadrant, Applied::Switch(s)) => {
                let (a0, a1) = ([1, 1, 2, 2][s], [1, 2, 1, 2][s]);
                out[0] = switch_2qc(a0, currents[0]) - switch_2qc(a1, -currents[0]);
            }
            (ConverterKind::B6Bridge, Applied::Switch(s)) => {
                for k in 0..3 {
                    out[k] = switch_2qc(B6_LEGS[s][k], currents[k]) - 0.5;
                }
            }
        }
    }

    /// The switching plan of one period: `(fraction of τ, applied)` segments. A finite converter
    /// changing between two different conducting states with a dead time first opens every
    /// switch (state 0) for `interlocking_time`; everything else is one segment.
    pub fn plan(&self, previous: Option<Applied>, applied: Applied, tau: f64) -> [(f64, Applied); 2] {
        let dead = self.interlocking_time / tau;
        match (self.finite, previous, applied) {
            (true, Some(Applied::Switch(p)), Applied::Switch(s)) if dead > 0.0 && p != s && p != 0 && s != 0 => {
                [(dead, Applied::Switch(0)), (1.0 - dead, applied)]
            }
            _ => [(1.0, applied), (0.0, applied)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(c: Converter, a: ConverterAction, i: &[f64]) -> Vec<f64> {
        let applied = c.apply(a).unwrap();
        let mut o = vec![0.0; c.kind.outputs()];
        c.output(applied, i, 1e-4, &mut o);
        o
    }

    #[test]
    fn continuous_outputs_follow_gem() {
        let c4 = Converter::continuous(ConverterKind::FourQuadrant);
        let close = |a: Vec<f64>, b: f64| (a[0] - b).abs() < 1e-12;
        assert!(close(out(c4, ConverterAction::Duty(&[0.3]), &[5.0]), 0.3));
        assert!(close(out(c4, ConverterAction::Duty(&[-0.7]), &[-5.0]), -0.7));
        assert_eq!(out(c4, ConverterAction::Duty(&[1.7]), &[0.0]), [1.0], "clipped to the box");
        let c1 = Converter::continuous(ConverterKind::OneQuadrant);
        assert_eq!(out(c1, ConverterAction::Duty(&[0.4]), &[1.0]), [0.4]);
        assert_eq!(out(c1, ConverterAction::Duty(&[0.4]), &[-1.0]), [1.0], "the freewheeling diode conducts");
        // Interlocking: 2QC loses sign(i)·t_il/τ of duty.
        let c2 = Converter { interlocking_time: 1e-5, ..Converter::continuous(ConverterKind::TwoQuadrant) };
        assert!((out(c2, ConverterAction::Duty(&[0.5]), &[3.0])[0] - 0.4).abs() < 1e-12);
        assert!((out(c2, ConverterAction::Duty(&[0.5]), &[-3.0])[0] - 0.6).abs() < 1e-12);
        let b6 = Converter::continuous(ConverterKind::B6Bridge);
        assert_eq!(out(b6, ConverterAction::Duty(&[1.0, 0.0, -1.0]), &[0.0; 3]), [0.5, 0.0, -0.5]);
    }

    #[test]
    fn finite_outputs_follow_gem() {
        let f4 = Converter::finite(ConverterKind::FourQuadrant);
        let u: Vec<f64> = (0..4).map(|s| out(f4, ConverterAction::Switch(s), &[1.0])[0]).collect();
        assert_eq!(u, [0.0, 1.0, -1.0, 0.0]);
        let f2 = Converter::finite(ConverterKind::TwoQuadrant);
        assert_eq!(out(f2, ConverterAction::Switch(0), &[-1.0]), [1.0]);
        assert_eq!(out(f2, ConverterAction::Switch(0), &[1.0]), [0.0]);
        let b6 = Converter::finite(ConverterKind::B6Bridge);
        // State 4 = H1 upper, H2 and H3 lower.
        assert_eq!(out(b6, ConverterAction::Switch(4), &[1.0; 3]), [0.5, -0.5, -0.5]);
        assert_eq!(out(b6, ConverterAction::Switch(7), &[1.0; 3]), [0.5, 0.5, 0.5]);
    }

    #[test]
    fn bad_actions_are_named_and_dead_time_plans_an_open_interval() {
        let f4 = Converter::finite(ConverterKind::FourQuadrant);
        assert!(f4.apply(ConverterAction::Switch(4)).unwrap_err().to_string().contains("0..4"));
        assert!(f4.apply(ConverterAction::Duty(&[0.1])).unwrap_err().to_string().contains("finite"));
        let c4 = Converter::continuous(ConverterKind::FourQuadrant);
        assert!(c4.apply(ConverterAction::Duty(&[f64::NAN])).unwrap_err().to_string().contains("finite duty"));
        assert!(c4.apply(ConverterAction::Duty(&[0.1, 0.2])).is_err());
        let dead = Converter { interlocking_time: 2e-6, ..f4 };
        let plan = dead.plan(Some(Applied::Switch(1)), Applied::Switch(2), 1e-5);
        assert!((plan[0].0 - 0.2).abs() < 1e-12 && (plan[1].0 - 0.8).abs() < 1e-12);
        assert_eq!((plan[0].1, plan[1].1), (Applied::Switch(0), Applied::Switch(2)));
        // Into or out of the open state, and on continuous converters, there is no extra interval.
        assert_eq!(dead.plan(Some(Applied::Switch(0)), Applied::Switch(2), 1e-5)[0], (1.0, Applied::Switch(2)));
        assert!(dead.validate(1e-5).is_ok() && Converter { interlocking_time: 2e-5, ..f4 }.validate(1e-5).is_err());
    }
}
