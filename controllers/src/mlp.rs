//! A deterministic MLP policy on a flat parameter vector, in plain `f32`: what evolution
//! strategies train, and what runs a policy trained by a gradient learner at evaluation time (the
//! learners' candle modules, `agents::nets`, use the same layout and the same [`tanh_approx`]).
//!
//! `a = low + (high − low)·(tanh(W_L h_{L−1} + b_L) + 1)/2`, `h_k = act(W_k h_{k−1} + b_k)`;
//! for a `Discrete(n)` action space the output layer gives n logits and the action is the index
//! of the largest (the mode of PPO's categorical policy; the first index on ties),
//! `h_0 = clip((obs − obs_mean)/obs_std, ±obs_clip)`. Parameters, layer by layer: `W`
//! (out × in, row-major), then `b`. The observation normaliser (identity unless a learner set
//! it) is carried as buffers `obs_mean`, `obs_std`, `obs_clip`.

use crate::policy::{check_parameters, Policy, PolicyError, Work};
use envs::EnvSpec;
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Tanh,
    Relu,
}

/// The MLP's architecture and initialisation (unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MlpConfig {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    pub activation: Activation,
    /// Seed of the initial weights: `W ~ N(0, 1/fan_in)` (the output layer ×0.01), `b = 0`.
    pub init_seed: u64,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self { hidden: vec![64, 64], activation: Activation::Tanh, init_seed: 0 }
    }
}

impl MlpConfig {
    /// The `[policy]` table of an `mlp` (defaults where absent; unknown keys are errors).
    pub fn parse(config: Option<&toml::Table>) -> Result<Self, PolicyError> {
        crate::registry::parse_config("mlp", config)
    }
}

/// `tanh` as a rational minimax approximation, `x·P(x²)/Q(x²)` on x clamped to ±7.905 (the form
/// Eigen uses; within 4.3e-7 of `tanh`, a few f32 ulps near ±1), several times faster than libm's
/// `tanhf`. The learners' tensor op (`agents::nets::fast_tanh`) applies this same function, so a
/// trained MLP acts here exactly as it did in training.
#[inline]
pub fn tanh_approx(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A: [f32; 7] = [4.893_524_6e-3, 6.372_619_3e-4, 1.485_722_4e-5, 5.122_297e-8, -8.604_672e-11, 2.000_187_9e-13, -2.760_768_5e-16];
    const B: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347e-4, 1.198_258_4e-6];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    // Horner with plain multiply-adds: `mul_add` would call libm's software fma on targets
    // built without the `fma` feature.
    let p = ((((((A[6] * x2 + A[5]) * x2 + A[4]) * x2 + A[3]) * x2 + A[2]) * x2 + A[1]) * x2) + A[0];
    let q = ((B[3] * x2 + B[2]) * x2 + B[1]) * x2 + B[0];
    x * p / q
}

#[derive(Debug, Clone)]
pub struct MlpPolicy {
    sizes: Vec<usize>,
    activation: Activation,
    params: Vec<f32>,
    /// The action box (empty for a discrete action space).
    low: Vec<f32>,
    high: Vec<f32>,
    discrete: bool,
    buf_a: Vec<f32>,
    buf_b: Vec<f32>,
    obs_mean: Vec<f32>,
    obs_std: Vec<f32>,
    obs_clip: f32,
}

impl MlpPolicy {
    pub fn new(spec: &EnvSpec, config: &MlpConfig) -> Result<Self, PolicyError> {
        let err = |message: String| PolicyError::Config { controller: "mlp".into(), message };
        let (low, high, outputs) = match &spec.action_space {
            envs::Space::Box(b) if b.is_bounded() => (b.low.clone(), b.high.clone(), spec.act_dim()),
            envs::Space::Box(_) => {
                return Err(PolicyError::Incompatible { controller: "mlp".into(), env: spec.id.clone(), reason: "unbounded actions".into() });
            }
            envs::Space::Discrete { n } => (Vec::new(), Vec::new(), *n),
        };
        if let Some(w) = config.hidden.iter().find(|w| **w == 0 || **w > 4096) {
            return Err(err(format!("hidden width {w}: expected 1..=4096")));
        }
        let mut sizes = vec![spec.obs_dim()];
        sizes.extend(&config.hidden);
        sizes.push(outputs);
        let n: usize = sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        let mut params = Vec::with_capacity(n);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.init_seed);
        let layers = sizes.len() - 1;
        for (k, w) in sizes.windows(2).enumerate() {
            let scale = if k + 1 == layers { 0.01 } else { 1.0 };
            let normal = Normal::new(0.0_f32, scale / (w[0] as f32).sqrt()).expect("positive std");
            params.extend((0..w[0] * w[1]).map(|_| normal.sample(&mut rng)));
            params.extend(std::iter::repeat_n(0.0, w[1]));
        }
        let widest = *sizes.iter().max().expect("non-empty");
        Ok(Self {
            sizes,
            activation: config.activation,
            params,
            discrete: matches!(spec.action_space, envs::Space::Discrete { .. }),
            low,
            high,
            buf_a: vec![0.0; widest],
            buf_b: vec![0.0; widest],
            obs_mean: vec![0.0; spec.obs_dim()],
            obs_std: vec![1.0; spec.obs_dim()],
            obs_clip: f32::INFINITY,
        })
    }

    /// Layer widths, input first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
}

impl Policy for MlpPolicy {
    fn name(&self) -> &str {
        "mlp"
    }

    fn reset(&mut self, _seed: Option<u64>) {}

    fn act(&mut self, obs: &[f32], action: &mut [f32]) {
        let layers = self.sizes.len() - 1;
        for (i, o) in obs.iter().enumerate() {
            self.buf_a[i] = ((o - self.obs_mean[i]) / self.obs_std[i]).clamp(-self.obs_clip, self.obs_clip);
        }
        let mut offset = 0;
        for k in 0..layers {
            let (n_in, n_out) = (self.sizes[k], self.sizes[k + 1]);
            let w = &self.params[offset..offset + n_in * n_out];
            let b = &self.params[offset + n_in * n_out..offset + n_in * n_out + n_out];
            offset += n_in * n_out + n_out;
            let (input, output) = (&self.buf_a[..n_in], &mut self.buf_b[..n_out]);
            for (o, (row, bias)) in output.iter_mut().zip(w.chunks_exact(n_in).zip(b)) {
                let z = row.iter().zip(input).map(|(a, x)| a * x).sum::<f32>() + bias;
                // The learners' tanh, so a trained MLP acts here as it did in training.
                *o = if k + 1 == layers {
                    if self.discrete { z } else { tanh_approx(z) }
                } else {
                    match self.activation {
                        Activation::Tanh => tanh_approx(z),
                        Activation::Relu => z.max(0.0),
                    }
                };
            }
            std::mem::swap(&mut self.buf_a, &mut self.buf_b);
        }
        if self.discrete {
            let logits = &self.buf_a[..self.sizes[layers]];
            let best = logits.iter().enumerate().fold(0, |best, (i, &z)| if z > logits[best] { i } else { best });
            action[0] = best as f32;
            return;
        }
        for (i, a) in action.iter_mut().enumerate() {
            *a = self.low[i] + (self.high[i] - self.low[i]) * (self.buf_a[i] + 1.0) * 0.5;
        }
    }

    fn parameters(&self) -> Option<&[f32]> {
        Some(&self.params)
    }

    fn set_parameters(&mut self, params: &[f32]) -> Result<(), PolicyError> {
        check_parameters("mlp", self.params.len(), params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    fn buffers(&self) -> Vec<(&'static str, Vec<f32>)> {
        vec![("obs_mean", self.obs_mean.clone()), ("obs_std", self.obs_std.clone()), ("obs_clip", vec![self.obs_clip])]
    }

    fn set_buffer(&mut self, name: &str, values: &[f32]) -> Result<(), PolicyError> {
        let (target, positive): (&mut [f32], bool) = match name {
            "obs_mean" => (&mut self.obs_mean, false),
            "obs_std" => (&mut self.obs_std, true),
            "obs_clip" => (std::slice::from_mut(&mut self.obs_clip), true),
            _ => return Err(PolicyError::Config { controller: "mlp".into(), message: format!("has no buffer `{name}`") }),
        };
        check_parameters("mlp", target.len(), values)
            .or_else(|e| if name == "obs_clip" && values.len() == 1 && values[0] == f32::INFINITY { Ok(()) } else { Err(e) })?;
        if positive && values.iter().any(|v| *v <= 0.0) {
            return Err(PolicyError::Config { controller: "mlp".into(), message: format!("buffer `{name}` must be > 0") });
        }
        target.copy_from_slice(values);
        Ok(())
    }

    /// One multiply-accumulate per weight, and the input normalisation's one per input.
    fn work(&self) -> Option<Work> {
        let weights: usize = self.sizes.windows(2).map(|w| w[0] * w[1]).sum();
        Some(Work { spikes: 0, synaptic_ops: 0, macs: (weights + self.sizes[0]) as u64 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_approx_is_within_5e7_of_tanh() {
        let mut worst = 0.0_f64;
        for k in -200_000..=200_000 {
            let x = k as f32 * 1e-4; // [−20, 20]
            worst = worst.max((tanh_approx(x) as f64 - (x as f64).tanh()).abs());
        }
        assert!(worst < 5e-7, "max |error| {worst:e}");
        assert_eq!(tanh_approx(0.0), 0.0);
        assert!(tanh_approx(30.0) <= 1.0 && tanh_approx(-30.0) >= -1.0);
    }
}
