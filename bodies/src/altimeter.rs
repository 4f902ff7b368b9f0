//! An altitude sensor read at the control rate: latency, Gaussian noise and dropouts.
//!
//! Reading `k` returns the true altitude of `delay` control periods earlier plus
//! `N(0, noise_std²)`, where `delay = latency / control_dt` (a whole number of periods: a
//! reading that is late by a fraction of a period arrives at the next control tick). With
//! probability `dropout_probability` a reading is lost and [`Altimeter::read`] returns `None`:
//! what an ultrasonic or time-of-flight ranger does when the echo is missed. The noise and
//! dropouts come from the altimeter's own random stream ([`Altimeter::reseed`]), so they do
//! not disturb any other stream of the env.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::non_negative;
use crate::BodyError;

/// The sensor's characteristics; the defaults are those of a small time-of-flight ranger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AltimeterParams {
    /// Standard deviation of the reading's noise (m).
    pub noise_std: f64,
    /// Delay from the altitude to its reading (s); a whole number of control periods.
    pub latency: f64,
    /// Probability that a reading is lost, in [0, 1).
    pub dropout_probability: f64,
}

impl Default for AltimeterParams {
    fn default() -> Self {
        Self { noise_std: 0.01, latency: 0.05, dropout_probability: 0.0 }
    }
}

/// The altitude sensor's state: the delay line and the noise stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Altimeter {
    params: AltimeterParams,
    /// True altitudes of the last `delay + 1` control ticks, oldest at `next`.
    history: Vec<f64>,
    next: usize,
    rng: Xoshiro256PlusPlus,
}

impl Altimeter {
    /// An altimeter read every `control_dt` seconds. Errors name a bad parameter: negative noise,
    /// a dropout probability outside [0, 1), or a latency that is not a whole number of periods.
    pub fn new(params: AltimeterParams, control_dt: f64) -> Result<Self, BodyError> {
        non_negative("noise_std", params.noise_std)?;
        non_negative("latency", params.latency)?;
        if !(0.0..1.0).contains(&params.dropout_probability) {
            return Err(BodyError::new("dropout_probability", params.dropout_probability, "a probability in [0, 1)"));
        }
        let periods = params.latency / control_dt;
        let delay = periods.round();
        if (periods - delay).abs() > 1e-6 || delay > 1000.0 {
            return Err(BodyError::new("latency", params.latency, format!("a whole number of control periods of {control_dt} s (at most 1000)")));
        }
        let history = vec![0.0; delay as usize + 1];
        Ok(Self { params, history, next: 0, rng: Xoshiro256PlusPlus::seed_from_u64(0) })
    }

    pub fn params(&self) -> &AltimeterParams {
        &self.params
    }

    /// The reading's delay in control periods.
    pub fn delay(&self) -> usize {
        self.history.len() - 1
    }

    /// Restarts the noise stream from `seed`.
    pub fn reseed(&mut self, seed: u64) {
        self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    }

    /// Fills the delay line with `altitude` (m): the blimp has been there for a while.
    pub fn reset(&mut self, altitude: f64) {
        self.history.fill(altitude);
        self.next = 0;
    }

    /// Records the true `altitude` (m) at this control tick and returns the reading, or `None`
    /// if it was lost.
    pub fn read(&mut self, altitude: f64) -> Option<f64> {
        // The slot at `next` holds the oldest altitude: read it, then overwrite it with the newest.
        let n = self.history.len();
        let slot = (self.next + n - 1) % n;
        self.history[slot] = altitude;
        let delayed = self.history[self.next];
        self.next = (self.next + 1) % n;
        let noise: f64 = StandardNormal.sample(&mut self.rng);
        let lost = self.params.dropout_probability > 0.0 && self.rng.random::<f64>() < self.params.dropout_probability;
        (!lost).then_some(delayed + self.params.noise_std * noise)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(latency: f64) -> Altimeter {
        Altimeter::new(AltimeterParams { noise_std: 0.0, latency, dropout_probability: 0.0 }, 0.05).unwrap()
    }

    #[test]
    fn latency_delays_readings_by_whole_periods() {
        let mut a = quiet(0.1);
        assert_eq!(a.delay(), 2);
        a.reset(1.0);
        let readings: Vec<f64> = [2.0, 3.0, 4.0, 5.0].iter().map(|&z| a.read(z).unwrap()).collect();
        assert_eq!(readings, [1.0, 1.0, 2.0, 3.0]);
        let mut now = quiet(0.0);
        assert_eq!(now.read(7.0), Some(7.0));
    }

    #[test]
    fn noise_has_the_stated_spread_and_dropouts_their_rate() {
        let params = AltimeterParams { noise_std: 0.02, latency: 0.0, dropout_probability: 0.1 };
        let mut a = Altimeter::new(params, 0.05).unwrap();
        a.reseed(3);
        let readings: Vec<Option<f64>> = (0..20_000).map(|_| a.read(1.0)).collect();
        let kept: Vec<f64> = readings.iter().flatten().map(|r| r - 1.0).collect();
        let lost = 1.0 - kept.len() as f64 / readings.len() as f64;
        let mean = kept.iter().sum::<f64>() / kept.len() as f64;
        let std = (kept.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / kept.len() as f64).sqrt();
        assert!((lost - 0.1).abs() < 0.01, "lost {lost}");
        assert!(mean.abs() < 0.001 && (std / 0.02 - 1.0).abs() < 0.03, "mean {mean}, std {std}");
        // The same seed gives the same readings.
        a.reseed(3);
        assert_eq!(a.read(1.0), readings[0]);
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = |p: AltimeterParams| Altimeter::new(p, 0.05).unwrap_err().to_string();
        assert!(bad(AltimeterParams { latency: 0.07, ..Default::default() }).contains("`latency`"));
        assert!(bad(AltimeterParams { noise_std: -1.0, ..Default::default() }).contains("`noise_std`"));
        assert!(bad(AltimeterParams { dropout_probability: 1.0, ..Default::default() }).contains("`dropout_probability`"));
        assert!(bad(AltimeterParams { latency: f64::NAN, ..Default::default() }).contains("`latency`"));
    }
}
