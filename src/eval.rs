use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli_error::read_toml_table;
use crate::CliError;

#[derive(Args)]
pub struct EvalArgs {
    /// Env id, e.g. Swimmer6-v0 (see `nerve list`).
    #[arg(long)]
    env: String,
    /// Controller name, e.g. ncap (see `nerve list`).
    #[arg(long)]
    controller: String,
    /// Number of episodes; episode k uses seed S + k.
    #[arg(long, default_value_t = 5)]
    episodes: u64,
    /// First seed S.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// TOML file overriding the env's configuration (unknown keys are errors).
    #[arg(long)]
    env_config: Option<PathBuf>,
    /// TOML file with the controller's options (unknown keys are errors).
    #[arg(long)]
    controller_config: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: EvalArgs) -> Result<(), CliError> {
    if args.episodes == 0 {
        return Err(CliError("--episodes 0: expected at least 1 episode".into()));
    }
    let env_config = args.env_config.as_deref().map(read_toml_table).transpose()?;
    let ctrl_config = args.controller_config.as_deref().map(read_toml_table).transpose()?;
    let mut env = envs::make_with(&args.env, env_config.as_ref())?;
    let mut policy = controllers::make(&args.controller, env.spec(), ctrl_config.as_ref())?;
    let max_steps = env.spec().max_episode_steps.unwrap_or(1000) as u64;

    let bar = ProgressBar::new(args.episodes * max_steps);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} steps, {per_sec}, eta {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("{} · {}", args.env, args.controller));

    let mut episodes = Vec::new();
    let mut steps = 0usize;
    let start = Instant::now();
    for k in 0..args.episodes {
        let seed = args.seed + k;
        let ep = controllers::run_episode(env.as_mut(), policy.as_mut(), seed, |_| bar.inc(1))?;
        steps += ep.length;
        episodes.push(ep);
    }
    let elapsed = start.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let returns: Vec<f64> = episodes.iter().map(|e| e.episode_return).collect();
    let (mean, std) = mean_std(&returns);
    let steps_per_sec = steps as f64 / elapsed;
    if args.json {
        let eps: Vec<_> = episodes
            .iter()
            .map(|e| {
                serde_json::json!({"seed": e.seed, "return": e.episode_return, "length": e.length,
                    "terminated": e.terminated, "truncation_reason": e.truncation_reason})
            })
            .collect();
        let out = serde_json::json!({
            "system": "nerve", "env": args.env, "controller": policy.name(), "episodes": eps,
            "mean": mean, "std": std, "steps_per_sec": steps_per_sec,
        });
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    println!("{} · {} · {} episodes from seed {}", args.env, policy.name(), args.episodes, args.seed);
    println!("{:>8} {:>6} {:>10} {:>7}  end", "episode", "seed", "return", "length");
    for (k, e) in episodes.iter().enumerate() {
        let end = if e.terminated { "terminated".to_string() } else { e.truncation_reason.clone().unwrap_or_default() };
        println!("{:>8} {:>6} {:>10.2} {:>7}  {}", k, e.seed, e.episode_return, e.length, end);
    }
    println!("return: {mean:.2} ± {std:.2} (mean ± sample std over {} episodes)", returns.len());
    println!("speed:  {steps_per_sec:.0} env steps/s (one thread, controller included)");
    Ok(())
}

/// Mean and sample standard deviation (n − 1; 0 for a single value).
pub fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = if x.len() > 1 { x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (mean, var.sqrt())
}
