//! A linear feedback policy `a = clip(W·obs + b)` on a flat parameter vector: the baseline of
//! Mania, Guy & Recht, "Simple random search of static linear policies is competitive for
//! reinforcement learning" (NeurIPS 2018), the smallest policy an evolution strategy can train
//! on any env with a bounded Box action space.
//!
//! Parameters: `W` (actions × observations, row-major), then `b`. The output is clipped to the
//! action box. ARS starts from `W = 0, b = 0`; `init_std > 0` draws `W ~ N(0, init_std²/n_obs)`.

use envs::{EnvSpec, Space};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::policy::{check_parameters, Policy, PolicyError, Work};

/// The linear policy's initialisation (unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinearConfig {
    /// Standard deviation of the initial gains times √n_obs (0: start from zero gains, as ARS does).
    pub init_std: f32,
    /// Seed of the initial gains.
    pub init_seed: u64,
}

impl Default for LinearConfig {
    fn default() -> Self {
        Self { init_std: 0.0, init_seed: 0 }
    }
}

#[derive(Debug, Clone)]
pub struct LinearPolicy {
    n_obs: usize,
    params: Vec<f32>,
    low: Vec<f32>,
    high: Vec<f32>,
}

impl LinearPolicy {
    pub fn new(spec: &EnvSpec, config: &LinearConfig) -> Result<Self, PolicyError> {
        let incompatible = |reason: &str| PolicyError::Incompatible { controller: "linear".into(), env: spec.id.clone(), reason: reason.into() };
        let Space::Box(b) = &spec.action_space else {
            return Err(incompatible("its action space is discrete (use `mlp`, which acts by its largest logit)"));
        };
        if !b.is_bounded() {
            return Err(incompatible("its action space is unbounded"));
        }
        if !(config.init_std.is_finite() && config.init_std >= 0.0) {
            return Err(PolicyError::Config { controller: "linear".into(), message: format!("`init_std` = {}: expected a number ≥ 0", config.init_std) });
        }
        let (n_obs, n_act) = (spec.obs_dim(), spec.act_dim());
        let mut params = vec![0.0; n_act * n_obs + n_act];
        if config.init_std > 0.0 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.init_seed);
            let normal = Normal::new(0.0_f32, config.init_std / (n_obs as f32).sqrt()).expect("positive std");
            params[..n_act * n_obs].iter_mut().for_each(|w| *w = normal.sample(&mut rng));
        }
        Ok(Self { n_obs, params, low: b.low.clone(), high: b.high.clone() })
    }
}

impl Policy for LinearPolicy {
    fn name(&self) -> &str {
        "linear"
    }

    fn reset(&mut self, _seed: Option<u64>) {}

    fn act(&mut self, obs: &[f32], action: &mut [f32]) {
        let (w, b) = self.params.split_at(action.len() * self.n_obs);
        for (i, a) in action.iter_mut().enumerate() {
            let row = &w[i * self.n_obs..(i + 1) * self.n_obs];
            let z = row.iter().zip(obs).map(|(w, x)| w * x).sum::<f32>() + b[i];
            *a = z.clamp(self.low[i], self.high[i]);
        }
    }

    fn parameters(&self) -> Option<&[f32]> {
        Some(&self.params)
    }

    fn set_parameters(&mut self, params: &[f32]) -> Result<(), PolicyError> {
        check_parameters("linear", self.params.len(), params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    fn parameter_names(&self) -> Vec<String> {
        let n_act = self.low.len();
        let mut names: Vec<String> = (0..n_act).flat_map(|i| (0..self.n_obs).map(move |j| format!("w_{i}_{j}"))).collect();
        names.extend((0..n_act).map(|i| format!("b_{i}")));
        names
    }

    /// One multiply-accumulate per gain.
    fn work(&self) -> Option<Work> {
        Some(Work { spikes: 0, synaptic_ops: 0, macs: (self.low.len() * self.n_obs) as u64 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acts_as_the_hand_computed_gain_and_clips_to_the_box() {
        let spec = envs::make("Pendulum-v1").unwrap().spec().clone(); // 3 observations, torque in [−2, 2]
        let mut p = LinearPolicy::new(&spec, &LinearConfig::default()).unwrap();
        assert_eq!(p.parameters().unwrap(), &[0.0; 4]);
        p.set_parameters(&[1.0, -2.0, 0.5, 0.25]).unwrap();
        let mut a = [0.0];
        p.act(&[0.2, 0.1, 1.0], &mut a);
        assert!((a[0] - (0.2 - 0.2 + 0.5 + 0.25)).abs() < 1e-6, "{a:?}");
        p.act(&[10.0, 0.0, 0.0], &mut a);
        assert_eq!(a[0], 2.0);
        assert_eq!(p.parameter_names(), ["w_0_0", "w_0_1", "w_0_2", "b_0"]);
        assert!(LinearPolicy::new(&envs::make("DcPermExSpeedFinite-v0").unwrap().spec().clone(), &LinearConfig::default()).is_err());
    }
}
