//! CMA-ES (Hansen & Ostermeier, 2001; the optimiser is [`crate::optim::cmaes`]) for
//! low-dimensional parametric policies (NCAP's 4 weights, the travelling wave's 3).
//!
//! Each generation: sample λ candidates `m + σ B D z` from the generation's own stream, score
//! them on the same episode seeds in parallel, rank them, update the distribution; every
//! `eval_interval` generations, score the mean on held-out seeds. The state (mean, σ, C, the two
//! evolution paths) is checkpointed, so a resumed run retraces the uninterrupted one exactly.
//!
//! The covariance matrix is n × n: beyond `max_params` parameters (default 1000) the learner
//! refuses unless `allow_large = true` (use `es` for large networks).

use nalgebra::{DMatrix, DVector};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::optim::{Cmaes, Strategy};
use crate::run::checkpoint::TensorList;
use crate::run::{evaluate, mean_std, Progress, Run, Summary, TrainContext};
use crate::{seeds, AgentError};

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

/// The learner's own state in the checkpoint (the run's bookkeeping is [`crate::run::Run`]'s;
/// the distribution's vectors and matrix are tensors).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct CmaesState {
    generation: u64,
    sigma: f64,
}

/// Trains `ctx`'s policy with CMA-ES; `resume` continues from `ctx.dir`'s checkpoint.
pub fn train(ctx: &TrainContext, cfg: &CmaesConfig, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    cfg.validate()?;
    let initial = crate::learners::initial_parameters(ctx, "cmaes")?;
    let n = initial.len();
    cfg.check_size(&ctx.run.policy, n)?;
    let lambda = if cfg.population_size == 0 { 4 + (3.0 * (n as f64).ln()).floor() as usize } else { cfg.population_size };
    let strategy = Strategy::new(n, lambda.max(2));
    let mut cmaes = Cmaes::new(DVector::from_iterator(n, initial.iter().map(|&x| x as f64)), cfg.sigma0);
    let mut state = CmaesState { generation: 0, sigma: cfg.sigma0 };
    let mut run = Run::new(ctx, "cmaes", COLUMNS, n, Some(cfg.threads), resume)?;
    if let Some((mut t, saved)) = run.resume::<CmaesState>()? {
        let mut take = |name: &str, len: usize| -> Result<Vec<f64>, AgentError> { Ok(t.take(name, len)?.into_iter().map(f64::from).collect()) };
        // f32 storage of the state: a resumed run continues from the state rounded to f32 (see below).
        cmaes.mean = DVector::from_vec(take("mean", n)?);
        cmaes.cov = DMatrix::from_vec(n, n, take("cov", n * n)?);
        cmaes.p_sigma = DVector::from_vec(take("p_sigma", n)?);
        cmaes.p_c = DVector::from_vec(take("p_c", n)?);
        state = saved;
        cmaes.sigma = state.sigma;
        cmaes.decompose();
    }
    run.begin(state.generation as usize)?;
    let to_f32 = |v: &DVector<f64>| -> Vec<f32> { v.iter().map(|&x| x as f32).collect() };

    // The state is kept in f64 but checkpointed in f32; so that a resumed run retraces an
    // uninterrupted one exactly, the running state is rounded to f32 after every generation too.
    let round = |cmaes: &mut Cmaes| {
        cmaes.mean.apply(|x| *x = *x as f32 as f64);
        cmaes.cov.apply(|x| *x = *x as f32 as f64);
        cmaes.p_sigma.apply(|x| *x = *x as f32 as f64);
        cmaes.p_c.apply(|x| *x = *x as f32 as f64);
    };
    let save = |run: &mut Run, cmaes: &Cmaes, state: &CmaesState| -> Result<(), AgentError> {
        let (mean, cov) = (to_f32(&cmaes.mean), cmaes.cov.iter().map(|&x| x as f32).collect::<Vec<f32>>());
        let (ps, pc) = (to_f32(&cmaes.p_sigma), to_f32(&cmaes.p_c));
        run.save_checkpoint(TensorList::default().add("mean", &mean).add("cov", &cov).add("p_sigma", &ps).add("p_c", &pc), state)?;
        run.save_policy(&mean, &[])
    };

    while !run.budget_spent() && !run.stop_requested() {
        let generation = state.generation;
        // Sample λ candidates x_k = m + σ B D z_k from this generation's own stream.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(run.seed(), &[3, generation]));
        let ys = cmaes.sample(&mut rng, strategy.lambda);
        let candidates: Vec<Vec<f32>> = ys.iter().map(|y| to_f32(&(&cmaes.mean + y * cmaes.sigma))).collect();
        let episode_seeds: Vec<u64> = (0..cfg.episodes_per_member).map(|e| seeds::mix(run.seed(), &[4, generation, e as u64])).collect();
        let scores = evaluate::population(run.pool(), ctx, &candidates, &episode_seeds)?;
        let returns: Vec<f64> = scores.iter().map(|s| s.0).collect();
        // Members are logged in order, each at the env step its episode ends in the generation's
        // count (as if the population had run one after another).
        for s in &scores {
            run.progress.env_steps += s.1;
            run.log_episode(s.0, s.1)?;
        }

        // Best first (we maximise the return), ties by index.
        let mut order: Vec<usize> = (0..strategy.lambda).collect();
        order.sort_by(|&a, &b| returns[b].total_cmp(&returns[a]).then(a.cmp(&b)));
        cmaes.tell(&strategy, &ys, &order, generation);
        round(&mut cmaes);
        cmaes.decompose();
        state.sigma = cmaes.sigma;
        state.generation += 1;

        // Not on a stop: evaluation rows fall where an uninterrupted run has them.
        let mean_params = to_f32(&cmaes.mean);
        let eval = if state.generation % cfg.eval_interval == 0 || run.budget_spent() { Some(run.evaluate(&mean_params, &[], cfg.eval_episodes)?) } else { None };
        let (ret_mean, ret_std) = mean_std(&returns);
        let row = [
            state.generation as f64,
            run.progress.env_steps as f64,
            run.wall_time(),
            ret_mean,
            ret_std,
            returns.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            eval.map_or(f64::NAN, |e| e.0),
            eval.map_or(f64::NAN, |e| e.1),
            cmaes.sigma,
            cmaes.mean.norm(),
        ];
        run.write_row(&row)?;
        save(&mut run, &cmaes, &state)?;
        on_progress(&Progress { iteration: state.generation, env_steps: run.progress.env_steps, recent_return: ret_mean, eval_return: eval.map(|e| e.0) });
    }

    save(&mut run, &cmaes, &state)?;
    let completed = run.budget_spent();
    let mean = to_f32(&cmaes.mean);
    run.finish(state.generation, completed, |run| run.score(&mean, &[], cfg.eval_episodes))
}
