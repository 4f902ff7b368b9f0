//! OpenAI-ES (Salimans, Ho, Chen, Sidor & Sutskever, 2017), for any policy with a flat
//! parameter vector (NCAP, the MLP, the travelling wave).
//!
//! Each generation:
//! 1. draw `population_pairs` noise vectors `ε_k ~ N(0, I)`;
//! 2. score the antithetic pairs `θ ± σ ε_k` on the same episode seeds (common random numbers),
//!    in parallel;
//! 3. replace the 2P returns by their centred ranks `rank/(2P − 1) − ½`;
//! 4. estimate the gradient `g = Σ_k (F⁺_k − F⁻_k) ε_k / (2P σ)` and take an Adam step up it,
//!    with L2 decay `l2_coeff · θ`;
//! 5. every `eval_interval` generations, score the unperturbed θ on held-out seeds.
//!
//! Every random draw comes from the run seed and the generation number, so results do not
//! depend on thread scheduling, and a resumed run retraces the uninterrupted one exactly.

use std::time::Instant;

use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::adam::{Adam, AdamConfig};
use crate::checkpoint::{load_learner, save_learner, save_policy, take_tensor, PolicyHeader};
use crate::metrics::MetricsWriter;
use crate::run::{mean_std, Progress, Summary, TrainContext};
use crate::{evaluate, seeds, AgentError};

/// OpenAI-ES hyperparameters (unknown keys in a config file are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EsConfig {
    /// Antithetic pairs per generation: 2 × this many perturbed policies are scored.
    pub population_pairs: usize,
    /// Standard deviation σ of the parameter perturbations.
    pub sigma: f64,
    /// Adam's step size.
    pub learning_rate: f64,
    pub adam_beta1: f64,
    pub adam_beta2: f64,
    pub adam_epsilon: f64,
    /// L2 decay of the parameters, added to the (descent) gradient.
    pub l2_coeff: f64,
    /// Episodes each perturbed policy is scored on (the same seeds across a generation).
    pub episodes_per_member: usize,
    /// Episodes on held-out seeds for each evaluation of the unperturbed policy.
    pub eval_episodes: usize,
    /// Evaluate the unperturbed policy every this many generations (and at the end).
    pub eval_interval: u64,
    /// Threads scoring the population (0: all cores).
    pub threads: usize,
}

impl Default for EsConfig {
    fn default() -> Self {
        Self {
            population_pairs: 16,
            sigma: 0.05,
            learning_rate: 0.02,
            adam_beta1: 0.9,
            adam_beta2: 0.999,
            adam_epsilon: 1e-8,
            l2_coeff: 0.005,
            episodes_per_member: 1,
            eval_episodes: 5,
            eval_interval: 1,
            threads: 0,
        }
    }
}

impl EsConfig {
    pub fn validate(&self) -> Result<(), AgentError> {
        let bad = |k: &str, v: String, want: &str| Err(AgentError::invalid(format!("agent `es`: `{k}` = {v}: expected {want}")));
        if self.population_pairs == 0 {
            return bad("population_pairs", "0".into(), "≥ 1");
        }
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return bad("sigma", self.sigma.to_string(), "a number > 0");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("learning_rate", self.learning_rate.to_string(), "a number > 0");
        }
        if self.episodes_per_member == 0 {
            return bad("episodes_per_member", "0".into(), "≥ 1");
        }
        if self.eval_episodes == 0 {
            return bad("eval_episodes", "0".into(), "≥ 1");
        }
        if self.eval_interval == 0 {
            return bad("eval_interval", "0".into(), "≥ 1");
        }
        Ok(())
    }
}

/// Columns of `metrics.csv`.
pub const COLUMNS: &[&str] = &[
    "generation",
    "env_steps",
    "wall_time_s",
    "return_mean",
    "return_std",
    "return_max",
    "eval_return",
    "eval_return_std",
    "grad_norm",
    "param_norm",
];

/// The learner's counters, saved in the checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct EsState {
    generation: u64,
    env_steps: u64,
    wall_time_s: f64,
    best_eval: f64,
    last_eval: Option<(f64, f64)>,
}

/// Trains `ctx`'s policy with OpenAI-ES; `resume` continues from `ctx.dir`'s checkpoint.
pub fn train(ctx: &TrainContext, cfg: &EsConfig, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    cfg.validate()?;
    let spec = ctx.make_env()?.spec().clone();
    let policy = ctx.make_policy(&spec)?;
    let Some(initial) = policy.parameters() else {
        return Err(AgentError::invalid(format!(
            "agent `es` trains policies with parameters (ncap, mlp, travelling-wave); `{}` has none",
            ctx.run.policy
        )));
    };
    let mut theta = initial.to_vec();
    let n = theta.len();
    let header = PolicyHeader { env: ctx.run.env.clone(), policy: ctx.run.policy.clone(), n_params: n };
    let adam_cfg = AdamConfig { learning_rate: cfg.learning_rate, beta1: cfg.adam_beta1, beta2: cfg.adam_beta2, epsilon: cfg.adam_epsilon };
    let mut adam = Adam::new(adam_cfg, n);
    let mut state = EsState { best_eval: f64::NEG_INFINITY, ..EsState::default() };

    let checkpoint_path = ctx.dir.join("checkpoint.safetensors");
    let metrics_path = ctx.dir.join("metrics.csv");
    let mut metrics = if resume {
        let (mut tensors, saved) = load_learner(&checkpoint_path, "es")?;
        theta = take_tensor(&mut tensors, "params", n, &checkpoint_path)?;
        adam.m = take_tensor(&mut tensors, "adam.m", n, &checkpoint_path)?;
        adam.v = take_tensor(&mut tensors, "adam.v", n, &checkpoint_path)?;
        state = saved;
        adam.t = state.generation;
        MetricsWriter::resume(&metrics_path, COLUMNS, state.generation as usize)?
    } else {
        MetricsWriter::create(&metrics_path, COLUMNS)?
    };

    let threads = if cfg.threads == 0 { std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1) } else { cfg.threads };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| AgentError::invalid(format!("thread pool: {e}")))?;
    let pairs = cfg.population_pairs;
    let sigma = cfg.sigma as f32;
    let started = Instant::now();
    let wall_before = state.wall_time_s;

    let save_checkpoint = |theta: &[f32], adam: &Adam, state: &EsState| -> Result<(), AgentError> {
        save_learner(&checkpoint_path, "es", &[("params", theta), ("adam.m", &adam.m), ("adam.v", &adam.v)], state)?;
        save_policy(&ctx.dir.join("policy.safetensors"), &header, theta, &[])
    };

    while state.env_steps < ctx.run.steps && !ctx.stop_requested() {
        let generation = state.generation;
        // 1. Noise for this generation, from the run seed and the generation alone.
        let noise: Vec<Vec<f32>> = (0..pairs)
            .map(|k| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[1, generation, k as u64]));
                (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
            })
            .collect();
        let episode_seeds: Vec<u64> =
            (0..cfg.episodes_per_member).map(|e| seeds::mix(ctx.run.seed, &[2, generation, e as u64])).collect();

        // 2. Score the 2P perturbed policies in parallel; member 2k is θ + σε_k, member 2k+1 is θ − σε_k.
        let candidates: Vec<Vec<f32>> = (0..2 * pairs)
            .map(|member| {
                let sign = if member % 2 == 0 { sigma } else { -sigma };
                theta.iter().zip(&noise[member / 2]).map(|(t, e)| t + sign * e).collect()
            })
            .collect();
        let scores = evaluate::population(&pool, ctx, &candidates, &episode_seeds)?;
        let returns: Vec<f64> = scores.iter().map(|s| s.0).collect();
        state.env_steps += scores.iter().map(|s| s.1).sum::<u64>();

        // 3–4. Centred ranks, gradient estimate, Adam step (descent on −g + l2·θ).
        let shaped = centered_ranks(&returns);
        let mut grad = vec![0.0_f32; n];
        for (k, eps) in noise.iter().enumerate() {
            let weight = ((shaped[2 * k] - shaped[2 * k + 1]) / (2.0 * pairs as f64 * cfg.sigma)) as f32;
            for (g, e) in grad.iter_mut().zip(eps) {
                *g += weight * e;
            }
        }
        let grad_norm = grad.iter().map(|g| (g * g) as f64).sum::<f64>().sqrt();
        let descent: Vec<f32> = grad.iter().zip(&theta).map(|(g, t)| -g + cfg.l2_coeff as f32 * t).collect();
        adam.step(&mut theta, &descent);
        state.generation += 1;

        // 5. Evaluate the unperturbed policy on held-out seeds.
        // Not on a stop: evaluation rows fall where an uninterrupted run has them.
        let done = state.env_steps >= ctx.run.steps;
        let eval = if state.generation % cfg.eval_interval == 0 || done {
            let r = evaluate::parallel(&pool, ctx, &theta, &[], cfg.eval_episodes)?;
            state.best_eval = state.best_eval.max(r.0);
            state.last_eval = Some(r);
            Some(r)
        } else {
            None
        };
        state.wall_time_s = wall_before + started.elapsed().as_secs_f64();
        let (ret_mean, ret_std) = mean_std(&returns);
        let ret_max = returns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let param_norm = theta.iter().map(|t| (t * t) as f64).sum::<f64>().sqrt();
        metrics.write(&[
            state.generation as f64,
            state.env_steps as f64,
            state.wall_time_s,
            ret_mean,
            ret_std,
            ret_max,
            eval.map_or(f64::NAN, |e| e.0),
            eval.map_or(f64::NAN, |e| e.1),
            grad_norm,
            param_norm,
        ])?;
        save_checkpoint(&theta, &adam, &state)?;
        on_progress(&Progress {
            iteration: state.generation,
            env_steps: state.env_steps,
            recent_return: ret_mean,
            eval_return: eval.map(|e| e.0),
        });
    }

    save_checkpoint(&theta, &adam, &state)?;
    // A completed run evaluated at its last generation; a stopped one is evaluated now.
    let (final_eval, final_std) = match state.last_eval {
        Some(e) if state.env_steps >= ctx.run.steps => e,
        _ => evaluate::parallel(&pool, ctx, &theta, &[], cfg.eval_episodes)?,
    };
    Ok(Summary {
        env: ctx.run.env.clone(),
        policy: ctx.run.policy.clone(),
        agent: "es".into(),
        seed: ctx.run.seed,
        n_params: n,
        iterations: state.generation,
        env_steps: state.env_steps,
        wall_time_s: state.wall_time_s,
        env_steps_per_s: state.env_steps as f64 / state.wall_time_s.max(1e-9),
        final_eval_return: final_eval,
        final_eval_return_std: final_std,
        best_eval_return: state.best_eval.max(final_eval),
        completed: state.env_steps >= ctx.run.steps,
    })
}

/// Centred ranks in [−½, ½]: the lowest value gets −½, the highest +½ (ties by order).
pub fn centered_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    let mut ranks = vec![0.0; x.len()];
    let denom = (x.len().max(2) - 1) as f64;
    for (rank, &i) in order.iter().enumerate() {
        ranks[i] = rank as f64 / denom - 0.5;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centered_ranks_span_minus_half_to_half() {
        assert_eq!(centered_ranks(&[3.0, -1.0, 10.0, 0.0, 7.0]), vec![0.0, -0.5, 0.5, -0.25, 0.25]);
    }
}
