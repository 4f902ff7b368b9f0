//! The learners, one file per algorithm, and what runs any of them: [`AGENTS`] lists them,
//! [`start`] and [`resume`] prepare a run directory (refusing configs that cannot work before
//! anything is written), [`train`] runs the prepared run's learner and writes its summary and
//! learning curve.

pub mod cmaes;
pub mod es;
pub mod her;
pub mod mimic_pid;
pub mod off_policy;
pub mod ppo;
pub mod replay;
pub mod sac;
pub mod td3;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use cmaes::CmaesConfig;
use es::EsConfig;
use mimic_pid::MimicPidConfig;
use ppo::PpoConfig;
use sac::SacConfig;
use td3::{Td3Config, Variant};

use crate::run::directory::{read_run_file, write_run_file, RunFile};
use crate::run::{write_atomic, Progress, RunSpec, Summary, TrainContext};
use crate::AgentError;

/// Learners `nerve train` knows.
pub const AGENTS: &[(&str, &str)] = &[
    ("es", "OpenAI-ES: antithetic sampling, centred ranks, Adam; parallel population"),
    ("cmaes", "CMA-ES for low-dimensional policies (≤ 1000 parameters unless opted in); parallel population"),
    ("ppo", "PPO (CleanRL's continuous-action PPO) for `mlp` and `ncap` policies on a VecEnv"),
    ("td3", "TD3: twin critics, target smoothing, delayed actor; `mlp` and `ncap` actors"),
    ("ddpg", "DDPG (TD3 with one critic, no smoothing, no delay): `mlp` and `ncap` actors"),
    ("sac", "SAC with automatic entropy tuning: `mlp` (tanh-squashed Gaussian)"),
    ("mimic-pid", "records a PID flying the env and evolves an `snn` (or `snn-pd`) to mimic it (separable CMA-ES); then flies it"),
];

/// A learner's hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentConfig {
    Es(EsConfig),
    Cmaes(CmaesConfig),
    Ppo(PpoConfig),
    Td3(Td3Config, Variant),
    Sac(SacConfig),
    MimicPid(MimicPidConfig),
}

impl AgentConfig {
    /// The defaults of `agent`, overridden key by key by `table` (unknown keys are errors).
    pub fn parse(agent: &str, table: Option<&toml::Table>) -> Result<Self, AgentError> {
        fn read<T: serde::de::DeserializeOwned + Default>(agent: &str, table: Option<&toml::Table>) -> Result<T, AgentError> {
            Ok(envs::config::parse(&format!("agent `{agent}`"), table)?)
        }
        match agent {
            "es" => {
                let cfg: EsConfig = read(agent, table)?;
                cfg.validate()?;
                Ok(AgentConfig::Es(cfg))
            }
            "cmaes" => {
                let cfg: CmaesConfig = read(agent, table)?;
                cfg.validate()?;
                Ok(AgentConfig::Cmaes(cfg))
            }
            "ppo" => {
                let cfg: PpoConfig = read(agent, table)?;
                cfg.validate()?;
                Ok(AgentConfig::Ppo(cfg))
            }
            "td3" | "ddpg" => {
                let cfg: Td3Config = read(agent, table)?;
                cfg.validate(agent)?;
                Ok(AgentConfig::Td3(cfg, if agent == "td3" { Variant::Td3 } else { Variant::Ddpg }))
            }
            "sac" => {
                let cfg: SacConfig = read(agent, table)?;
                cfg.validate()?;
                Ok(AgentConfig::Sac(cfg))
            }
            "mimic-pid" => {
                let cfg: MimicPidConfig = read(agent, table)?;
                cfg.validate()?;
                Ok(AgentConfig::MimicPid(cfg))
            }
            _ => Err(AgentError::invalid(format!(
                "unknown agent `{agent}`; available: {}",
                AGENTS.iter().map(|a| a.0).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// Every hyperparameter, as the `[agent]` table of `config.toml`.
    pub fn to_table(&self) -> toml::Table {
        use envs::config::to_table;
        match self {
            AgentConfig::Es(c) => to_table(c),
            AgentConfig::Cmaes(c) => to_table(c),
            AgentConfig::Ppo(c) => to_table(c),
            AgentConfig::Td3(c, _) => to_table(c),
            AgentConfig::Sac(c) => to_table(c),
            AgentConfig::MimicPid(c) => to_table(c),
        }
    }
}

/// The initial parameter vector of the run's policy (what an evolution strategy starts from); an
/// error for a policy without one.
pub(crate) fn initial_parameters(ctx: &TrainContext, agent: &str) -> Result<Vec<f32>, AgentError> {
    let spec = ctx.make_env()?.spec().clone();
    let policy = ctx.make_policy(&spec)?;
    policy.parameters().map(<[f32]>::to_vec).ok_or_else(|| AgentError::invalid(format!("agent `{agent}` trains policies with parameters; `{}` has none", ctx.run.policy)))
}

/// Refuses hidden-layer widths a network cannot have, naming the agent and the key (a critic of
/// width 0 would otherwise train silently on a constant).
pub(crate) fn check_widths(agent: &str, key: &str, widths: &[usize]) -> Result<(), AgentError> {
    match widths.iter().find(|w| **w == 0 || **w > 4096) {
        Some(w) => Err(AgentError::invalid(format!("agent `{agent}`: `{key}` = {widths:?} has a layer of width {w}: expected widths in 1..=4096"))),
        None => Ok(()),
    }
}

/// A run ready to train.
#[derive(Debug)]
pub struct Prepared {
    pub ctx: TrainContext,
    pub agent: AgentConfig,
    pub resume: bool,
}

fn non_empty(t: &toml::Table) -> Option<toml::Table> {
    (!t.is_empty()).then(|| t.clone())
}

/// Creates a new run directory `dir` (which must not exist, or be empty) and its `config.toml`.
/// The env, policy and agent are built once here, so bad options fail before anything is written.
pub fn start(run: RunSpec, env: toml::Table, policy: toml::Table, agent: Option<&toml::Table>, dir: &Path, stop: Arc<AtomicBool>) -> Result<Prepared, AgentError> {
    start_with(run, env, policy, agent, dir, stop, StartOptions::default())
}

/// What [`start_with`] does besides [`start`]'s work.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Recorded in `config.toml`: the `[agent]` and `[policy]` tables hold this preset's values
    /// under the user's ([`crate::presets`]).
    pub preset: Option<crate::presets::PresetRecord>,
    /// Refuse a budget the learner cannot learn within ([`check_budget`]). Off only for a
    /// benchmark's scaled-down smoke run, whose scenario was checked at its full budget.
    pub check_budget: bool,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self { preset: None, check_budget: true }
    }
}

/// [`start`] with [`StartOptions`].
pub fn start_with(run: RunSpec, env: toml::Table, policy: toml::Table, agent: Option<&toml::Table>, dir: &Path, stop: Arc<AtomicBool>, options: StartOptions) -> Result<Prepared, AgentError> {
    let agent_cfg = check_options(&run, &env, &policy, agent, options.check_budget)?;
    let preset = options.preset;
    let ctx = TrainContext { run, env_config: non_empty(&env), policy_config: non_empty(&policy), dir: dir.to_path_buf(), stop, pause_at: None };
    check_new_dir(dir)?;
    std::fs::create_dir_all(dir).map_err(|e| AgentError::io(dir, e))?;
    write_run_file(dir, &RunFile { run: ctx.run.clone(), env, policy, agent: agent_cfg.to_table(), preset })?;
    Ok(Prepared { ctx, agent: agent_cfg, resume: false })
}

/// Refuses `dir` as a new run's directory unless it is absent or empty (a run is never
/// overwritten).
pub fn check_new_dir(dir: &Path) -> Result<(), AgentError> {
    if dir.exists() && std::fs::read_dir(dir).map_err(|e| AgentError::io(dir, e))?.next().is_some() {
        return Err(AgentError::invalid(format!(
            "{}: already exists and is not empty; continue it with `nerve train --resume {}`, or choose another --out",
            dir.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Everything [`start`] refuses, checked without writing anything: a zero budget, an unknown
/// agent or bad hyperparameters, an env or policy that does not build, a pairing that cannot work.
/// Returns the agent's full config.
pub fn check(run: &RunSpec, env: &toml::Table, policy: &toml::Table, agent: Option<&toml::Table>) -> Result<AgentConfig, AgentError> {
    check_options(run, env, policy, agent, true)
}

fn check_options(run: &RunSpec, env: &toml::Table, policy: &toml::Table, agent: Option<&toml::Table>, budget: bool) -> Result<AgentConfig, AgentError> {
    if run.steps == 0 {
        return Err(AgentError::invalid("--steps 0: expected a budget of at least 1 env step"));
    }
    let agent_cfg = AgentConfig::parse(&run.agent, agent)?;
    let spec = envs::make_with(&run.env, non_empty(env).as_ref())?.spec().clone();
    let policy_obj = controllers::make(&run.policy, &spec, non_empty(policy).as_ref())?;
    check_pairing(&agent_cfg, &run.policy, policy_obj.parameters().map_or(0, |p| p.len()))?;
    match &agent_cfg {
        AgentConfig::Td3(cfg, _) if cfg.her_future_goals > 0 => {
            her::check(&run.agent, cfg.her_future_goals, cfg.buffer_size, &spec)?;
        }
        AgentConfig::Sac(cfg) if cfg.her_future_goals > 0 => {
            her::check("sac", cfg.her_future_goals, cfg.buffer_size, &spec)?;
        }
        _ => {}
    }
    if budget {
        check_budget(&run.agent, run.steps, &agent_cfg)?;
    }
    Ok(agent_cfg)
}

/// The spec of a stand-in env for timing updates: `d`-D observations, `a`-D actions in [−1, 1].
pub fn timing_spec(d: usize, a: usize) -> envs::EnvSpec {
    envs::EnvSpec {
        id: "timing".into(),
        observation_space: envs::Space::Box(envs::BoxSpace::uniform(d, f32::NEG_INFINITY, f32::INFINITY)),
        action_space: envs::Space::Box(envs::BoxSpace::uniform(a, -1.0, 1.0)),
        dt: 0.05,
        max_episode_steps: Some(200),
        attrs: Vec::new(),
        observation_names: (0..d).map(|k| format!("x{k}")).collect(),
        signals: Vec::new(),
        episode_metrics: Vec::new(),
        goal: None,
    }
}

/// A replay buffer of 10 000 random transitions (episodes of 200) for timing updates.
pub fn timing_replay(d: usize, a: usize, rng: &mut rand::rngs::Xoshiro256PlusPlus) -> replay::Replay {
    use rand_distr::{Distribution, StandardNormal};
    let n = 10_000;
    let mut replay = replay::Replay::new(n, d, a);
    let mut normal = |k: usize| -> Vec<f32> { (0..k).map(|_| StandardNormal.sample(&mut *rng)).collect() };
    for i in 0..n {
        let (o, o2) = (normal(d), normal(d));
        let act: Vec<f32> = normal(a).iter().map(|x| x.clamp(-1.0, 1.0)).collect();
        let r = normal(1)[0];
        replay.push(&o, &o2, &act, r, false, 0.5, 0.5);
        if i % 200 == 199 {
            replay.end_episode();
        }
    }
    replay
}

/// Seconds per call of `f`: `repeats` timings of `calls` calls each, after one untimed round.
pub fn time_calls(calls: usize, repeats: usize, mut f: impl FnMut() -> Result<(), AgentError>) -> Result<Vec<f64>, AgentError> {
    if calls == 0 || repeats == 0 {
        return Err(AgentError::invalid("timing: expected at least one call and one repeat"));
    }
    let mut times = Vec::with_capacity(repeats);
    for k in 0..=repeats {
        let start = std::time::Instant::now();
        for _ in 0..calls {
            f()?;
        }
        if k > 0 {
            times.push(start.elapsed().as_secs_f64() / calls as f64);
        }
    }
    Ok(times)
}

/// Refuses a configuration that cannot learn within `steps` env steps: an off-policy learner
/// whose `learning_starts` leaves no update, or an evaluation interval past the budget (a
/// learning curve of one point).
pub fn check_budget(agent: &str, steps: u64, cfg: &AgentConfig) -> Result<(), AgentError> {
    let off_policy = |learning_starts: u64, eval_every: u64| -> Result<(), AgentError> {
        if learning_starts >= steps {
            return Err(AgentError::invalid(format!(
                "agent `{agent}`: learning_starts = {learning_starts} ≥ --steps {steps}: the networks would never be updated; lower `learning_starts` in [agent] or raise --steps"
            )));
        }
        if eval_every > steps {
            return Err(AgentError::invalid(format!(
                "agent `{agent}`: eval_every_steps = {eval_every} > --steps {steps}: the run would never be evaluated before its end; lower `eval_every_steps` in [agent] or raise --steps"
            )));
        }
        Ok(())
    };
    match cfg {
        AgentConfig::Td3(c, _) => off_policy(c.learning_starts, c.eval_every_steps),
        AgentConfig::Sac(c) => off_policy(c.learning_starts, c.eval_every_steps),
        AgentConfig::Ppo(c) => {
            let rollout = (c.num_envs * c.num_steps) as u64;
            let iterations = steps.div_ceil(rollout).max(1);
            if c.eval_interval > iterations {
                return Err(AgentError::invalid(format!(
                    "agent `ppo`: eval_interval = {} iterations > the budget's {iterations} (of num_envs × num_steps = {rollout} env steps each): the run would never be evaluated before its end; lower `eval_interval` in [agent] or raise --steps",
                    c.eval_interval
                )));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Reopens run directory `dir` to continue it; `steps` may raise the budget.
pub fn resume(dir: &Path, steps: Option<u64>, stop: Arc<AtomicBool>) -> Result<Prepared, AgentError> {
    let file = read_run_file(dir)?;
    if !dir.join("checkpoint.safetensors").exists() {
        return Err(AgentError::invalid(format!("{}: no checkpoint.safetensors to resume from", dir.display())));
    }
    let mut run = file.run.clone();
    if let Some(s) = steps {
        run.steps = s;
    }
    let agent = AgentConfig::parse(&run.agent, Some(&file.agent))?;
    crate::run::checkpoint::check_learner(&dir.join("checkpoint.safetensors"), &run.agent)?;
    let ctx = TrainContext { run, env_config: non_empty(&file.env), policy_config: non_empty(&file.policy), dir: dir.to_path_buf(), stop, pause_at: None };
    if steps.is_some() {
        write_run_file(dir, &RunFile { run: ctx.run.clone(), ..file })?;
    }
    Ok(Prepared { ctx, agent, resume: true })
}

/// Refuses pairings that cannot work or would waste the budget.
fn check_pairing(agent: &AgentConfig, policy: &str, n_params: usize) -> Result<(), AgentError> {
    let name = match agent {
        AgentConfig::Es(_) => "es",
        AgentConfig::Cmaes(_) => "cmaes",
        AgentConfig::Sac(_) => {
            if policy == "mlp" {
                return Ok(());
            }
            return Err(AgentError::invalid(format!("agent `sac` trains `mlp` policies, not `{policy}`")));
        }
        AgentConfig::MimicPid(_) => {
            if policy == "snn" || policy == "snn-pd" {
                return Ok(());
            }
            return Err(AgentError::invalid(format!("agent `mimic-pid` evolves `snn` and `snn-pd` policies, not `{policy}`")));
        }
        AgentConfig::Ppo(_) | AgentConfig::Td3(..) => {
            if let AgentConfig::Td3(cfg, variant) = agent {
                cfg.check_policy(variant.agent(), policy)?;
            }
            if policy == "mlp" || policy.starts_with("ncap") {
                return Ok(());
            }
            return Err(AgentError::invalid(format!("gradient learners train `mlp` and `ncap` policies, not `{policy}`")));
        }
    };
    if n_params == 0 {
        return Err(AgentError::invalid(format!("agent `{name}` trains policies with parameters; `{policy}` has none")));
    }
    if let AgentConfig::Cmaes(cfg) = agent {
        cfg.check_size(policy, n_params)?;
    }
    Ok(())
}

/// Trains several prepared runs (seeds of one configuration, say) in one process, `jobs` at a
/// time, each on a thread of its own: every run is exactly the run it would be alone (its own
/// env, random streams and networks; no arithmetic is shared), written to its own directory.
/// `on_progress(k, …)` reports run `k`. Results in the order of `prepared`.
pub fn train_many(prepared: &[Prepared], jobs: usize, on_progress: impl Fn(usize, &Progress) + Sync) -> Vec<Result<Summary, AgentError>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<Summary, AgentError>>>> = prepared.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, prepared.len().max(1)) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                if k >= prepared.len() {
                    break;
                }
                let result = train(&prepared[k], |p| on_progress(k, p));
                *results[k].lock().expect("no panic holds it") = Some(result);
            });
        }
    });
    results.into_iter().map(|m| m.into_inner().expect("no panic holds it").expect("every run was taken")).collect()
}

/// Trains a prepared run with its learner, then writes `summary.json` and the learning curve.
pub fn train(prepared: &Prepared, on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    let summary = match &prepared.agent {
        AgentConfig::Es(cfg) => es::train(&prepared.ctx, cfg, prepared.resume, on_progress)?,
        AgentConfig::Cmaes(cfg) => cmaes::train(&prepared.ctx, cfg, prepared.resume, on_progress)?,
        AgentConfig::Ppo(cfg) => ppo::train(&prepared.ctx, cfg, prepared.resume, on_progress)?,
        AgentConfig::Td3(cfg, variant) => td3::train(&prepared.ctx, cfg, *variant, prepared.resume, on_progress)?,
        AgentConfig::Sac(cfg) => sac::train(&prepared.ctx, cfg, prepared.resume, on_progress)?,
        AgentConfig::MimicPid(cfg) => mimic_pid::train(&prepared.ctx, cfg, prepared.resume, on_progress)?,
    };
    let dir = &prepared.ctx.dir;
    let json = serde_json::to_string_pretty(&summary).expect("plain struct");
    write_atomic(&dir.join("summary.json"), json.as_bytes())?;
    // mimic-pid draws its own figures (the mimic error and a flight); the others a learning curve.
    if !matches!(prepared.agent, AgentConfig::MimicPid(_)) {
        crate::run::plot::run_curves(dir, &summary)?;
    }
    Ok(summary)
}

