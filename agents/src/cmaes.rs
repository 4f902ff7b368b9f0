//! CMA-ES (Hansen & Ostermeier, 2001): the (μ/μ_w, λ) covariance-matrix-adaptation evolution
//! strategy with cumulative step-size adaptation, rank-one and rank-μ updates, following
//! Hansen's tutorial "The CMA Evolution Strategy" (arXiv:1604.00772), for low-dimensional
//! parametric policies (NCAP's 4 weights, the travelling wave's 3).
//!
//! Written here rather than taken from a crate: `fcmaes-core` and `cmaes` seed their RNG but
//! keep their state private (no resumable checkpoint), and `haru_cmaes` cannot be seeded. A
//! learner here must resume exactly, so the state (mean, σ, C, the two evolution paths) is
//! checkpointed, and each generation's samples come from the run seed and the generation number.
//!
//! The covariance matrix is n × n: beyond `max_params` parameters (default 1000) the learner
//! refuses unless `allow_large = true` (use `es` for large networks).

use std::time::Instant;

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{load_learner, save_learner, save_policy, take_tensor, PolicyHeader};
use crate::metrics::MetricsWriter;
use crate::run::{mean_std, Progress, Summary, TrainContext};
use crate::{evaluate, seeds, AgentError};

/// CMA-ES hyperparameters (unknown keys in a config file are errors). The strategy parameters
/// (weights, learning rates, damping) are the tutorial's defaults for the dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CmaesConfig {
    /// λ, candidates per generation; 0 chooses the default 4 + ⌊3 ln n⌋.
    pub population_size: usize,
    /// Initial step size σ₀ (in parameter units).
    pub sigma0: f64,
    /// Episodes each candidate is scored on (the same seeds across a generation).
    pub episodes_per_member: usize,
    /// Episodes on held-out seeds for each evaluation of the mean.
    pub eval_episodes: usize,
    /// Evaluate the distribution's mean every this many generations (and at the end).
    pub eval_interval: u64,
    /// Threads scoring the population (0: all cores).
    pub threads: usize,
    /// Largest parameter count accepted without `allow_large`.
    pub max_params: usize,
    /// Accept more than `max_params` parameters (an n × n covariance matrix).
    pub allow_large: bool,
}

impl Default for CmaesConfig {
    fn default() -> Self {
        Self { population_size: 0, sigma0: 0.2, episodes_per_member: 1, eval_episodes: 5, eval_interval: 1, threads: 0, max_params: 1000, allow_large: false }
    }
}

impl CmaesConfig {
    pub fn validate(&self) -> Result<(), AgentError> {
        let bad = |k: &str, v: String, want: &str| Err(AgentError::invalid(format!("agent `cmaes`: `{k}` = {v}: expected {want}")));
        if self.population_size == 1 {
            return bad("population_size", "1".into(), "0 (default) or ≥ 2");
        }
        if !(self.sigma0.is_finite() && self.sigma0 > 0.0) {
            return bad("sigma0", self.sigma0.to_string(), "a number > 0");
        }
        if self.episodes_per_member == 0 || self.eval_episodes == 0 || self.eval_interval == 0 {
            return Err(AgentError::invalid("agent `cmaes`: `episodes_per_member`, `eval_episodes` and `eval_interval` must be ≥ 1"));
        }
        Ok(())
    }

    /// Refuses a policy too large for a dense covariance matrix, unless opted in.
    pub fn check_size(&self, policy: &str, n: usize) -> Result<(), AgentError> {
        if n > self.max_params && !self.allow_large {
            return Err(AgentError::invalid(format!(
                "agent `cmaes` on `{policy}` with {n} parameters would adapt a {n}×{n} covariance matrix; \
                 use agent `es` for large policies, or set `allow_large = true` in [agent] to insist"
            )));
        }
        Ok(())
    }
}

/// Columns of `metrics.csv`.
pub const COLUMNS: &[&str] =
    &["generation", "env_steps", "wall_time_s", "return_mean", "return_std", "return_max", "eval_return", "eval_return_std", "sigma", "param_norm"];

/// The strategy's constants for dimension n and population λ (the tutorial's Table 1); shared
/// with the separable variant ([`crate::sep_cmaes`]), which rescales `c_1` and `c_mu`.
#[derive(Debug, Clone)]
pub(crate) struct Strategy {
    pub(crate) lambda: usize,
    pub(crate) weights: Vec<f64>,
    pub(crate) mu_eff: f64,
    pub(crate) c_sigma: f64,
    pub(crate) d_sigma: f64,
    pub(crate) c_c: f64,
    pub(crate) c_1: f64,
    pub(crate) c_mu: f64,
    pub(crate) chi_n: f64,
}

impl Strategy {
    pub(crate) fn new(n: usize, lambda: usize) -> Self {
        let nf = n as f64;
        let mu = lambda / 2;
        let raw: Vec<f64> = (1..=mu).map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - (i as f64).ln()).collect();
        let sum: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / sum).collect();
        let mu_eff = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let c_sigma = (mu_eff + 2.0) / (nf + mu_eff + 5.0);
        let d_sigma = 1.0 + 2.0 * (((mu_eff - 1.0) / (nf + 1.0)).sqrt() - 1.0).max(0.0) + c_sigma;
        let c_c = (4.0 + mu_eff / nf) / (nf + 4.0 + 2.0 * mu_eff / nf);
        let c_1 = 2.0 / ((nf + 1.3).powi(2) + mu_eff);
        let c_mu = (1.0 - c_1).min(2.0 * (mu_eff - 2.0 + 1.0 / mu_eff) / ((nf + 2.0).powi(2) + mu_eff));
        let chi_n = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));
        Self { lambda, weights, mu_eff, c_sigma, d_sigma, c_c, c_1, c_mu, chi_n }
    }
}

/// The distribution N(m, σ² C) and the evolution paths: everything a resume needs.
#[derive(Debug, Clone)]
struct Distribution_ {
    mean: DVector<f64>,
    sigma: f64,
    cov: DMatrix<f64>,
    p_sigma: DVector<f64>,
    p_c: DVector<f64>,
    /// C = B diag(D²) Bᵀ, refreshed from `cov` each generation.
    b: DMatrix<f64>,
    d: DVector<f64>,
}

impl Distribution_ {
    fn new(mean: DVector<f64>, sigma: f64) -> Self {
        let n = mean.len();
        let mut dist = Self {
            mean,
            sigma,
            cov: DMatrix::identity(n, n),
            p_sigma: DVector::zeros(n),
            p_c: DVector::zeros(n),
            b: DMatrix::identity(n, n),
            d: DVector::from_element(n, 1.0),
        };
        dist.decompose();
        dist
    }

    /// λ steps `y_k = B D z_k`, `z_k ~ N(0, I)`; the candidates are `m + σ y_k`.
    fn sample(&self, rng: &mut Xoshiro256PlusPlus, lambda: usize) -> Vec<DVector<f64>> {
        let n = self.mean.len();
        (0..lambda).map(|_| &self.b * DVector::from_iterator(n, (0..n).map(|_| StandardNormal.sample(rng))).component_mul(&self.d)).collect()
    }

    /// Moves the distribution after generation `generation` (0-based): `order` lists the steps
    /// `ys` best first. Mean, both evolution paths, C (rank-one and rank-μ) and σ (CSA).
    fn tell(&mut self, s: &Strategy, ys: &[DVector<f64>], order: &[usize], generation: u64) {
        let n = self.mean.len();
        let y_w = order.iter().zip(&s.weights).map(|(&k, w)| &ys[k] * *w).fold(DVector::zeros(n), |acc, v| acc + v);
        self.mean += &y_w * self.sigma;
        // Step-size path, with C^{-1/2} y_w = B D⁻¹ Bᵀ y_w.
        let c_inv_sqrt_y = &self.b * (self.b.transpose() * &y_w).component_div(&self.d);
        self.p_sigma = &self.p_sigma * (1.0 - s.c_sigma) + c_inv_sqrt_y * (s.c_sigma * (2.0 - s.c_sigma) * s.mu_eff).sqrt();
        let g = (generation + 1) as f64;
        let stalled = self.p_sigma.norm() / (1.0 - (1.0 - s.c_sigma).powf(2.0 * g)).sqrt() >= (1.4 + 2.0 / (n as f64 + 1.0)) * s.chi_n;
        let h = if stalled { 0.0 } else { 1.0 };
        self.p_c = &self.p_c * (1.0 - s.c_c) + &y_w * (h * (s.c_c * (2.0 - s.c_c) * s.mu_eff).sqrt());
        let mut rank_mu = DMatrix::zeros(n, n);
        for (&k, w) in order.iter().zip(&s.weights) {
            rank_mu += &ys[k] * ys[k].transpose() * *w;
        }
        let delta_h = (1.0 - h) * s.c_c * (2.0 - s.c_c);
        self.cov = &self.cov * (1.0 - s.c_1 - s.c_mu + s.c_1 * delta_h) + &self.p_c * self.p_c.transpose() * s.c_1 + rank_mu * s.c_mu;
        self.sigma *= ((s.c_sigma / s.d_sigma) * (self.p_sigma.norm() / s.chi_n - 1.0)).exp();
    }

    /// B and D from C (C is kept symmetric; tiny negative eigenvalues from rounding are floored).
    fn decompose(&mut self) {
        self.cov = (&self.cov + self.cov.transpose()) * 0.5;
        let eig = SymmetricEigen::new(self.cov.clone());
        self.b = eig.eigenvectors;
        self.d = eig.eigenvalues.map(|v| v.max(1e-20).sqrt());
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct CmaesState {
    generation: u64,
    env_steps: u64,
    wall_time_s: f64,
    best_eval: f64,
    last_eval: Option<(f64, f64)>,
    sigma: f64,
}

/// Trains `ctx`'s policy with CMA-ES; `resume` continues from `ctx.dir`'s checkpoint.
pub fn train(ctx: &TrainContext, cfg: &CmaesConfig, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    cfg.validate()?;
    let spec = ctx.make_env()?.spec().clone();
    let policy = ctx.make_policy(&spec)?;
    let Some(initial) = policy.parameters() else {
        return Err(AgentError::invalid(format!("agent `cmaes` trains policies with parameters; `{}` has none", ctx.run.policy)));
    };
    let n = initial.len();
    cfg.check_size(&ctx.run.policy, n)?;
    let lambda = if cfg.population_size == 0 { 4 + (3.0 * (n as f64).ln()).floor() as usize } else { cfg.population_size };
    let strategy = Strategy::new(n, lambda.max(2));
    let header = PolicyHeader { env: ctx.run.env.clone(), policy: ctx.run.policy.clone(), n_params: n };
    let mut dist = Distribution_::new(DVector::from_iterator(n, initial.iter().map(|&x| x as f64)), cfg.sigma0);
    let mut state = CmaesState { best_eval: f64::NEG_INFINITY, sigma: cfg.sigma0, ..CmaesState::default() };

    let checkpoint_path = ctx.dir.join("checkpoint.safetensors");
    let metrics_path = ctx.dir.join("metrics.csv");
    let mut metrics = if resume {
        let (mut tensors, saved) = load_learner(&checkpoint_path, "cmaes")?;
        let mut take = |name: &str, len: usize| -> Result<Vec<f64>, AgentError> {
            Ok(take_tensor(&mut tensors, name, len, &checkpoint_path)?.into_iter().map(f64::from).collect())
        };
        // f32 storage of the state: a resumed run continues from the state rounded to f32 (see below).
        dist.mean = DVector::from_vec(take("mean", n)?);
        dist.cov = DMatrix::from_vec(n, n, take("cov", n * n)?);
        dist.p_sigma = DVector::from_vec(take("p_sigma", n)?);
        dist.p_c = DVector::from_vec(take("p_c", n)?);
        state = saved;
        dist.sigma = state.sigma;
        dist.decompose();
        MetricsWriter::resume(&metrics_path, COLUMNS, state.generation as usize)?
    } else {
        MetricsWriter::create(&metrics_path, COLUMNS)?
    };

    let threads = if cfg.threads == 0 { std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1) } else { cfg.threads };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| AgentError::invalid(format!("thread pool: {e}")))?;
    let started = Instant::now();
    let wall_before = state.wall_time_s;
    let to_f32 = |v: &DVector<f64>| -> Vec<f32> { v.iter().map(|&x| x as f32).collect() };

    // The state is kept in f64 but checkpointed in f32; so that a resumed run retraces an
    // uninterrupted one exactly, the running state is rounded to f32 after every generation too.
    let round = |dist: &mut Distribution_| {
        dist.mean.apply(|x| *x = *x as f32 as f64);
        dist.cov.apply(|x| *x = *x as f32 as f64);
        dist.p_sigma.apply(|x| *x = *x as f32 as f64);
        dist.p_c.apply(|x| *x = *x as f32 as f64);
    };
    let save_checkpoint = |dist: &Distribution_, state: &CmaesState| -> Result<(), AgentError> {
        let (mean, cov) = (to_f32(&dist.mean), dist.cov.iter().map(|&x| x as f32).collect::<Vec<f32>>());
        let (ps, pc) = (to_f32(&dist.p_sigma), to_f32(&dist.p_c));
        save_learner(&checkpoint_path, "cmaes", &[("mean", &mean), ("cov", &cov), ("p_sigma", &ps), ("p_c", &pc)], state)?;
        save_policy(&ctx.dir.join("policy.safetensors"), &header, &mean, &[])
    };

    while state.env_steps < ctx.run.steps && !ctx.stop_requested() {
        let generation = state.generation;
        // Sample λ candidates x_k = m + σ B D z_k from this generation's own stream.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[3, generation]));
        let ys = dist.sample(&mut rng, strategy.lambda);
        let candidates: Vec<Vec<f32>> = ys.iter().map(|y| to_f32(&(&dist.mean + y * dist.sigma))).collect();
        let episode_seeds: Vec<u64> = (0..cfg.episodes_per_member).map(|e| seeds::mix(ctx.run.seed, &[4, generation, e as u64])).collect();
        let scores = evaluate::population(&pool, ctx, &candidates, &episode_seeds)?;
        let returns: Vec<f64> = scores.iter().map(|s| s.0).collect();
        state.env_steps += scores.iter().map(|s| s.1).sum::<u64>();

        // Best first (we maximise the return), ties by index.
        let mut order: Vec<usize> = (0..strategy.lambda).collect();
        order.sort_by(|&a, &b| returns[b].total_cmp(&returns[a]).then(a.cmp(&b)));
        dist.tell(&strategy, &ys, &order, generation);
        round(&mut dist);
        dist.decompose();
        state.sigma = dist.sigma;
        state.generation += 1;

        // Not on a stop: evaluation rows fall where an uninterrupted run has them.
        let done = state.env_steps >= ctx.run.steps;
        let mean_params = to_f32(&dist.mean);
        let eval = if state.generation % cfg.eval_interval == 0 || done {
            let r = evaluate::parallel(&pool, ctx, &mean_params, &[], cfg.eval_episodes)?;
            state.best_eval = state.best_eval.max(r.0);
            state.last_eval = Some(r);
            Some(r)
        } else {
            None
        };
        state.wall_time_s = wall_before + started.elapsed().as_secs_f64();
        let (ret_mean, ret_std) = mean_std(&returns);
        metrics.write(&[
            state.generation as f64,
            state.env_steps as f64,
            state.wall_time_s,
            ret_mean,
            ret_std,
            returns.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            eval.map_or(f64::NAN, |e| e.0),
            eval.map_or(f64::NAN, |e| e.1),
            dist.sigma,
            dist.mean.norm(),
        ])?;
        save_checkpoint(&dist, &state)?;
        on_progress(&Progress { iteration: state.generation, env_steps: state.env_steps, recent_return: ret_mean, eval_return: eval.map(|e| e.0) });
    }

    save_checkpoint(&dist, &state)?;
    // A completed run evaluated at its last generation; a stopped one is evaluated now.
    let (final_eval, final_std) = match state.last_eval {
        Some(e) if state.env_steps >= ctx.run.steps => e,
        _ => evaluate::parallel(&pool, ctx, &to_f32(&dist.mean), &[], cfg.eval_episodes)?,
    };
    Ok(Summary {
        env: ctx.run.env.clone(),
        policy: ctx.run.policy.clone(),
        agent: "cmaes".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_constants_match_the_tutorial_for_n_4() {
        // n = 4: λ = 4 + ⌊3 ln 4⌋ = 8, μ = 4.
        let s = Strategy::new(4, 8);
        assert_eq!(s.weights.len(), 4);
        assert!((s.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(s.weights.windows(2).all(|w| w[0] > w[1]));
        // μ_eff for these weights is ≈ 2.60 (Hansen's purecma gives the same).
        assert!((s.mu_eff - 2.6).abs() < 0.01, "{}", s.mu_eff);
        assert!(s.c_1 + s.c_mu <= 1.0 && s.c_sigma < 1.0 && s.d_sigma >= 1.0);
    }

    /// CMA-ES minimises a badly scaled quadratic (a pure-optimiser check, no env).
    #[test]
    fn adapts_to_an_ellipsoid() {
        let n = 6;
        let s = Strategy::new(n, 10);
        let mut dist = Distribution_::new(DVector::from_element(n, 3.0), 1.0);
        let f = |x: &DVector<f64>| -> f64 { x.iter().enumerate().map(|(i, v)| 10f64.powi(i as i32) * v * v).sum() };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for g in 0..600 {
            let ys = dist.sample(&mut rng, s.lambda);
            let fx: Vec<f64> = ys.iter().map(|y| f(&(&dist.mean + y * dist.sigma))).collect();
            let mut order: Vec<usize> = (0..s.lambda).collect();
            order.sort_by(|&a, &b| fx[a].total_cmp(&fx[b]));
            dist.tell(&s, &ys, &order, g);
            dist.decompose();
        }
        assert!(f(&dist.mean) < 1e-10, "f = {}", f(&dist.mean));
        // The learned covariance is elongated along the flat axis (i = 0) vs the steep one.
        assert!(dist.cov[(0, 0)] > 100.0 * dist.cov[(n - 1, n - 1)]);
    }
}
