//! A training run: what is trained ([`RunSpec`]), what a learner gets ([`TrainContext`]), and
//! the owner of the run directory ([`Run`]): its metrics and episode logs, the evaluation
//! bookkeeping (best and last), the checkpoint and the policy file, and the final [`Summary`].
//! A learner file is then the algorithm alone.
//!
//! A run directory holds `config.toml` ([`directory`]), `metrics.csv` (one row per iteration,
//! [`metrics`]), `episodes.csv` (every training episode's return), for an env with episode
//! metrics `eval_metrics.csv` (every evaluation's mean of each metric, e.g. the success rate of a
//! goal task: [`EVAL_METRICS_FILE`]), `policy.safetensors` and
//! `checkpoint.safetensors` ([`checkpoint`]), `summary.json`, and `learning_curve.png`/`.svg`
//! ([`plot`]).

pub mod checkpoint;
pub mod curves;
pub mod directory;
pub mod evaluate;
pub mod metrics;
pub mod plot;
pub mod trained;

mod fsutil;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use controllers::Policy;
use envs::{Env, EnvSpec};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use fsutil::write_atomic;

use crate::AgentError;
use checkpoint::{load_learner, save_learner, save_policy, PolicyHeader, TensorList, Tensors};
use metrics::{EpisodeLog, MetricsWriter};

/// The `[run]` table of `config.toml`: what is trained, on what, for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    pub env: String,
    pub policy: String,
    pub agent: String,
    /// Budget in env steps (training episodes only; evaluation episodes are extra).
    pub steps: u64,
    pub seed: u64,
}

/// Everything a learner gets: the run, the env and policy options, and where to write.
#[derive(Debug, Clone)]
pub struct TrainContext {
    pub run: RunSpec,
    pub env_config: Option<toml::Table>,
    pub policy_config: Option<toml::Table>,
    pub dir: PathBuf,
    /// Set (e.g. by Ctrl-C) to stop after the current iteration with a checkpoint.
    pub stop: Arc<AtomicBool>,
    /// Pause (stop with a checkpoint, as on Ctrl-C) once this many env steps are trained, within
    /// the same budget: `nerve bench` evaluates a learner's policy at its learning-curve points
    /// this way, and resuming continues the uninterrupted run exactly.
    pub pause_at: Option<u64>,
}

impl TrainContext {
    pub fn make_env(&self) -> Result<Box<dyn Env>, AgentError> {
        Ok(envs::make_with(&self.run.env, self.env_config.as_ref())?)
    }

    pub fn make_policy(&self, spec: &EnvSpec) -> Result<Box<dyn Policy>, AgentError> {
        Ok(controllers::make(&self.run.policy, spec, self.policy_config.as_ref())?)
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The run directory's log of every evaluation's episode metrics (for an env that has any):
/// columns `env_steps`, `eval_return`, `eval_return_std`, then the mean over the evaluation's
/// episodes of each of the env's [`EnvSpec::episode_metrics`] from their final info (for a goal
/// task, `is_success`: the success rate).
pub const EVAL_METRICS_FILE: &str = "eval_metrics.csv";

/// One iteration's headline numbers, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub iteration: u64,
    pub env_steps: u64,
    /// Mean return of the latest training episodes.
    pub recent_return: f64,
    /// Latest evaluation return, if one was run.
    pub eval_return: Option<f64>,
}

/// How a training run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub env: String,
    pub policy: String,
    pub agent: String,
    pub seed: u64,
    pub n_params: usize,
    pub iterations: u64,
    pub env_steps: u64,
    pub wall_time_s: f64,
    pub env_steps_per_s: f64,
    /// Mean and sample std of the final policy's return over the evaluation episodes.
    pub final_eval_return: f64,
    pub final_eval_return_std: f64,
    pub best_eval_return: f64,
    /// Whether the run finished its budget (false: stopped early, resumable).
    pub completed: bool,
}

/// Mean and sample standard deviation.
pub fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len().max(1) as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = if x.len() > 1 { x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (mean, var.sqrt())
}

/// The bookkeeping every learner shares, saved in each checkpoint beside the learner's own state
/// (flattened into one CBOR map, so the field names are those of the learners' older states).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunProgress {
    /// Env steps of training so far (evaluation episodes are extra).
    pub env_steps: u64,
    pub wall_time_s: f64,
    pub best_eval: f64,
    /// Mean and sample std of the latest evaluation.
    pub last_eval: Option<(f64, f64)>,
    /// Rows of `episodes.csv` written (checkpoints older than this log have 0).
    #[serde(default)]
    pub episodes_logged: u64,
    /// Rows of `eval_metrics.csv` written (checkpoints older than this log have 0).
    #[serde(default)]
    pub evals_logged: u64,
}

impl Default for RunProgress {
    fn default() -> Self {
        Self { env_steps: 0, wall_time_s: 0.0, best_eval: f64::NEG_INFINITY, last_eval: None, episodes_logged: 0, evals_logged: 0 }
    }
}

/// A checkpoint's `state`: the run's bookkeeping and the learner's own state in one map.
#[derive(Serialize, Deserialize)]
struct Checkpointed<S> {
    #[serde(flatten)]
    run: RunProgress,
    #[serde(flatten)]
    learner: S,
}

/// The owner of a run directory while a learner trains. Built with [`Run::new`]; a resumed run
/// then reads its checkpoint ([`Run::resume`]); [`Run::begin`] opens the logs; each iteration the
/// learner adds env steps to [`Run::progress`], evaluates when due ([`Run::evaluate`]), writes a
/// metrics row and checkpoints; [`Run::finish`] gives the summary.
pub struct Run<'a> {
    pub ctx: &'a TrainContext,
    pub progress: RunProgress,
    agent: String,
    columns: &'static [&'static str],
    header: PolicyHeader,
    resumed: bool,
    metrics: Option<MetricsWriter>,
    episodes: Option<EpisodeLog>,
    /// The env's episode metrics (e.g. `is_success`) and their log, for an env that has any.
    eval_metrics: Option<(Vec<&'static str>, MetricsWriter)>,
    pool: rayon::ThreadPool,
    started: Instant,
    wall_before: f64,
}

impl<'a> Run<'a> {
    /// A run of `agent` (its `metrics.csv` has `columns`) training a policy of `n_params`
    /// parameters; `resume` continues `ctx.dir`'s checkpoint. Evaluations and populations run on
    /// a pool of `threads` (0: all cores; `None`: rayon's default).
    pub fn new(ctx: &'a TrainContext, agent: &str, columns: &'static [&'static str], n_params: usize, threads: Option<usize>, resume: bool) -> Result<Self, AgentError> {
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(t) = threads {
            builder = builder.num_threads(resolve_threads(t));
        }
        let pool = builder.build().map_err(|e| AgentError::invalid(format!("thread pool: {e}")))?;
        let header = PolicyHeader { env: ctx.run.env.clone(), policy: ctx.run.policy.clone(), n_params };
        Ok(Self {
            ctx,
            progress: RunProgress::default(),
            agent: agent.to_string(),
            columns,
            header,
            resumed: resume,
            metrics: None,
            episodes: None,
            eval_metrics: None,
            pool,
            started: Instant::now(),
            wall_before: 0.0,
        })
    }

    /// On a resumed run, the checkpoint's tensors and the learner's state (the run's bookkeeping
    /// is restored into [`Run::progress`]); `None` on a new run.
    pub fn resume<S: DeserializeOwned>(&mut self) -> Result<Option<(Tensors, S)>, AgentError> {
        if !self.resumed {
            return Ok(None);
        }
        let path = self.checkpoint_path();
        let (tensors, saved): (_, Checkpointed<S>) = load_learner(&path, &self.agent)?;
        self.progress = saved.run;
        self.wall_before = self.progress.wall_time_s;
        self.started = Instant::now();
        Ok(Some((Tensors::new(tensors, path), saved.learner)))
    }

    /// Opens `metrics.csv` and `episodes.csv`: afresh, or for a resumed run cut back to the
    /// checkpoint's `metrics_rows` rows and its logged episodes.
    pub fn begin(&mut self, metrics_rows: usize) -> Result<(), AgentError> {
        let (metrics_path, episodes_path) = (self.ctx.dir.join("metrics.csv"), self.ctx.dir.join("episodes.csv"));
        if self.resumed {
            self.metrics = Some(MetricsWriter::resume(&metrics_path, self.columns, metrics_rows)?);
            self.episodes = Some(EpisodeLog::resume(&episodes_path, self.progress.episodes_logged as usize)?);
        } else {
            self.metrics = Some(MetricsWriter::create(&metrics_path, self.columns)?);
            self.episodes = Some(EpisodeLog::create(&episodes_path)?);
        }
        let keys: Vec<&'static str> = self.ctx.make_env()?.spec().episode_metrics.iter().map(|m| m.name).collect();
        if !keys.is_empty() {
            let path = self.ctx.dir.join(EVAL_METRICS_FILE);
            let mut columns = vec!["env_steps", "eval_return", "eval_return_std"];
            columns.extend(&keys);
            let rows = self.progress.evals_logged as usize;
            let writer = if self.resumed && !(rows == 0 && !path.exists()) {
                MetricsWriter::resume(&path, &columns, rows)?
            } else {
                MetricsWriter::create(&path, &columns)?
            };
            self.eval_metrics = Some((keys, writer));
        }
        self.started = Instant::now();
        Ok(())
    }

    /// The budget in env steps.
    pub fn budget(&self) -> u64 {
        self.ctx.run.steps
    }

    /// Whether the budget is spent.
    pub fn budget_spent(&self) -> bool {
        self.progress.env_steps >= self.ctx.run.steps
    }

    pub fn seed(&self) -> u64 {
        self.ctx.run.seed
    }

    /// Whether to stop now with a checkpoint: asked to (Ctrl-C), or at the context's pause point.
    pub fn stop_requested(&self) -> bool {
        self.ctx.stop_requested() || self.ctx.pause_at.is_some_and(|p| self.progress.env_steps >= p)
    }

    /// The pool that evaluations (and an evolution strategy's population) run on.
    pub fn pool(&self) -> &rayon::ThreadPool {
        &self.pool
    }

    /// Seconds of training so far, across resumes.
    pub fn wall_time(&mut self) -> f64 {
        self.progress.wall_time_s = self.wall_before + self.started.elapsed().as_secs_f64();
        self.progress.wall_time_s
    }

    /// Records one finished training episode (its return and length) at the current env step.
    pub fn log_episode(&mut self, episode_return: f64, length: u64) -> Result<(), AgentError> {
        let log = self.episodes.as_mut().expect("Run::begin opens the episode log");
        log.write(self.progress.env_steps, episode_return, length)?;
        self.progress.episodes_logged += 1;
        Ok(())
    }

    /// Mean and sample std of the return of the policy with `params` (and `buffers`) on the
    /// held-out evaluation seeds, recorded as the latest (and possibly best) evaluation.
    /// For an env with episode metrics, the mean of each over the episodes is appended to
    /// `eval_metrics.csv` at the current env step.
    pub fn evaluate(&mut self, params: &[f32], buffers: &[(&str, Vec<f32>)], episodes: usize) -> Result<(f64, f64), AgentError> {
        let scored = evaluate::parallel_episodes(&self.pool, self.ctx, params, buffers, episodes)?;
        let returns: Vec<f64> = scored.iter().map(|e| e.episode_return).collect();
        let r = mean_std(&returns);
        if let Some((keys, writer)) = self.eval_metrics.as_mut() {
            let mut row = vec![self.progress.env_steps as f64, r.0, r.1];
            row.extend(evaluate::final_info_means(&scored, keys));
            writer.write(&row)?;
            self.progress.evals_logged += 1;
        }
        self.progress.best_eval = self.progress.best_eval.max(r.0);
        self.progress.last_eval = Some(r);
        Ok(r)
    }

    /// [`Run::evaluate`] without recording the result.
    pub fn score(&self, params: &[f32], buffers: &[(&str, Vec<f32>)], episodes: usize) -> Result<(f64, f64), AgentError> {
        evaluate::parallel(&self.pool, self.ctx, params, buffers, episodes)
    }

    /// Appends a row to `metrics.csv` (values in the order of the columns; NaN for "not measured").
    pub fn write_row(&mut self, values: &[f64]) -> Result<(), AgentError> {
        self.metrics.as_mut().expect("Run::begin opens the metrics").write(values)?;
        self.episodes.as_mut().expect("Run::begin opens the episode log").flush()
    }

    /// Writes `policy.safetensors`: the trained policy's parameters and buffers.
    pub fn save_policy(&self, params: &[f32], buffers: &[(&str, Vec<f32>)]) -> Result<(), AgentError> {
        save_policy(&self.ctx.dir.join("policy.safetensors"), &self.header, params, buffers)
    }

    /// Writes `checkpoint.safetensors`: the learner's tensors and state with the run's bookkeeping.
    pub fn save_checkpoint<S: Serialize>(&mut self, tensors: &TensorList, learner: &S) -> Result<(), AgentError> {
        self.wall_time();
        self.episodes.as_mut().expect("Run::begin opens the episode log").flush()?;
        #[derive(Serialize)]
        struct Borrowed<'s, S> {
            #[serde(flatten)]
            run: &'s RunProgress,
            #[serde(flatten)]
            learner: &'s S,
        }
        save_learner(&self.checkpoint_path(), &self.agent, &tensors.as_refs(), &Borrowed { run: &self.progress, learner })
    }

    /// The summary of the run after `iterations` iterations; `completed` says whether it finished
    /// its budget. A completed or paused run reports its last evaluation; a stopped one is scored
    /// now by `score_final` (not recorded, so the checkpoint stays that of the uninterrupted run).
    pub fn finish(mut self, iterations: u64, completed: bool, score_final: impl FnOnce(&Self) -> Result<(f64, f64), AgentError>) -> Result<Summary, AgentError> {
        // A pause (`TrainContext::pause_at`) is not an end: its summary reports the latest
        // evaluation rather than spending episodes on a score nobody keeps.
        let paused = !self.ctx.stop_requested() && self.stop_requested();
        let (final_eval, final_std) = match self.progress.last_eval {
            Some(e) if completed || paused => e,
            _ => score_final(&self)?,
        };
        let wall = self.wall_time();
        Ok(Summary {
            env: self.ctx.run.env.clone(),
            policy: self.ctx.run.policy.clone(),
            agent: self.agent.clone(),
            seed: self.ctx.run.seed,
            n_params: self.header.n_params,
            iterations,
            env_steps: self.progress.env_steps,
            wall_time_s: wall,
            env_steps_per_s: self.progress.env_steps as f64 / wall.max(1e-9),
            final_eval_return: final_eval,
            final_eval_return_std: final_std,
            best_eval_return: self.progress.best_eval.max(final_eval),
            completed,
        })
    }

    fn checkpoint_path(&self) -> PathBuf {
        self.ctx.dir.join("checkpoint.safetensors")
    }
}

/// Threads for a learner's `threads` option: 0 means all cores.
pub fn resolve_threads(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1)
    } else {
        threads
    }
}

/// Rows of `metrics.csv` an off-policy run (TD3, DDPG, SAC) keeps when resumed at env step
/// `step` with budget `budget`: one per `eval_every` steps, plus the final row of a completed run
/// (dropped when the budget was raised, since that row no longer ends the run).
pub fn rows_every_steps(step: u64, budget: u64, eval_every: u64) -> usize {
    let off_boundary_end = step >= budget && step % eval_every != 0;
    (step / eval_every) as usize + off_boundary_end as usize
}
