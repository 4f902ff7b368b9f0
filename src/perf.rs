use std::time::Instant;

use clap::Args;
use envs::{AutoresetMode, Info, VecEnv};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;

use crate::CliError;

#[derive(Args)]
pub struct PerfArgs {
    /// Env id to measure.
    #[arg(long, default_value = "Swimmer6-v0")]
    env: String,
    /// Env steps to time per measurement (after a warm-up of a tenth as many).
    #[arg(long, default_value_t = 20_000)]
    steps: usize,
    /// Envs in the VecEnv (default: 4 per core).
    #[arg(long)]
    num_envs: Option<usize>,
    /// Threads for the VecEnv (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Time PPO's update phase instead (10 epochs × 32 minibatches over a synthetic batch of
    /// 8 × 256 samples of this env's shapes, 64×64 networks), for comparison with other libraries.
    #[arg(long)]
    ppo_update: bool,
    /// Timed repetitions of the PPO update (after one warm-up).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: PerfArgs) -> Result<(), CliError> {
    if args.ppo_update {
        return ppo_update(&args);
    }
    if args.steps == 0 {
        return Err(CliError("--steps 0: expected at least 1 step".into()));
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = args.threads.unwrap_or(cores).max(1);
    let num_envs = args.num_envs.unwrap_or(4 * threads).max(1);
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; measure with `cargo run --release -- perf`");
    }

    let single = single_env(&args.env, args.steps)?;
    let vec1 = vec_env(&args.env, num_envs, 1, args.steps)?;
    let vec_all = vec_env(&args.env, num_envs, threads, args.steps)?;
    if args.json {
        let out = serde_json::json!({
            "env": args.env, "cores": cores, "single_env_steps_per_sec": single,
            "vec_env": {"num_envs": num_envs, "threads": threads, "steps_per_sec": vec_all},
            "vec_env_one_thread_steps_per_sec": vec1,
        });
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    println!("{} on {} core(s), {} timed steps per line, random actions", args.env, cores, args.steps);
    let line = |label: String, sps: f64, note: String| println!("  {label:<28} {sps:>10.0} env steps/s{note}");
    line("one env, one thread".into(), single, String::new());
    line(format!("VecEnv ×{num_envs}, one thread"), vec1, String::new());
    line(format!("VecEnv ×{num_envs}, {threads} threads"), vec_all, format!("  ({:.2}× one env)", vec_all / single));
    Ok(())
}

/// Random actions, drawn ahead of time so the timing is the env's alone.
fn random_actions(spec: &envs::EnvSpec, count: usize) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let a = spec.act_dim();
    let mut actions = vec![0.0; count * a];
    if let Some(b) = spec.action_space.as_box() {
        for chunk in actions.chunks_mut(a) {
            b.sample_into(&mut rng, chunk);
        }
    }
    actions
}

fn single_env(id: &str, steps: usize) -> Result<f64, CliError> {
    let mut env = envs::make(id)?;
    let spec = env.spec().clone();
    let pool = 1000.min(steps);
    let actions = random_actions(&spec, pool);
    let mut obs = vec![0.0; spec.obs_dim()];
    let mut info = Info::default();
    let mut run = |n: usize| -> Result<f64, CliError> {
        env.reset(Some(0), &mut obs, &mut info)?;
        let start = Instant::now();
        for k in 0..n {
            let a = &actions[(k % pool) * spec.act_dim()..][..spec.act_dim()];
            if env.step(a, &mut obs, &mut info)?.done() {
                env.reset(None, &mut obs, &mut info)?;
            }
        }
        Ok(n as f64 / start.elapsed().as_secs_f64())
    };
    run(steps / 10 + 1)?;
    run(steps)
}

fn vec_env(id: &str, num_envs: usize, threads: usize, steps: usize) -> Result<f64, CliError> {
    let mut venv = VecEnv::make(id, num_envs, None, AutoresetMode::SameStep)?.with_threads(threads)?;
    let spec = venv.spec().clone();
    let batches = (steps / num_envs).max(1);
    let pool = 200.min(batches);
    let actions = random_actions(&spec, pool * num_envs);
    let chunk = num_envs * spec.act_dim();
    let mut run = |n: usize| -> Result<f64, CliError> {
        venv.reset(Some(0))?;
        let start = Instant::now();
        for k in 0..n {
            venv.step(&actions[(k % pool) * chunk..][..chunk])?;
        }
        Ok((n * num_envs) as f64 / start.elapsed().as_secs_f64())
    };
    run(batches / 10 + 1)?;
    run(batches)
}

fn ppo_update(args: &PerfArgs) -> Result<(), CliError> {
    if args.repeats == 0 {
        return Err(CliError("--repeats 0: expected at least 1".into()));
    }
    let spec = envs::make(&args.env)?.spec().clone();
    let cfg = agents::learners::ppo::PpoConfig::default();
    let mut times = agents::learners::ppo::time_update_phase(&spec, &cfg, args.repeats)?;
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    let batch = cfg.num_envs * cfg.num_steps;
    if args.json {
        let out = serde_json::json!({
            "system": "nerve", "env": args.env, "batch": batch, "minibatch": batch / cfg.num_minibatches,
            "epochs": cfg.update_epochs, "update_seconds": times, "best_s": best, "median_s": median,
            "threads": std::env::var("RAYON_NUM_THREADS").unwrap_or_default(),
        });
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    println!(
        "PPO update phase on {}: batch {batch}, {} epochs × {} minibatches, 64×64 networks: best {:.3} s, median {:.3} s over {} runs",
        args.env, cfg.update_epochs, cfg.num_minibatches, best, median, times.len()
    );
    Ok(())
}
