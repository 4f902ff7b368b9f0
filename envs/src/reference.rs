//! Reference signals for tracking tasks: a whole episode's reference drawn at reset.
//!
//! A [`ReferenceProfile`] holds the reference `r_k` at every control tick `t_k = k·dt`
//! (k = 0..=n), its slope (the generator's analytic rate, m/s for an altitude; zero across a
//! step's jump, which is not a rate a sensor could report), and the *holds*: stretches where the
//! reference is constant, with the level it jumped from if it arrived by a step. Step-response
//! metrics ([`crate::tracking`]) are computed on holds.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// The shape of the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// A square wave between `low` and `high`, each level held for the mean of `hold` (a
    /// classic step-response test; the same every episode).
    Steps,
    /// Levels drawn uniformly in [`low`, `high`], each at least `min_step` from the last, held
    /// for a time drawn from `hold`.
    RandomSteps,
    /// Random levels joined by ramps at a rate drawn from `ramp_rate`, each held as above.
    Ramps,
    /// A sine about the middle of [`low`, `high`], its amplitude drawn from half to all of the
    /// half-range and its period from `sine_period`.
    Sines,
    /// One of the four above, drawn per episode.
    Mixed,
}

/// How references are drawn (every key optional; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReferenceConfig {
    pub kind: ReferenceKind,
    /// Range of reference levels (in the tracked quantity's unit, e.g. m).
    pub low: f64,
    pub high: f64,
    /// Range of hold times (s).
    pub hold: [f64; 2],
    /// Smallest jump of `random_steps` (same unit as `low`).
    pub min_step: f64,
    /// Range of ramp rates (unit per s).
    pub ramp_rate: [f64; 2],
    /// Range of sine periods (s).
    pub sine_period: [f64; 2],
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        Self { kind: ReferenceKind::RandomSteps, low: 1.0, high: 2.5, hold: [12.0, 20.0], min_step: 0.25, ramp_rate: [0.05, 0.2], sine_period: [20.0, 40.0] }
    }
}

impl ReferenceConfig {
    /// Checks the ranges; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.low.is_finite() && self.high.is_finite() && self.low < self.high) {
            return Err(format!("reference `low` = {}, `high` = {}: expected finite numbers with low < high", self.low, self.high));
        }
        let range = |key: &str, r: [f64; 2]| {
            if r[0].is_finite() && r[1].is_finite() && 0.0 < r[0] && r[0] <= r[1] {
                Ok(())
            } else {
                Err(format!("reference `{key}` = {r:?}: expected [min, max] with 0 < min ≤ max"))
            }
        };
        range("hold", self.hold)?;
        range("ramp_rate", self.ramp_rate)?;
        range("sine_period", self.sine_period)?;
        if !(self.min_step.is_finite() && self.min_step >= 0.0 && 2.0 * self.min_step <= self.high - self.low) {
            return Err(format!(
                "reference `min_step` = {}: expected a jump ≥ 0 of at most half the range `high` − `low` = {}",
                self.min_step,
                self.high - self.low
            ));
        }
        Ok(())
    }
}

/// A stretch of constant reference: ticks `start..end`, at `level`; `jump_from` is the level
/// before, if the reference arrived by a step; `cut` if the episode's end cut it short.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hold {
    pub start: usize,
    pub end: usize,
    pub level: f64,
    pub jump_from: Option<f64>,
    pub cut: bool,
}

/// A whole episode's reference.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReferenceProfile {
    /// `r_k` for k = 0..=n.
    pub values: Vec<f64>,
    /// `ṙ_k` (unit per s), zero on holds and across jumps.
    pub slopes: Vec<f64>,
    pub holds: Vec<Hold>,
}

impl ReferenceProfile {
    /// Draws a reference over `n` control periods of `dt` seconds (n + 1 ticks) into `self`,
    /// reusing its buffers. `config` must have passed [`ReferenceConfig::validate`].
    pub fn generate(&mut self, config: &ReferenceConfig, n: usize, dt: f64, rng: &mut impl Rng) {
        self.values.clear();
        self.slopes.clear();
        self.holds.clear();
        let kind = match config.kind {
            ReferenceKind::Mixed => [ReferenceKind::Steps, ReferenceKind::RandomSteps, ReferenceKind::Ramps, ReferenceKind::Sines][rng.random_range(0..4)],
            kind => kind,
        };
        let ticks = n + 1;
        let seconds = |s: f64| ((s / dt).round() as usize).max(1);
        match kind {
            ReferenceKind::Sines => {
                let (mid, half) = ((config.low + config.high) / 2.0, (config.high - config.low) / 2.0);
                let amplitude = half * rng.random_range(0.5..=1.0);
                let omega = std::f64::consts::TAU / rng.random_range(config.sine_period[0]..=config.sine_period[1]);
                for k in 0..ticks {
                    let t = k as f64 * dt;
                    self.values.push(mid + amplitude * (omega * t).sin());
                    self.slopes.push(amplitude * omega * (omega * t).cos());
                }
            }
            ReferenceKind::Steps => {
                let hold = seconds((config.hold[0] + config.hold[1]) / 2.0);
                let mut level = config.low;
                let mut from = None;
                while self.values.len() < ticks {
                    self.push_hold(level, from, hold, ticks);
                    from = Some(level);
                    level = if level == config.low { config.high } else { config.low };
                }
            }
            ReferenceKind::RandomSteps | ReferenceKind::Ramps => {
                let mut level = rng.random_range(config.low..=config.high);
                let mut from = None;
                while self.values.len() < ticks {
                    self.push_hold(level, from, seconds(rng.random_range(config.hold[0]..=config.hold[1])), ticks);
                    let next = draw_level(config, level, rng);
                    if kind == ReferenceKind::Ramps {
                        let rate = rng.random_range(config.ramp_rate[0]..=config.ramp_rate[1]).copysign(next - level);
                        let ramp_ticks = seconds((next - level) / rate);
                        for i in 1..=ramp_ticks {
                            if self.values.len() == ticks {
                                break;
                            }
                            self.values.push(level + (next - level) * i as f64 / ramp_ticks as f64);
                            self.slopes.push(if i < ramp_ticks { rate } else { 0.0 });
                        }
                        from = None;
                    } else {
                        from = Some(level);
                    }
                    level = next;
                }
            }
            ReferenceKind::Mixed => unreachable!("replaced by a drawn kind above"),
        }
    }

    /// Appends a hold of `len` ticks at `level` (cut at `ticks`).
    fn push_hold(&mut self, level: f64, jump_from: Option<f64>, len: usize, ticks: usize) {
        let start = self.values.len();
        let end = (start + len).min(ticks);
        self.values.resize(end, level);
        self.slopes.resize(end, 0.0);
        self.holds.push(Hold { start, end, level, jump_from, cut: end < start + len });
    }
}

/// A level in [`low`, `high`] at least `min_step` from `level` (uniform over the allowed set).
fn draw_level(config: &ReferenceConfig, level: f64, rng: &mut impl Rng) -> f64 {
    // The allowed set is [low, level − min_step] ∪ [level + min_step, high]; draw on its length.
    let below = (level - config.min_step - config.low).max(0.0);
    let above = (config.high - level - config.min_step).max(0.0);
    let u = rng.random_range(0.0..=(below + above));
    if u < below {
        config.low + u
    } else {
        level + config.min_step + (u - below)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::SeedableRng;

    fn profile(kind: ReferenceKind, seed: u64) -> ReferenceProfile {
        let config = ReferenceConfig { kind, ..Default::default() };
        config.validate().unwrap();
        let mut p = ReferenceProfile::default();
        p.generate(&config, 1200, 0.05, &mut Xoshiro256PlusPlus::seed_from_u64(seed));
        p
    }

    #[test]
    fn every_kind_fills_the_episode_within_its_range() {
        for kind in [ReferenceKind::Steps, ReferenceKind::RandomSteps, ReferenceKind::Ramps, ReferenceKind::Sines, ReferenceKind::Mixed] {
            for seed in 0..20 {
                let p = profile(kind, seed);
                assert_eq!((p.values.len(), p.slopes.len()), (1201, 1201), "{kind:?}");
                assert!(p.values.iter().all(|&r| (1.0 - 1e-12..=2.5 + 1e-12).contains(&r)), "{kind:?} leaves [low, high]");
                // Holds tile their stretches, hold their level, and their slopes are zero.
                for h in &p.holds {
                    assert!(h.start < h.end && h.end <= 1201);
                    assert!(p.values[h.start..h.end].iter().all(|&r| r == h.level));
                    assert!(p.slopes[h.start..h.end].iter().all(|&s| s == 0.0));
                }
            }
        }
    }

    #[test]
    fn random_steps_jump_at_least_min_step_and_slopes_match_differences() {
        let p = profile(ReferenceKind::RandomSteps, 4);
        assert!(p.holds.len() >= 3, "{} holds", p.holds.len());
        for pair in p.holds.windows(2) {
            assert_eq!(pair[1].jump_from, Some(pair[0].level));
            assert!((pair[1].level - pair[0].level).abs() >= 0.25 - 1e-12);
            assert_eq!(pair[0].end, pair[1].start);
        }
        // On ramps and sines the slope is the rate of change: compare with central differences.
        for kind in [ReferenceKind::Ramps, ReferenceKind::Sines] {
            let p = profile(kind, 7);
            assert!(p.slopes.iter().any(|&s| s != 0.0));
            for k in 1..1200 {
                let diff = (p.values[k + 1] - p.values[k - 1]) / 0.1;
                let near_corner = p.slopes[k - 1] != p.slopes[k + 1];
                assert!(near_corner || (diff - p.slopes[k]).abs() < 2e-3, "{kind:?} k = {k}: {diff} vs {}", p.slopes[k]);
            }
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_reference_and_bad_ranges_are_named() {
        assert_eq!(profile(ReferenceKind::Mixed, 9), profile(ReferenceKind::Mixed, 9));
        assert_ne!(profile(ReferenceKind::RandomSteps, 1), profile(ReferenceKind::RandomSteps, 2));
        let bad = |c: ReferenceConfig| c.validate().unwrap_err();
        assert!(bad(ReferenceConfig { low: 3.0, high: 1.0, ..Default::default() }).contains("`low`"));
        assert!(bad(ReferenceConfig { hold: [0.0, 1.0], ..Default::default() }).contains("`hold`"));
        assert!(bad(ReferenceConfig { min_step: 1.5, ..Default::default() }).contains("`min_step`"));
        assert!(bad(ReferenceConfig { sine_period: [f64::NAN, 1.0], ..Default::default() }).contains("`sine_period`"));
    }
}
