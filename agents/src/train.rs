//! Starting, resuming and finishing a training run: the run directory and its `config.toml`.
//!
//! `config.toml` holds the whole run: `[run]` (env, policy, agent, budget, seed), then `[env]`,
//! `[policy]` (the options given) and `[agent]` (every hyperparameter, defaults filled in).
//! `nerve train --resume DIR` reads it back, so a resumed run is the same run.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cmaes::{self, CmaesConfig};
use crate::es::{self, EsConfig};
use crate::mimic_pid::{self, MimicPidConfig};
use crate::ppo::{self, PpoConfig};
use crate::sac::{self, SacConfig};
use crate::td3::{self, Td3Config, Variant};
use crate::fsutil::write_atomic;
use crate::metrics::read_metrics;
use crate::plot::{learning_curve, Series};
use crate::run::{Progress, RunSpec, Summary, TrainContext};
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
            match table {
                None => Ok(T::default()),
                Some(t) => toml::Value::Table(t.clone())
                    .try_into()
                    .map_err(|e: toml::de::Error| AgentError::invalid(format!("agent `{agent}`: invalid config: {}", e.message()))),
            }
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

    fn to_table(&self) -> toml::Table {
        let value = match self {
            AgentConfig::Es(c) => toml::Value::try_from(c),
            AgentConfig::Cmaes(c) => toml::Value::try_from(c),
            AgentConfig::Ppo(c) => toml::Value::try_from(c),
            AgentConfig::Td3(c, _) => toml::Value::try_from(c),
            AgentConfig::Sac(c) => toml::Value::try_from(c),
            AgentConfig::MimicPid(c) => toml::Value::try_from(c),
        };
        match value {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        }
    }
}

/// The contents of `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFile {
    pub run: RunSpec,
    #[serde(default)]
    pub env: toml::Table,
    #[serde(default)]
    pub policy: toml::Table,
    #[serde(default)]
    pub agent: toml::Table,
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
    if run.steps == 0 {
        return Err(AgentError::invalid("--steps 0: expected a budget of at least 1 env step"));
    }
    let agent_cfg = AgentConfig::parse(&run.agent, agent)?;
    let ctx = TrainContext { run, env_config: non_empty(&env), policy_config: non_empty(&policy), dir: dir.to_path_buf(), stop };
    let spec = ctx.make_env()?.spec().clone();
    let policy_obj = ctx.make_policy(&spec)?;
    check_pairing(&agent_cfg, &ctx.run.policy, policy_obj.parameters().map_or(0, |p| p.len()))?;
    if dir.exists() && std::fs::read_dir(dir).map_err(|e| AgentError::io(dir, e))?.next().is_some() {
        return Err(AgentError::invalid(format!(
            "{}: already exists and is not empty; continue it with `nerve train --resume {}`, or choose another --out",
            dir.display(),
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| AgentError::io(dir, e))?;
    let file = RunFile { run: ctx.run.clone(), env, policy, agent: agent_cfg.to_table() };
    let text = toml::to_string(&file).map_err(|e| AgentError::invalid(format!("config.toml: {e}")))?;
    write_atomic(&dir.join("config.toml"), text.as_bytes())?;
    Ok(Prepared { ctx, agent: agent_cfg, resume: false })
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
    crate::checkpoint::check_learner(&dir.join("checkpoint.safetensors"), &run.agent)?;
    let ctx = TrainContext { run, env_config: non_empty(&file.env), policy_config: non_empty(&file.policy), dir: dir.to_path_buf(), stop };
    if steps.is_some() {
        let updated = RunFile { run: ctx.run.clone(), ..file };
        let text = toml::to_string(&updated).map_err(|e| AgentError::invalid(format!("config.toml: {e}")))?;
        write_atomic(&dir.join("config.toml"), text.as_bytes())?;
    }
    Ok(Prepared { ctx, agent, resume: true })
}

/// Reads `dir/config.toml`.
pub fn read_run_file(dir: &Path) -> Result<RunFile, AgentError> {
    let path = dir.join("config.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AgentError::invalid(format!(
            "{}: not a run directory of `nerve train` (it has no config.toml); pass a directory that `nerve train --out` wrote",
            dir.display()
        )),
        _ => AgentError::io(&path, e),
    })?;
    toml::from_str(&text).map_err(|e| AgentError::invalid(format!("{}: {}", path.display(), e.message())))
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

/// Trains, then writes `summary.json` and the learning curve.
pub fn run(prepared: &Prepared, on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
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
        plot_run(dir, &summary)?;
    }
    Ok(summary)
}

/// Draws `learning_curve.png`/`.svg` from `metrics.csv`.
pub fn plot_run(dir: &Path, summary: &Summary) -> Result<(), AgentError> {
    let (header, rows) = read_metrics(&dir.join("metrics.csv"))?;
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(x), Some(eval)) = (col("env_steps"), col("eval_return")) else {
        return Ok(());
    };
    let mut series = vec![Series { label: "evaluation return", points: rows.iter().map(|r| (r[x], r[eval])).collect(), color: RGB_BLUE }];
    if let Some(train) = col("return_mean") {
        series.push(Series { label: "training return (population mean)", points: rows.iter().map(|r| (r[x], r[train])).collect(), color: RGB_ORANGE });
    }
    let title = format!("{} · {} · {} · seed {}", summary.env, summary.policy, summary.agent, summary.seed);
    learning_curve(&dir.join("learning_curve"), &title, "episode return", &series)
}

const RGB_BLUE: plotters::style::RGBColor = plotters::style::RGBColor(31, 119, 180);
const RGB_ORANGE: plotters::style::RGBColor = plotters::style::RGBColor(255, 127, 14);

/// The default run directory: `results/runs/{env}-{policy}-{agent}-seed{seed}`.
pub fn default_dir(run: &RunSpec) -> PathBuf {
    PathBuf::from("results").join("runs").join(format!("{}-{}-{}-seed{}", run.env, run.policy, run.agent, run.seed))
}
