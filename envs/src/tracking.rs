//! Tracking metrics over an episode: RMSE, and the step-response figures a control engineer
//! reads off each hold of the reference.
//!
//! Given the tracked quantity `y_k` and the reference `r_k` at ticks `t_k = k·dt`:
//!
//! | metric | definition |
//! |---|---|
//! | `rmse` | `√(mean_k (r_k − y_k)²)` over the ticks so far (k ≥ 1) |
//! | `overshoot` | per hold reached by a jump Δ: `max(0, max_k (y_k − level)·sign Δ) / |Δ|` (a fraction of the jump); mean over such holds |
//! | `rise_time` | per jump: time from first reaching 10 % of the jump to first reaching 90 % (s); the hold's length if 90 % is never reached; mean |
//! | `settling_time` | per jump: time from the jump until `y` stays within `max(settle_band × |Δ|, settle_floor)` of the level (s; the floor keeps sensor-noise-sized wander from counting on small jumps); the hold's length if it never settles; mean |
//! | `steady_state_error` | per hold (any): mean \|level − y_k\| over its last `steady_window` seconds (at most its second half); mean over holds |
//!
//! A hold's figures are computed when its last tick is recorded, so at the end of an episode every
//! hold has been counted, except a last hold the episode's end cut shorter than it was drawn (its
//! response is still under way) and a hold cut short by early termination.

use serde::{Deserialize, Serialize};

/// The info keys of [`TrackingSummary`], as tracking tasks report them.
pub const METRIC_KEYS: [&str; 5] = ["rmse", "overshoot", "rise_time", "settling_time", "steady_state_error"];

use crate::reference::Hold;

/// Accumulates an episode's tracking metrics; reused across episodes (no allocation once warm).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrackingMetrics {
    dt: f64,
    /// Fraction of a jump that defines the settling band, and the band's least width (unit of y).
    settle_band: f64,
    settle_floor: f64,
    /// Window of a hold over which the steady-state error is averaged (s).
    steady_window: f64,
    /// `y_k` so far.
    history: Vec<f64>,
    sum_sq: f64,
    n_errors: usize,
    /// Index of the next hold to close.
    next_hold: usize,
    n_jumps: usize,
    sum_overshoot: f64,
    sum_rise: f64,
    sum_settling: f64,
    n_holds: usize,
    sum_steady: f64,
}

/// The metrics so far; `None` where no hold of that kind has closed yet.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TrackingSummary {
    pub rmse: f64,
    pub overshoot: Option<f64>,
    pub rise_time: Option<f64>,
    pub settling_time: Option<f64>,
    pub steady_state_error: Option<f64>,
}

impl TrackingMetrics {
    pub fn new(dt: f64, settle_band: f64, settle_floor: f64, steady_window: f64) -> Self {
        Self { dt, settle_band, settle_floor, steady_window, ..Default::default() }
    }

    /// Starts an episode at `y_0`.
    pub fn reset(&mut self, y0: f64) {
        let (dt, settle_band, settle_floor, steady_window) = (self.dt, self.settle_band, self.settle_floor, self.steady_window);
        let mut history = std::mem::take(&mut self.history);
        history.clear();
        history.push(y0);
        *self = Self { dt, settle_band, settle_floor, steady_window, history, ..Default::default() };
    }

    /// Records `y_k` for the next tick k against the reference `r_k`; closes any hold that ends at k.
    pub fn record(&mut self, y: f64, r: f64, holds: &[Hold]) {
        self.history.push(y);
        self.sum_sq += (r - y) * (r - y);
        self.n_errors += 1;
        let k = self.history.len() - 1;
        while let Some(hold) = holds.get(self.next_hold) {
            if hold.end > k + 1 {
                break;
            }
            self.close(hold);
            self.next_hold += 1;
        }
    }

    fn close(&mut self, hold: &Hold) {
        if hold.cut {
            return;
        }
        let ys = &self.history[hold.start..hold.end];
        let level = hold.level;
        let n = ys.len();
        let window = ((self.steady_window / self.dt).round() as usize).clamp(1, n.div_ceil(2));
        self.sum_steady += ys[n - window..].iter().map(|y| (level - y).abs()).sum::<f64>() / window as f64;
        self.n_holds += 1;
        let Some(from) = hold.jump_from else { return };
        let jump = level - from;
        if jump == 0.0 {
            return;
        }
        let fraction = |y: f64| (y - from) / jump;
        let peak = ys.iter().map(|y| (y - level) * jump.signum()).fold(0.0_f64, f64::max);
        let first = |f: f64| ys.iter().position(|&y| fraction(y) >= f);
        let length = n as f64 * self.dt;
        let rise = match (first(0.1), first(0.9)) {
            (Some(a), Some(b)) => (b - a) as f64 * self.dt,
            _ => length,
        };
        let band = (self.settle_band * jump.abs()).max(self.settle_floor);
        let settling = ys.iter().rposition(|y| (y - level).abs() > band).map_or(0.0, |last| (last + 1) as f64 * self.dt);
        self.sum_overshoot += peak / jump.abs();
        self.sum_rise += rise;
        self.sum_settling += settling;
        self.n_jumps += 1;
    }

    pub fn summary(&self) -> TrackingSummary {
        let mean = |sum: f64, n: usize| (n > 0).then(|| sum / n as f64);
        TrackingSummary {
            rmse: if self.n_errors > 0 { (self.sum_sq / self.n_errors as f64).sqrt() } else { 0.0 },
            overshoot: mean(self.sum_overshoot, self.n_jumps),
            rise_time: mean(self.sum_rise, self.n_jumps),
            settling_time: mean(self.sum_settling, self.n_jumps),
            steady_state_error: mean(self.sum_steady, self.n_holds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made response to a jump from 0 to 1 at tick 0, dt = 1 s: 0.05, 0.5, 0.95, 1.2, 1.04, 1.0, …
    #[test]
    fn step_metrics_by_hand() {
        let holds = [Hold { start: 0, end: 10, level: 1.0, jump_from: Some(0.0), cut: false }];
        let mut m = TrackingMetrics::new(1.0, 0.05, 0.0, 2.0);
        m.reset(0.0);
        let ys = [0.05, 0.5, 0.95, 1.2, 1.04, 1.0, 1.0, 0.98, 1.02];
        for (i, &y) in ys.iter().enumerate() {
            m.record(y, 1.0, &holds);
            if i < ys.len() - 1 {
                assert_eq!(m.summary().overshoot, None, "the hold is still open");
            }
        }
        let s = m.summary();
        // Ticks 0..10: y = 0, 0.05, 0.5, 0.95, 1.2, 1.04, 1.0, 1.0, 0.98, 1.02.
        assert!((s.overshoot.unwrap() - 0.2).abs() < 1e-12);
        // 10 % first at tick 2 (0.5), 90 % first at tick 3 (0.95): 1 s.
        assert!((s.rise_time.unwrap() - 1.0).abs() < 1e-12);
        // Last tick outside ±0.05 is tick 4 (1.2): settled from tick 5, i.e. 5 s after the jump.
        assert!((s.settling_time.unwrap() - 5.0).abs() < 1e-12);
        // Last 2 s: |1 − 0.98| and |1 − 1.02| → 0.02.
        assert!((s.steady_state_error.unwrap() - 0.02).abs() < 1e-12);
        let sq: f64 = ys.iter().map(|y| (1.0 - y) * (1.0 - y)).sum();
        assert!((s.rmse - (sq / 9.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn a_response_that_never_arrives_is_censored_at_the_hold_length() {
        let holds = [Hold { start: 0, end: 4, level: 2.0, jump_from: Some(1.0), cut: false }, Hold { start: 4, end: 8, level: 2.0, jump_from: None, cut: false }, Hold { start: 8, end: 9, level: 0.0, jump_from: Some(2.0), cut: true }];
        let mut m = TrackingMetrics::new(0.5, 0.05, 0.0, 1.0);
        m.reset(1.0);
        for _ in 0..8 {
            m.record(1.0, 2.0, &holds);
        }
        let s = m.summary();
        assert_eq!((s.rise_time, s.settling_time, s.overshoot), (Some(2.0), Some(2.0), Some(0.0)));
        // The cut hold (tick 8) counts in the RMSE only.
        assert_eq!(s.steady_state_error, Some(1.0));
        // Reset forgets everything.
        m.reset(0.0);
        assert_eq!(m.summary(), TrackingSummary::default());
    }
}
