use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli_error::read_toml_table;
use crate::CliError;

/// What to run: an env with a named controller, or a trained checkpoint (`eval` and `view`).
#[derive(Args)]
pub struct EnvPolicyArgs {
    /// Env id, e.g. Swimmer6-v0 (see `nerve list`); with --checkpoint, the run's env.
    #[arg(long, required_unless_present = "checkpoint")]
    pub env: Option<String>,
    /// Policy name, e.g. ncap, pid, mlp (see `nerve list`).
    #[arg(long, required_unless_present = "checkpoint", conflicts_with = "checkpoint")]
    pub controller: Option<String>,
    /// A run directory written by `nerve train`: uses its trained policy.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// TOML file overriding the env's configuration (unknown keys are errors).
    #[arg(long)]
    pub env_config: Option<PathBuf>,
    /// TOML file with the controller's options (unknown keys are errors).
    #[arg(long)]
    pub controller_config: Option<PathBuf>,
    /// With `--controller constant`: the action to hold, comma-separated (e.g. 0.02,0.05).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub action: Option<Vec<f32>>,
}

impl EnvPolicyArgs {
    /// Builds the env and the policy; returns them with the env id and a label for the policy.
    pub fn load(&self) -> Result<(Box<dyn envs::Env>, Box<dyn controllers::Policy>, String, String), CliError> {
        match &self.checkpoint {
            Some(dir) => {
                if self.action.is_some() {
                    return Err(CliError("--action is for `--controller constant`, not a checkpoint".into()));
                }
                let (env, policy, id) = load_checkpoint(dir, self.env.as_deref(), self.env_config.as_deref())?;
                let label = format!("{} ({})", policy.name(), dir.display());
                Ok((env, policy, id, label))
            }
            None => {
                let env_config = self.env_config.as_deref().map(read_toml_table).transpose()?;
                let mut ctrl_config = self.controller_config.as_deref().map(read_toml_table).transpose()?;
                let id = self.env.clone().unwrap_or_default();
                let env = envs::make_with(&id, env_config.as_ref())?;
                let name = self.controller.clone().unwrap_or_default();
                if let Some(action) = &self.action {
                    if name != "constant" {
                        return Err(CliError(format!("--action is for `--controller constant`, not `{name}`")));
                    }
                    let values = action.iter().map(|&v| toml::Value::Float(v as f64)).collect();
                    ctrl_config.get_or_insert_with(toml::Table::new).insert("action".into(), toml::Value::Array(values));
                }
                let policy = controllers::make(&name, env.spec(), ctrl_config.as_ref())?;
                let label = policy.name().to_string();
                Ok((env, policy, id, label))
            }
        }
    }
}

#[derive(Args)]
pub struct EvalArgs {
    #[command(flatten)]
    target: EnvPolicyArgs,
    /// Number of episodes; episode k uses seed S + k.
    #[arg(long, default_value_t = 5)]
    episodes: u64,
    /// First seed S.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Write every step (episode, seed, step, time, actions, reward, and the env's physical state
    /// in SI units, named) to this CSV file; the row of step 0 is the state after reset.
    #[arg(long)]
    trace: Option<PathBuf>,
}

pub fn run(args: EvalArgs) -> Result<(), CliError> {
    if args.episodes == 0 {
        return Err(CliError("--episodes 0: expected at least 1 episode".into()));
    }
    let (mut env, mut policy, env_id, label) = args.target.load()?;
    let max_steps = env.spec().max_episode_steps.unwrap_or(1000) as u64;

    let bar = ProgressBar::new(args.episodes * max_steps);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} steps, {per_sec}, eta {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("{env_id} · {label}"));

    let mut episodes = Vec::new();
    let mut steps = 0usize;
    let mut trace = args.trace.as_deref().map(|p| crate::trace::Trace::new(p, env.spec())).transpose()?;
    let start = Instant::now();
    for k in 0..args.episodes {
        let seed = args.seed + k;
        let ep = match trace.as_mut() {
            None => controllers::run_episode(env.as_mut(), policy.as_mut(), seed, |_| bar.inc(1))?,
            Some(t) => {
                let mut step = 0usize;
                controllers::run_episode_observed(env.as_mut(), policy.as_mut(), seed, |env, taken| {
                    t.row(env, k, seed, step, taken.map(|(action, outcome)| (action, outcome.reward)));
                    if taken.is_some() {
                        bar.inc(1);
                    }
                    step += 1;
                })?
            }
        };
        steps += ep.length;
        episodes.push(ep);
    }
    let elapsed = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    if let Some(t) = trace {
        let path = t.finish()?;
        eprintln!("wrote {}", path.display());
    }

    let returns: Vec<f64> = episodes.iter().map(|e| e.episode_return).collect();
    let (mean, std) = mean_std(&returns);
    let steps_per_sec = steps as f64 / elapsed;
    if args.json {
        let eps: Vec<_> = episodes
            .iter()
            .map(|e| {
                serde_json::json!({"seed": e.seed, "return": e.episode_return, "length": e.length,
                    "terminated": e.terminated, "truncation_reason": e.truncation_reason,
                    "final_info": e.final_info.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>()})
            })
            .collect();
        let out = serde_json::json!({
            "system": "nerve", "env": env_id, "controller": policy.name(), "checkpoint": args.target.checkpoint, "episodes": eps,
            "mean": mean, "std": std, "steps_per_sec": steps_per_sec,
            "work_per_step": work_per_step(&episodes).map(|w| serde_json::json!({"spikes": w[0], "synaptic_ops": w[1], "macs": w[2]})),
            "metrics": tracking_metrics(env.spec(), &episodes).into_iter().map(|(k, v)| {
                let (m, s) = mean_std(&v);
                (k.to_string(), serde_json::json!({"mean": m, "std": s, "episodes": v.len()}))
            }).collect::<serde_json::Map<_, _>>(),
        });
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    println!("{env_id} · {label} · {} episodes from seed {}", args.episodes, args.seed);
    println!("{:>8} {:>6} {:>10} {:>7}  end", "episode", "seed", "return", "length");
    for (k, e) in episodes.iter().enumerate() {
        let end = if e.terminated { "terminated".to_string() } else { e.truncation_reason.clone().unwrap_or_default() };
        println!("{:>8} {:>6} {:>10.2} {:>7}  {}", k, e.seed, e.episode_return, e.length, end);
    }
    println!("return: {mean:.2} ± {std:.2} (mean ± sample std over {} episodes)", returns.len());
    for (key, values) in tracking_metrics(env.spec(), &episodes) {
        let (m, s) = mean_std(&values);
        if key == "is_success" {
            let successes = values.iter().filter(|&&v| v > 0.5).count();
            println!("success rate: {:.0}% ({successes} of {} episodes end in success)", 100.0 * m, values.len());
        } else {
            println!("{key}: {m:.4} ± {s:.4} ({} episodes)", values.len());
        }
    }
    if let Some(w) = work_per_step(&episodes) {
        println!("work per control step: {:.1} spikes, {:.1} synaptic ops, {:.1} MACs", w[0], w[1], w[2]);
    }
    println!("speed:  {steps_per_sec:.0} env steps/s (one thread, controller included)");
    Ok(())
}

/// The env's episode metrics ([`envs::EnvSpec::episode_metrics`]: a goal task's `is_success`, a
/// tracking task's errors), a tracking task's ([`envs::tracking::METRIC_KEYS`]) and the
/// electrical energy drawn by motor-driven bodies, from each episode's final info, for the keys
/// that episodes report.
fn tracking_metrics(spec: &envs::EnvSpec, episodes: &[controllers::Episode]) -> Vec<(&'static str, Vec<f64>)> {
    let mut keys: Vec<&'static str> = spec.episode_metrics.iter().map(|m| m.name).collect();
    for k in envs::tracking::METRIC_KEYS.iter().chain(&["electrical_energy"]) {
        if !keys.contains(k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|key| (key, episodes.iter().filter_map(|e| e.final_info.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)).collect::<Vec<f64>>()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The controller's spikes, synaptic operations and MACs per control step over all episodes, if it counts them.
fn work_per_step(episodes: &[controllers::Episode]) -> Option<[f64; 3]> {
    let mut total = controllers::Work::default();
    for e in episodes {
        total += e.work?;
    }
    let steps = episodes.iter().map(|e| e.length).sum::<usize>().max(1) as f64;
    Some([total.spikes as f64 / steps, total.synaptic_ops as f64 / steps, total.macs as f64 / steps])
}

/// Mean and sample standard deviation (n − 1; 0 for a single value).
pub fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = if x.len() > 1 { x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (mean, var.sqrt())
}

/// Rebuilds a trained policy from run directory `dir`: its env and policy from `config.toml`,
/// the parameters from `policy.safetensors` (refused if they belong to another env or architecture).
pub(crate) fn load_checkpoint(
    dir: &std::path::Path,
    env_arg: Option<&str>,
    env_config_arg: Option<&std::path::Path>,
) -> Result<(Box<dyn envs::Env>, Box<dyn controllers::Policy>, String), CliError> {
    let run = agents::run::trained::TrainedRun::load(dir)?;
    let id = run.file.run.env.clone();
    if let Some(asked) = env_arg {
        if asked != id {
            return Err(CliError(format!("{}: this policy was trained on {id}; --env asks for {asked}", dir.display())));
        }
    }
    let env_config = env_config_arg.map(read_toml_table).transpose()?;
    let env = run.make_env(env_config.as_ref())?;
    let policy = run.policy_for(env.spec())?;
    Ok((env, policy, id))
}
