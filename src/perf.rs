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
    /// Time SAC's update step instead (batch 256 from a replay buffer of random transitions of
    /// Pendulum-v1's shapes, `--hidden` networks), for comparison with Stable-Baselines3.
    #[arg(long, conflicts_with_all = ["ppo_update", "td3_update"])]
    sac_update: bool,
    /// Time TD3's update step instead (as `--sac-update`).
    #[arg(long, conflicts_with = "ppo_update")]
    td3_update: bool,
    /// Hidden widths of the actor and critics for `--sac-update` / `--td3-update`.
    #[arg(long, value_delimiter = ',', default_values_t = [256, 256])]
    hidden: Vec<usize>,
    /// Observation and action widths for `--sac-update` / `--td3-update` (Pendulum-v1's: 3, 1).
    #[arg(long, value_delimiter = ',', default_values_t = [3, 1])]
    dims: Vec<usize>,
    /// Updates per timed repetition of `--sac-update` / `--td3-update`.
    #[arg(long, default_value_t = 500)]
    updates: usize,
    /// Measure this core's f32 matmul rate instead (1024×1024×1024, one thread, the kernels the
    /// off-policy networks call): the peak an update's FLOP rate is compared with.
    #[arg(long)]
    matmul: bool,
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
    if args.matmul {
        return matmul_peak(&args);
    }
    if args.sac_update || args.td3_update {
        return off_policy_update(&args);
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

/// `--sac-update` / `--td3-update`: seconds per update step (best and median of the repeats).
fn off_policy_update(args: &PerfArgs) -> Result<(), CliError> {
    let [d, a] = args.dims[..] else {
        return Err(CliError(format!("--dims {:?}: expected two widths, observation and action (e.g. 3,1)", args.dims)));
    };
    if d == 0 || a == 0 || args.hidden.is_empty() || args.hidden.contains(&0) {
        return Err(CliError(format!("--dims {d},{a} --hidden {:?}: expected widths ≥ 1", args.hidden)));
    }
    let flops_before = agents::nets::dense::matmul_flops();
    let (agent, mut times, batch) = if args.sac_update {
        let cfg = agents::learners::sac::SacConfig::default();
        ("sac", agents::learners::sac::time_updates(d, a, &args.hidden, &cfg, args.updates, args.repeats)?, cfg.batch_size)
    } else {
        let cfg = agents::learners::td3::Td3Config::default();
        ("td3", agents::learners::td3::time_updates(d, a, &args.hidden, &cfg, args.updates, args.repeats)?, cfg.batch_size)
    };
    // Every update of the warm-up and the repeats ran the same matmuls.
    let flops = (agents::nets::dense::matmul_flops() - flops_before) as f64 / ((args.repeats + 1) * args.updates) as f64;
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    if args.json {
        let out = serde_json::json!({
            "flops_per_update": flops, "gflops_per_s": flops / best / 1e9,
            "system": "nerve", "agent": agent, "obs_dim": d, "act_dim": a, "hidden": args.hidden, "batch": batch,
            "updates": args.updates, "update_seconds": times, "best_s": best, "median_s": median,
        });
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    println!(
        "{} update step, {d}-D observations, {a}-D actions, batch {batch}, {:?} networks: best {:.1} µs, median {:.1} µs over {} × {} updates; {:.1} MFLOP of matmul per update, {:.1} GFLOP/s",
        agent.to_uppercase(), args.hidden, best * 1e6, median * 1e6, times.len(), args.updates, flops / 1e6, flops / best / 1e9
    );
    Ok(())
}

/// `--matmul`: the single-thread f32 rate of a 1024³ product (best of the repeats).
fn matmul_peak(args: &PerfArgs) -> Result<(), CliError> {
    let n = 1024;
    let best = matmul_seconds(n, n, n, 1, args.repeats.max(1));
    let gflops = 2.0 * (n * n * n) as f64 / best / 1e9;
    // The shapes of an off-policy update at batch 256: hidden layers of 256 and 64, and the thin
    // input (4 features) and critic output (1) layers.
    let shapes: Vec<(String, f64)> = [(256, 256, 256), (256, 64, 64), (256, 256, 4), (256, 1, 256)]
        .iter()
        .map(|&(m, nn, k)| {
            let reps = (2e8 / (2 * m * nn * k) as f64).ceil() as usize;
            (format!("{m}×{nn}×{k}"), 2.0 * (m * nn * k) as f64 / matmul_seconds(m, nn, k, reps, 5) / 1e9)
        })
        .collect();
    if args.json {
        let shapes: serde_json::Map<String, serde_json::Value> = shapes.into_iter().map(|(label, g)| (label, g.into())).collect();
        println!("{}", serde_json::to_string(&serde_json::json!({"system": "nerve", "matmul_n": n, "best_s": best, "gflops_per_s": gflops, "shapes_gflops_per_s": shapes}))?);
    } else {
        for (label, g) in &shapes {
            println!("f32 matmul {label}, one thread: {g:.1} GFLOP/s");
        }
        println!("f32 matmul {n}×{n}×{n}, one thread: best {:.2} ms, {gflops:.1} GFLOP/s", best * 1e3);
    }
    Ok(())
}

/// Seconds per `m×n×k` f32 matmul on one thread: the best of `timings` timings of `reps`
/// products each, after one untimed product.
fn matmul_seconds(m: usize, n: usize, k: usize, reps: usize, timings: usize) -> f64 {
    let (x, y) = (vec![0.5_f32; m * k], vec![0.25_f32; k * n]);
    let mut z = vec![0.0_f32; m * n];
    agents::nets::dense::matmul_f32(m, n, k, &mut z, &x, &y);
    let mut best = f64::INFINITY;
    for _ in 0..timings {
        let start = Instant::now();
        for _ in 0..reps {
            agents::nets::dense::matmul_f32(m, n, k, &mut z, &x, &y);
        }
        best = best.min(start.elapsed().as_secs_f64() / reps as f64);
    }
    best
}
