//! PPO end to end: it improves NCAP and an MLP on a short swimmer run, reproduces a run bit for
//! bit, and refuses what it cannot do.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use agents::run::evaluate;
use agents::{learners, RunSpec, TrainContext};

fn start(policy: &str, steps: u64, agent: &str, dir: &std::path::Path) -> Result<learners::Prepared, agents::AgentError> {
    let run = RunSpec { env: "Swimmer6-v0".into(), policy: policy.into(), agent: "ppo".into(), steps, seed: 3 };
    learners::start(run, Default::default(), Default::default(), Some(&agent.parse().unwrap()), dir, Arc::new(AtomicBool::new(false)))
}

/// The deterministic initial policy's eval return: NCAP's prior weights, or an MLP whose
/// mean sits near the middle of the action box (the swimmer barely moves).
fn initial_eval(ctx: &TrainContext) -> f64 {
    let env = ctx.make_env().unwrap();
    let policy = ctx.make_policy(env.spec()).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let params = policy.parameters().unwrap().to_vec();
    let params = if ctx.run.policy == "mlp" { vec![0.0; params.len()] } else { params };
    evaluate::parallel(&pool, ctx, &params, &[], 3).unwrap().0
}

/// Evaluated once, at the end: the interval is the budget's iteration count (6 and 10 here; a
/// longer interval than the budget is refused).
const SMALL: &str = "eval_episodes = 3\neval_interval = 6";
const SMALL_10: &str = "eval_episodes = 3\neval_interval = 10";

#[test]
fn ppo_improves_ncap_on_a_short_swimmer_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = start("ncap", 12_288, SMALL, &dir.path().join("run")).unwrap();
    let before = initial_eval(&p.ctx);
    let s = learners::train(&p, |_| {}).unwrap();
    assert_eq!((s.iterations, s.env_steps), (6, 12_288));
    assert!(s.final_eval_return > before + 10.0, "NCAP: {before:.1} → {:.1}", s.final_eval_return);
}

#[test]
fn ppo_improves_an_mlp_on_a_short_swimmer_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = start("mlp", 20_480, SMALL_10, &dir.path().join("run")).unwrap();
    let before = initial_eval(&p.ctx);
    let s = learners::train(&p, |_| {}).unwrap();
    assert!(s.final_eval_return > before + 100.0, "MLP: {before:.1} → {:.1}", s.final_eval_return);
    // The saved policy (MLP plus the observation normaliser) evaluates as it did in training.
    let file = dir.path().join("run").join("policy.safetensors");
    let header = agents::run::checkpoint::PolicyHeader { env: "Swimmer6-v0".into(), policy: "mlp".into(), n_params: s.n_params };
    let loaded = agents::run::checkpoint::load_policy(&file, &header).unwrap();
    assert_eq!(loaded.buffers.iter().map(|b| b.0.as_str()).collect::<Vec<_>>(), ["obs_clip", "obs_mean", "obs_std"]);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let buffers: Vec<(&str, Vec<f32>)> = loaded.buffers.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    let again = evaluate::parallel(&pool, &p.ctx, &loaded.params, &buffers, 3).unwrap().0;
    assert_eq!(again, s.final_eval_return);
}

#[test]
fn the_same_seed_gives_the_same_training_curve() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = "num_envs = 4\nnum_steps = 128\nnum_minibatches = 8\nupdate_epochs = 2\neval_episodes = 1\neval_interval = 2";
    let metrics = |name: &str| {
        let p = start("mlp", 2048, cfg, &dir.path().join(name)).unwrap();
        learners::train(&p, |_| {}).unwrap();
        common::curve_without_wall_time(&dir.path().join(name))
    };
    assert_eq!(metrics("a"), metrics("b"));
}

#[test]
fn ppo_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let err = start("travelling-wave", 1000, SMALL, &dir.path().join("a")).unwrap_err().to_string();
    assert!(err.contains("train `mlp` and `ncap` policies"), "{err}");
    let err = start("mlp", 1000, "num_minibatches = 7", &dir.path().join("b")).unwrap_err().to_string();
    assert!(err.contains("a divisor of the batch"), "{err}");
    // Two iterations of 2048 steps cannot hold an evaluation every 5.
    let err = start("mlp", 4096, "eval_interval = 5", &dir.path().join("c")).unwrap_err().to_string();
    assert!(err.contains("eval_interval = 5 iterations > the budget's 2"), "{err}");
}

/// A `Discrete` action space gets a categorical policy: on the permanently excited motor's
/// finite current task (four switching states at 100 kHz, the rotor held at 100 rad/s), PPO's
/// first, near-uniform switching drives the current past its limit within a few steps (−1 per
/// step left of 1000), and within 100k steps it learns to track the current reference, far
/// better than holding the zero vector. Its evaluation acts by the largest logit; a rerun
/// retraces the curve.
#[test]
fn ppo_learns_to_switch_a_converter() {
    let dir = tempfile::tempdir().unwrap();
    let env: toml::Table = "gamma = 0.99\nmax_episode_steps = 1000\nviolation_reward = \"time_limit\"".parse().unwrap();
    let run = |out: &std::path::Path| {
        let spec = RunSpec { env: "DcPermExCurrentFinite-v0".into(), policy: "mlp".into(), agent: "ppo".into(), steps: 100_000, seed: 0 };
        let prepared = learners::start(spec, env.clone(), Default::default(), Some(&"eval_episodes = 5".parse().unwrap()), out, Arc::new(AtomicBool::new(false))).unwrap();
        learners::train(&prepared, |_| {}).unwrap()
    };
    let summary = run(&dir.path().join("a"));
    let mut venv = envs::make_with("DcPermExCurrentFinite-v0", Some(&env)).unwrap();
    let mut baseline = |name: &str| {
        let mut policy = controllers::make(name, venv.spec(), None).unwrap();
        (0..5).map(|seed| controllers::run_episode(venv.as_mut(), policy.as_mut(), seed, |_| {}).unwrap().episode_return).sum::<f64>() / 5.0
    };
    let (zero, random) = (baseline("zero"), baseline("random"));
    assert!(random < -900.0, "uniform random switching: {random}");
    assert!(summary.final_eval_return > -100.0 && summary.final_eval_return > zero + 100.0, "PPO {}, zero vector {zero}, random {random}", summary.final_eval_return);
    let again = run(&dir.path().join("b"));
    assert_eq!(common::curve_without_wall_time(&dir.path().join("a")), common::curve_without_wall_time(&dir.path().join("b")));
    assert_eq!(summary.final_eval_return, again.final_eval_return);
}
