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

use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::optim::{Adam, AdamConfig};
use crate::run::checkpoint::TensorList;
use crate::run::{evaluate, mean_std, Progress, Run, Summary, TrainContext};
use crate::{seeds, AgentError};

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

/// The learner's own state in the checkpoint (the run's bookkeeping is [`crate::run::Run`]'s).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct EsState {
    generation: u64,
}

/// Trains `ctx`'s policy with OpenAI-ES; `resume` continues from `ctx.dir`'s checkpoint.
pub fn train(ctx: &TrainContext, cfg: &EsConfig, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    cfg.validate()?;
    let mut theta = crate::learners::initial_parameters(ctx, "es")?;
    let n = theta.len();
    let adam_cfg = AdamConfig { learning_rate: cfg.learning_rate, beta1: cfg.adam_beta1, beta2: cfg.adam_beta2, epsilon: cfg.adam_epsilon };
    let mut adam = Adam::new(adam_cfg, n);
    let mut state = EsState::default();
    let mut run = Run::new(ctx, "es", COLUMNS, n, Some(cfg.threads), resume)?;
    if let Some((mut t, saved)) = run.resume::<EsState>()? {
        theta = t.take("params", n)?;
        adam.m = t.take("adam.m", n)?;
        adam.v = t.take("adam.v", n)?;
        state = saved;
        adam.t = state.generation;
    }
    run.begin(state.generation as usize)?;
    let (pairs, sigma) = (cfg.population_pairs, cfg.sigma as f32);
    let save = |run: &mut Run, theta: &[f32], adam: &Adam, state: &EsState| -> Result<(), AgentError> {
        run.save_policy(theta, &[])?;
        run.save_checkpoint(TensorList::default().add("params", theta).add("adam.m", &adam.m).add("adam.v", &adam.v), state)
    };

    while !run.budget_spent() && !run.stop_requested() {
        let generation = state.generation;
        // 1. Noise for this generation, from the run seed and the generation alone.
        let noise: Vec<Vec<f32>> = (0..pairs)
            .map(|k| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(run.seed(), &[1, generation, k as u64]));
                (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
            })
            .collect();
        let episode_seeds: Vec<u64> = (0..cfg.episodes_per_member).map(|e| seeds::mix(run.seed(), &[2, generation, e as u64])).collect();

        // 2. Score the 2P perturbed policies in parallel; member 2k is θ + σε_k, member 2k+1 is θ − σε_k.
        let candidates: Vec<Vec<f32>> = (0..2 * pairs)
            .map(|member| {
                let sign = if member % 2 == 0 { sigma } else { -sigma };
                theta.iter().zip(&noise[member / 2]).map(|(t, e)| t + sign * e).collect()
            })
            .collect();
        let scores = evaluate::population(run.pool(), ctx, &candidates, &episode_seeds)?;
        let returns: Vec<f64> = scores.iter().map(|s| s.0).collect();
        // Members are logged in order, each at the env step its episode ends in the generation's
        // count (as if the population had run one after another).
        for s in &scores {
            run.progress.env_steps += s.1;
            run.log_episode(s.0, s.1)?;
        }

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

        // 5. Evaluate the unperturbed policy on held-out seeds; not on a stop, so that evaluation
        // rows fall where an uninterrupted run has them.
        let eval = if state.generation % cfg.eval_interval == 0 || run.budget_spent() { Some(run.evaluate(&theta, &[], cfg.eval_episodes)?) } else { None };
        let (ret_mean, ret_std) = mean_std(&returns);
        let ret_max = returns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let param_norm = theta.iter().map(|t| (t * t) as f64).sum::<f64>().sqrt();
        let row = [
            state.generation as f64,
            run.progress.env_steps as f64,
            run.wall_time(),
            ret_mean,
            ret_std,
            ret_max,
            eval.map_or(f64::NAN, |e| e.0),
            eval.map_or(f64::NAN, |e| e.1),
            grad_norm,
            param_norm,
        ];
        run.write_row(&row)?;
        save(&mut run, &theta, &adam, &state)?;
        on_progress(&Progress { iteration: state.generation, env_steps: run.progress.env_steps, recent_return: ret_mean, eval_return: eval.map(|e| e.0) });
    }

    save(&mut run, &theta, &adam, &state)?;
    let completed = run.budget_spent();
    run.finish(state.generation, completed, |run| run.score(&theta, &[], cfg.eval_episodes))
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
