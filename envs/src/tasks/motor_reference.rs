//! GEM's reference generators for the motor tasks (`reference_generators/` in
//! gym-electric-motor 3.0), on normalised values (state / limit) within the task's bounds
//! `[lo, hi]` (± nominal/limit of the controlled state).
//!
//! Each generator redraws its parameters every sub-episode of `episode_lengths` steps:
//!
//! | type | value at step k of a sub-episode (t = kτ) |
//! |---|---|
//! | `wiener` | `r ← clip(r + N(0, σ²), lo, hi)`, σ = 10^U(log σ_lo, log σ_hi) |
//! | `sinusoidal` | `A sin(2πft + φ) + c` |
//! | `triangular` | `A saw(2πft + φ, w) + c`, w ~ U(0, 1) (rising for a fraction w of the period) |
//! | `sawtooth` | `A saw(2πft + φ, 1) + c` |
//! | `step` | `A·(+1 if frac(ft + φ/2π) > h else −1) + c`, h ~ Triangular(0, ½, 1) |
//! | `constant` | `value` |
//! | `switched` | one of `generators`, drawn uniformly, switched after U(`super_episode_length`) steps |
//!
//! A ~ U(amplitude_range ∩ [0, (hi − lo)/2]), f ~ U(frequency_range) Hz, φ ~ U(0, 2π),
//! c ~ U(offset_range ∩ [lo + A, hi − A]); values are clipped to [lo, hi].

use rand::rngs::Xoshiro256PlusPlus;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// How a motor task's reference is drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MotorReference {
    Wiener { sigma_range: [f64; 2], episode_lengths: [usize; 2] },
    Sinusoidal { amplitude_range: [f64; 2], frequency_range: [f64; 2], offset_range: [f64; 2], episode_lengths: [usize; 2] },
    Triangular { amplitude_range: [f64; 2], frequency_range: [f64; 2], offset_range: [f64; 2], episode_lengths: [usize; 2] },
    Sawtooth { amplitude_range: [f64; 2], frequency_range: [f64; 2], offset_range: [f64; 2], episode_lengths: [usize; 2] },
    Step { amplitude_range: [f64; 2], frequency_range: [f64; 2], offset_range: [f64; 2], episode_lengths: [usize; 2] },
    Constant { value: f64 },
    Switched { generators: Vec<MotorReference>, super_episode_length: [usize; 2] },
}

impl MotorReference {
    /// GEM's defaults for a periodic generator of `kind` (`sinusoidal`, `triangular`, `sawtooth`, `step`).
    pub fn periodic_default(kind: &str) -> Option<Self> {
        let (a, f, c, e) = ([0.0, 1e9], [1.0, 10.0], [-1e9, 1e9], [500, 2000]);
        Some(match kind {
            "sinusoidal" => Self::Sinusoidal { amplitude_range: a, frequency_range: f, offset_range: c, episode_lengths: e },
            "triangular" => Self::Triangular { amplitude_range: a, frequency_range: f, offset_range: c, episode_lengths: e },
            "sawtooth" => Self::Sawtooth { amplitude_range: a, frequency_range: f, offset_range: c, episode_lengths: e },
            "step" => Self::Step { amplitude_range: a, frequency_range: f, offset_range: c, episode_lengths: e },
            _ => return None,
        })
    }

    /// Checks every range; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let range = |key: &str, r: [f64; 2], positive: bool| {
            if !r[0].is_nan() && !r[1].is_nan() && r[0] <= r[1] && (!positive || r[0] > 0.0) {
                Ok(())
            } else {
                Err(format!("reference `{key}` = {r:?}: expected [min, max] with min ≤ max{}", if positive { " and min > 0" } else { "" }))
            }
        };
        let lengths = |key: &str, e: [usize; 2]| if e[0] > 0 && e[0] <= e[1] { Ok(()) } else { Err(format!("reference `{key}` = {e:?}: expected 1 ≤ min ≤ max steps")) };
        match self {
            Self::Wiener { sigma_range, episode_lengths } => {
                range("sigma_range", *sigma_range, true)?;
                lengths("episode_lengths", *episode_lengths)
            }
            Self::Sinusoidal { amplitude_range, frequency_range, offset_range, episode_lengths }
            | Self::Triangular { amplitude_range, frequency_range, offset_range, episode_lengths }
            | Self::Sawtooth { amplitude_range, frequency_range, offset_range, episode_lengths }
            | Self::Step { amplitude_range, frequency_range, offset_range, episode_lengths } => {
                range("amplitude_range", *amplitude_range, false)?;
                range("frequency_range", *frequency_range, true)?;
                range("offset_range", *offset_range, false)?;
                lengths("episode_lengths", *episode_lengths)
            }
            Self::Constant { value } => {
                if value.is_finite() {
                    Ok(())
                } else {
                    Err(format!("reference `value` = {value}: expected a finite number"))
                }
            }
            Self::Switched { generators, super_episode_length } => {
                if generators.is_empty() {
                    return Err("reference `generators`: expected at least one".into());
                }
                lengths("super_episode_length", *super_episode_length)?;
                generators.iter().try_for_each(Self::validate)
            }
        }
    }
}

/// The drawn parameters of the current sub-episode and the step within it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceProcess {
    pub value: f64,
    k: usize,
    left: usize,
    sigma: f64,
    amplitude: f64,
    frequency: f64,
    offset: f64,
    phase: f64,
    /// Step: the high/low ratio; triangular: the rising fraction.
    shape: f64,
    /// Switched: the active generator, the steps left on it, and its process.
    active: usize,
    super_left: usize,
    inner: Option<Box<ReferenceProcess>>,
}

/// `scipy.signal.sawtooth(θ, width)`: rises from −1 to 1 over a fraction `width` of the period, then falls.
fn saw(theta: f64, width: f64) -> f64 {
    let x = theta.rem_euclid(std::f64::consts::TAU) / std::f64::consts::TAU;
    if x < width {
        -1.0 + 2.0 * x / width
    } else {
        1.0 - 2.0 * (x - width) / (1.0 - width)
    }
}

impl ReferenceProcess {
    /// Starts an episode: the initial value uniform in the bounds (constant: its value).
    pub fn reset(&mut self, config: &MotorReference, bounds: [f64; 2], rng: &mut Xoshiro256PlusPlus) {
        *self = Self::default();
        self.value = match config {
            MotorReference::Constant { value } => *value,
            _ => rng.random_range(bounds[0]..=bounds[1]),
        };
    }

    /// The value for the next step.
    pub fn advance(&mut self, config: &MotorReference, bounds: [f64; 2], tau: f64, rng: &mut Xoshiro256PlusPlus) -> f64 {
        let [lo, hi] = bounds;
        match config {
            MotorReference::Constant { value } => self.value = *value,
            MotorReference::Wiener { sigma_range: [s0, s1], episode_lengths: [a, b] } => {
                if self.left == 0 {
                    self.sigma = 10f64.powf(rng.random_range(s0.log10()..=s1.log10()));
                    self.left = rng.random_range(*a..=*b);
                }
                self.left -= 1;
                let z: f64 = StandardNormal.sample(rng);
                self.value = (self.value + self.sigma * z).clamp(lo, hi);
            }
            MotorReference::Sinusoidal { amplitude_range, frequency_range, offset_range, episode_lengths }
            | MotorReference::Triangular { amplitude_range, frequency_range, offset_range, episode_lengths }
            | MotorReference::Sawtooth { amplitude_range, frequency_range, offset_range, episode_lengths }
            | MotorReference::Step { amplitude_range, frequency_range, offset_range, episode_lengths } => {
                if self.left == 0 {
                    let a_hi = amplitude_range[1].min((hi - lo) / 2.0);
                    let a_lo = amplitude_range[0].clamp(0.0, a_hi);
                    self.amplitude = rng.random_range(a_lo..=a_hi);
                    self.frequency = rng.random_range(frequency_range[0]..=frequency_range[1]);
                    let (c_lo, c_hi) = (offset_range[0].max(lo + self.amplitude), offset_range[1].min(hi - self.amplitude));
                    self.offset = if c_lo <= c_hi { rng.random_range(c_lo..=c_hi) } else { (lo + hi) / 2.0 };
                    self.phase = rng.random_range(0.0..std::f64::consts::TAU);
                    let u: f64 = rng.random();
                    self.shape = match config {
                        MotorReference::Step { .. } => if u < 0.5 { (u / 2.0).sqrt() } else { 1.0 - ((1.0 - u) / 2.0).sqrt() },
                        MotorReference::Triangular { .. } => u,
                        _ => 1.0,
                    };
                    self.left = rng.random_range(episode_lengths[0]..=episode_lengths[1]);
                    self.k = 0;
                }
                let theta = std::f64::consts::TAU * self.frequency * self.k as f64 * tau + self.phase;
                let x = match config {
                    MotorReference::Sinusoidal { .. } => theta.sin(),
                    MotorReference::Step { .. } => {
                        if (theta / std::f64::consts::TAU).fract() > self.shape { 1.0 } else { -1.0 }
                    }
                    _ => saw(theta, self.shape),
                };
                self.value = (self.amplitude * x + self.offset).clamp(lo, hi);
                self.k += 1;
                self.left -= 1;
            }
            MotorReference::Switched { generators, super_episode_length } => {
                if self.super_left == 0 || self.inner.is_none() {
                    self.active = rng.random_range(0..generators.len());
                    self.super_left = rng.random_range(super_episode_length[0]..=super_episode_length[1]);
                    let mut inner = ReferenceProcess { value: self.value, ..Default::default() };
                    if let MotorReference::Constant { value } = generators[self.active] {
                        inner.value = value;
                    }
                    self.inner = Some(Box::new(inner));
                }
                self.super_left -= 1;
                if let Some(inner) = self.inner.as_mut() {
                    self.value = inner.advance(&generators[self.active], bounds, tau, rng);
                }
            }
        }
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn run(config: &MotorReference, steps: usize) -> Vec<f64> {
        config.validate().unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut p = ReferenceProcess::default();
        p.reset(config, [-0.75, 0.75], &mut rng);
        (0..steps).map(|_| p.advance(config, [-0.75, 0.75], 1e-4, &mut rng)).collect()
    }

    #[test]
    fn every_generator_stays_in_bounds_and_periodic_ones_have_their_shape() {
        for kind in ["sinusoidal", "triangular", "sawtooth", "step"] {
            let cfg = MotorReference::periodic_default(kind).unwrap();
            let v = run(&cfg, 5000);
            assert!(v.iter().all(|x| (-0.75..=0.75).contains(x)), "{kind}");
            assert!(v.iter().cloned().fold(f64::NEG_INFINITY, f64::max) > v.iter().cloned().fold(f64::INFINITY, f64::min), "{kind} varies");
        }
        // A step reference takes two values within a sub-episode.
        let step = MotorReference::Step { amplitude_range: [0.2, 0.2], frequency_range: [50.0, 50.0], offset_range: [0.1, 0.1], episode_lengths: [1000, 1000] };
        let v = run(&step, 1000);
        let mut levels: Vec<f64> = v.iter().map(|x| (x * 1e9).round() / 1e9).collect();
        levels.sort_by(f64::total_cmp);
        levels.dedup();
        assert_eq!(levels, [-0.1, 0.3]);
        // A sinusoid of 50 Hz at τ = 1e-4 s repeats every 200 steps.
        let sine = MotorReference::Sinusoidal { amplitude_range: [0.3, 0.3], frequency_range: [50.0, 50.0], offset_range: [0.0, 0.0], episode_lengths: [1000, 1000] };
        let v = run(&sine, 1000);
        assert!((0..800).all(|k| (v[k] - v[k + 200]).abs() < 1e-9));
        assert!((v.iter().cloned().fold(0.0, f64::max) - 0.3).abs() < 1e-3);
        assert_eq!(saw(0.0, 0.5), -1.0);
        assert!((saw(std::f64::consts::PI, 0.5) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn switched_uses_its_generators_and_bad_ranges_are_named() {
        let cfg = MotorReference::Switched {
            generators: vec![MotorReference::Constant { value: 0.5 }, MotorReference::Constant { value: -0.5 }],
            super_episode_length: [100, 100],
        };
        let v = run(&cfg, 2000);
        assert!(v.iter().all(|x| *x == 0.5 || *x == -0.5));
        assert!(v.contains(&0.5) && v.contains(&-0.5));
        assert!((0..20).all(|b| v[100 * b..100 * (b + 1)].windows(2).all(|w| w[0] == w[1])), "switches only at super-episode boundaries");
        let bad = MotorReference::Sinusoidal { amplitude_range: [0.0, 1.0], frequency_range: [0.0, 10.0], offset_range: [0.0, 0.0], episode_lengths: [1, 2] };
        assert!(bad.validate().unwrap_err().contains("frequency_range"));
        assert!(MotorReference::Switched { generators: vec![], super_episode_length: [1, 2] }.validate().unwrap_err().contains("generators"));
    }
}
