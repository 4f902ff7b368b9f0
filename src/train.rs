use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use agents::learners::{self, AGENTS};
use agents::run::directory::default_dir;
use agents::RunSpec;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli_error::read_toml_table;
use crate::CliError;

#[derive(Args)]
pub struct TrainArgs {
    /// Env id, e.g. Swimmer6-v0.
    #[arg(long, required_unless_present = "resume")]
    env: Option<String>,
    /// Policy: any with parameters, e.g. ncap (and its variants), mlp, linear, travelling-wave, snn (see `nerve list`).
    #[arg(long, required_unless_present = "resume")]
    policy: Option<String>,
    /// Learner: es, cmaes, ppo, td3, ddpg, sac, mimic-pid (see `nerve list`).
    #[arg(long, required_unless_present = "resume")]
    agent: Option<String>,
    /// Budget in env steps (training episodes; evaluation is extra). With --resume: a new budget.
    #[arg(long)]
    steps: Option<u64>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// TOML file with optional [env], [policy] and [agent] tables (unknown keys are errors).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run directory (default: results/runs/ENV-POLICY-AGENT-seedS); must not exist yet.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Tuned hyperparameters laid under --config's: `auto` (the learner's preset for this env,
    /// if it has one), `none` (the learner's bare defaults), or a preset's name (`nerve list`).
    #[arg(long, default_value = "auto", conflicts_with = "resume")]
    preset: String,
    /// Continue the run in this directory from its checkpoint.
    #[arg(long, conflicts_with_all = ["env", "policy", "agent", "config", "out"])]
    resume: Option<PathBuf>,
}

pub fn run(args: TrainArgs) -> Result<(), CliError> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\nstopping after this iteration with a checkpoint (Ctrl-C again to quit at once)");
        })
        .map_err(|e| CliError(format!("cannot install the Ctrl-C handler: {e}")))?;
    }

    let prepared = match &args.resume {
        Some(dir) => learners::resume(dir, args.steps, Arc::clone(&stop))?,
        None => {
            let (env, policy, agent) = (args.env.clone().unwrap_or_default(), args.policy.clone().unwrap_or_default(), args.agent.clone().unwrap_or_default());
            if !AGENTS.iter().any(|a| a.0 == agent) {
                let valid: Vec<&str> = AGENTS.iter().map(|a| a.0).collect();
                return Err(CliError(format!("unknown agent `{agent}`; available: {}", valid.join(", "))));
            }
            let run = RunSpec { env, policy, agent, steps: args.steps.unwrap_or(100_000), seed: args.seed };
            let mut file = match &args.config {
                Some(path) => read_toml_table(path)?,
                None => toml::Table::new(),
            };
            let mut section = |name: &str| -> Result<toml::Table, CliError> {
                match file.remove(name) {
                    None => Ok(toml::Table::new()),
                    Some(toml::Value::Table(t)) => Ok(t),
                    Some(_) => Err(CliError(format!("{}: `{name}` must be a table ([{name}])", args.config.as_ref().expect("read").display()))),
                }
            };
            let (env_t, mut policy_t, mut agent_t) = (section("env")?, section("policy")?, section("agent")?);
            if let Some(key) = file.keys().next() {
                return Err(CliError(format!(
                    "{}: unknown table `{key}`; expected [env], [policy] and [agent]",
                    args.config.as_ref().expect("read").display()
                )));
            }
            let preset = agents::presets::select(&run.agent, &run.env, &args.preset)?;
            let record = preset.map(|p| {
                agent_t = agents::presets::layer(&p.agent, &agent_t);
                if run.policy == "mlp" {
                    policy_t = agents::presets::layer(&p.policy, &policy_t);
                }
                println!("preset {}/{}: {} (`--preset none` for the bare defaults)", run.agent, p.name, p.source);
                agents::presets::PresetRecord { name: format!("{}/{}", run.agent, p.name), source: p.source }
            });
            let dir = args.out.clone().unwrap_or_else(|| default_dir(&run));
            learners::start_with(run, env_t, policy_t, Some(&agent_t), &dir, Arc::clone(&stop), learners::StartOptions { preset: record, check_budget: true })?
        }
    };
    let run = prepared.ctx.run.clone();
    println!("training {} · {} · {} · seed {} for {} env steps → {}", run.env, run.policy, run.agent, run.seed, run.steps, prepared.ctx.dir.display());
    let config_text = std::fs::read_to_string(prepared.ctx.dir.join("config.toml"))?;
    println!("{}", config_text.trim_end());

    let bar = ProgressBar::new(run.steps);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {human_pos}/{human_len} steps, {per_sec}, eta {eta} · {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let summary = learners::train(&prepared, |p| {
        bar.set_position(p.env_steps.min(run.steps));
        let eval = p.eval_return.map(|e| format!(", eval {e:.1}")).unwrap_or_default();
        bar.set_message(format!("iter {}: return {:.1}{eval}", p.iteration, p.recent_return));
    })?;
    bar.finish_and_clear();
    let how = if summary.completed { "finished" } else { "stopped (resume with `nerve train --resume DIR`)" };
    println!(
        "{how}: {} iterations, {} env steps in {:.1} s ({:.0} steps/s); eval return {:.2} ± {:.2} (best {:.2}); {} parameters",
        summary.iterations,
        summary.env_steps,
        summary.wall_time_s,
        summary.env_steps_per_s,
        summary.final_eval_return,
        summary.final_eval_return_std,
        summary.best_eval_return,
        summary.n_params
    );
    let mut files: Vec<String> = std::fs::read_dir(&prepared.ctx.dir).map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default();
    files.sort();
    println!("wrote {}/{{{}}}", prepared.ctx.dir.display(), files.join(", "));
    Ok(())
}
