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
    /// Train several seeds of the same configuration in one process (e.g. 0,1,2,3,4), each in a
    /// run directory of its own (`--out DIR` → DIR/seedS), each exactly the run that seed alone
    /// would give.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["seed", "resume"])]
    seeds: Option<Vec<u64>>,
    /// With --seeds: how many seeds train at a time (default: all cores).
    #[arg(long, requires = "seeds")]
    jobs: Option<usize>,
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
            let mut runs = prepare_new(&args, &stop)?;
            if args.seeds.is_some() {
                return train_seeds(runs, args.jobs);
            }
            runs.pop().expect("one run")
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

/// The new runs `args` asks for (one per seed of `--seeds`, else one), their directories
/// created and `config.toml` written only once every run's config and directory checks out.
fn prepare_new(args: &TrainArgs, stop: &Arc<AtomicBool>) -> Result<Vec<learners::Prepared>, CliError> {
    let (env, policy, agent) = (args.env.clone().unwrap_or_default(), args.policy.clone().unwrap_or_default(), args.agent.clone().unwrap_or_default());
    if !AGENTS.iter().any(|a| a.0 == agent) {
        let valid: Vec<&str> = AGENTS.iter().map(|a| a.0).collect();
        return Err(CliError(format!("unknown agent `{agent}`; available: {}", valid.join(", "))));
    }
    let seeds = args.seeds.clone().unwrap_or_else(|| vec![args.seed]);
    if seeds.is_empty() {
        return Err(CliError("--seeds: expected at least one seed, e.g. --seeds 0,1,2".into()));
    }
    if let Some(s) = seeds.iter().enumerate().find_map(|(i, s)| seeds[..i].contains(s).then_some(*s)) {
        return Err(CliError(format!("--seeds: seed {s} is listed twice")));
    }
    let template = RunSpec { env, policy, agent, steps: args.steps.unwrap_or(100_000), seed: seeds[0] };
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
        return Err(CliError(format!("{}: unknown table `{key}`; expected [env], [policy] and [agent]", args.config.as_ref().expect("read").display())));
    }
    let preset = agents::presets::select(&template.agent, &template.env, &args.preset)?;
    let record = preset.map(|p| {
        agent_t = agents::presets::layer(&p.agent, &agent_t);
        if template.policy == "mlp" {
            policy_t = agents::presets::layer(&p.policy, &policy_t);
        }
        println!("preset {}/{}: {} (`--preset none` for the bare defaults)", template.agent, p.name, p.source);
        agents::presets::PresetRecord { name: format!("{}/{}", template.agent, p.name), source: p.source }
    });
    let runs: Vec<(RunSpec, PathBuf)> = seeds
        .iter()
        .map(|&seed| {
            let run = RunSpec { seed, ..template.clone() };
            let dir = match (&args.out, &args.seeds) {
                (Some(out), Some(_)) => out.join(format!("seed{seed}")),
                (Some(out), None) => out.clone(),
                (None, _) => default_dir(&run),
            };
            (run, dir)
        })
        .collect();
    // Every directory is checked before any is made; the config, the same for every seed, is
    // checked by the first `start_with` before it writes anything.
    for (_, dir) in &runs {
        learners::check_new_dir(dir)?;
    }
    let mut prepared = Vec::with_capacity(runs.len());
    for (run, dir) in runs {
        let options = learners::StartOptions { preset: record.clone(), check_budget: true };
        prepared.push(learners::start_with(run, env_t.clone(), policy_t.clone(), Some(&agent_t), &dir, Arc::clone(stop), options)?);
    }
    Ok(prepared)
}

/// `--seeds`: trains the prepared runs `jobs` at a time, a progress bar each, then a table.
fn train_seeds(prepared: Vec<learners::Prepared>, jobs: Option<usize>) -> Result<(), CliError> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let jobs = jobs.unwrap_or(cores).max(1);
    let first = &prepared[0].ctx;
    let seeds: Vec<String> = prepared.iter().map(|p| p.ctx.run.seed.to_string()).collect();
    println!(
        "training {} · {} · {} · seeds {} for {} env steps each, {jobs} at a time → {}",
        first.run.env,
        first.run.policy,
        first.run.agent,
        seeds.join(","),
        first.run.steps,
        prepared.iter().map(|p| p.ctx.dir.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    let config_text = std::fs::read_to_string(first.dir.join("config.toml"))?;
    println!("{}", config_text.trim_end());
    let bars = indicatif::MultiProgress::new();
    let style = ProgressStyle::with_template("seed {prefix:>3} [{bar:30}] {human_pos}/{human_len} steps, {per_sec}, eta {eta} · {msg}").expect("static template").progress_chars("=> ");
    let bar: Vec<ProgressBar> = prepared
        .iter()
        .map(|p| {
            let b = bars.add(ProgressBar::new(p.ctx.run.steps));
            b.set_style(style.clone());
            b.set_prefix(p.ctx.run.seed.to_string());
            b
        })
        .collect();
    let start = std::time::Instant::now();
    let results = learners::train_many(&prepared, jobs, |k, p| {
        bar[k].set_position(p.env_steps.min(prepared[k].ctx.run.steps));
        let eval = p.eval_return.map(|e| format!(", eval {e:.1}")).unwrap_or_default();
        bar[k].set_message(format!("return {:.1}{eval}", p.recent_return));
    });
    let wall = start.elapsed().as_secs_f64();
    for b in &bar {
        b.finish_and_clear();
    }
    println!("| seed | env steps | eval return | best | wall s | steps/s |");
    println!("|---|---|---|---|---|---|");
    let mut finals = Vec::new();
    let mut first_error = None;
    for (p, r) in prepared.iter().zip(results) {
        match r {
            Ok(s) => {
                println!("| {} | {} | {:.2} ± {:.2} | {:.2} | {:.1} | {:.0} |", p.ctx.run.seed, s.env_steps, s.final_eval_return, s.final_eval_return_std, s.best_eval_return, s.wall_time_s, s.env_steps_per_s);
                finals.push(s.final_eval_return);
            }
            Err(e) => {
                println!("| {} | failed: {e} | | | | |", p.ctx.run.seed);
                first_error.get_or_insert(e);
            }
        }
    }
    if !finals.is_empty() {
        let mean = finals.iter().sum::<f64>() / finals.len() as f64;
        let sd = (finals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (finals.len() as f64 - 1.0).max(1.0)).sqrt();
        println!("{} seeds in {wall:.1} s: eval return {mean:.2} ± {sd:.2} (mean ± std over seeds)", finals.len());
    }
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
