//! The evolution strategies end to end: they improve NCAP (and ES an MLP) on a short swimmer
//! run, resume exactly, and refuse bad input.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use agents::run::checkpoint::{load_policy, PolicyHeader};
use agents::learners::{self, AgentConfig};
use agents::run::evaluate;
use agents::{RunSpec, TrainContext};

fn agent_table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

fn run_spec(policy: &str, steps: u64) -> RunSpec {
    agent_run("es", policy, steps)
}

fn agent_run(agent: &str, policy: &str, steps: u64) -> RunSpec {
    RunSpec { env: "Swimmer6-v0".into(), policy: policy.into(), agent: agent.into(), steps, seed: 7 }
}

/// Eval return of the policy's initial parameters, on the learner's held-out seeds.
fn initial_eval(ctx: &TrainContext, episodes: usize) -> f64 {
    let env = ctx.make_env().unwrap();
    let policy = ctx.make_policy(env.spec()).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    evaluate::parallel(&pool, ctx, policy.parameters().unwrap(), &[], episodes).unwrap().0
}

const SMALL: &str = "population_pairs = 8\neval_episodes = 3";

#[test]
fn es_improves_ncap_on_a_short_swimmer_run() {
    let dir = tempfile::tempdir().unwrap();
    let prepared = learners::start(run_spec("ncap", 48_000), Default::default(), Default::default(), Some(&agent_table(SMALL)), &dir.path().join("run"), Arc::new(AtomicBool::new(false))).unwrap();
    let before = initial_eval(&prepared.ctx, 3);
    let summary = learners::train(&prepared, |_| {}).unwrap();
    assert!(summary.completed && summary.iterations == 3 && summary.n_params == 4);
    assert!(summary.final_eval_return > before + 5.0, "NCAP: {before:.1} → {:.1}", summary.final_eval_return);
    for file in ["config.toml", "metrics.csv", "summary.json", "policy.safetensors", "checkpoint.safetensors", "learning_curve.png", "learning_curve.svg"] {
        assert!(dir.path().join("run").join(file).exists(), "{file}");
    }
}

#[test]
fn es_improves_an_mlp_on_a_short_swimmer_run() {
    let dir = tempfile::tempdir().unwrap();
    let prepared = learners::start(run_spec("mlp", 64_000), Default::default(), Default::default(), Some(&agent_table(SMALL)), &dir.path().join("run"), Arc::new(AtomicBool::new(false))).unwrap();
    let before = initial_eval(&prepared.ctx, 3);
    let summary = learners::train(&prepared, |_| {}).unwrap();
    assert!(summary.n_params > 5000);
    assert!(summary.final_eval_return > before + 30.0, "MLP: {before:.1} → {:.1}", summary.final_eval_return);
}

/// `agent` trained for 3 iterations of `steps_per_iteration` in one go, and interrupted after 2
/// then resumed, writes the same metrics (but wall time) and the same policy.
fn resumed_run_retraces_the_uninterrupted_one(agent: &str, table: &str, steps_per_iteration: u64) {
    let dir = tempfile::tempdir().unwrap();
    let stop = || Arc::new(AtomicBool::new(false));
    let table = agent_table(table);
    let whole = dir.path().join("whole");
    let split = dir.path().join("split");
    let p = learners::start(agent_run(agent, "ncap", 3 * steps_per_iteration), Default::default(), Default::default(), Some(&table), &whole, stop()).unwrap();
    learners::train(&p, |_| {}).unwrap();
    let p = learners::start(agent_run(agent, "ncap", 2 * steps_per_iteration), Default::default(), Default::default(), Some(&table), &split, stop()).unwrap();
    let first = learners::train(&p, |_| {}).unwrap();
    assert_eq!(first.iterations, 2);
    let p = learners::resume(&split, Some(3 * steps_per_iteration), stop()).unwrap();
    let resumed = learners::train(&p, |_| {}).unwrap();
    assert_eq!(resumed.iterations, 3);
    assert_eq!(common::curve_without_wall_time(&whole), common::curve_without_wall_time(&split), "{agent}");
    let header = PolicyHeader { env: "Swimmer6-v0".into(), policy: "ncap".into(), n_params: 4 };
    assert_eq!(load_policy(&whole.join("policy.safetensors"), &header).unwrap(), load_policy(&split.join("policy.safetensors"), &header).unwrap());
}

#[test]
fn a_resumed_es_run_retraces_the_uninterrupted_one() {
    resumed_run_retraces_the_uninterrupted_one("es", "population_pairs = 4\neval_episodes = 2", 8_000);
}

#[test]
fn a_resumed_cmaes_run_retraces_the_uninterrupted_one() {
    resumed_run_retraces_the_uninterrupted_one("cmaes", "population_size = 6\neval_episodes = 2", 6_000);
}

#[test]
fn cmaes_improves_ncap_on_a_short_swimmer_run() {
    let dir = tempfile::tempdir().unwrap();
    let prepared = learners::start(agent_run("cmaes", "ncap", 40_000), Default::default(), Default::default(), Some(&agent_table("eval_episodes = 3")), &dir.path().join("run"), Arc::new(AtomicBool::new(false))).unwrap();
    let before = initial_eval(&prepared.ctx, 3);
    let summary = learners::train(&prepared, |_| {}).unwrap();
    assert_eq!(summary.iterations, 5, "λ = 4 + ⌊3 ln 4⌋ = 8 candidates of 1000 steps per generation");
    assert!(summary.final_eval_return > before + 20.0, "NCAP: {before:.1} → {:.1}", summary.final_eval_return);
}

#[test]
fn cmaes_refuses_a_large_mlp_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let stop = || Arc::new(AtomicBool::new(false));
    let err = learners::start(agent_run("cmaes", "mlp", 1000), Default::default(), Default::default(), None, &dir.path().join("a"), stop()).unwrap_err().to_string();
    assert!(err.contains("6021×6021 covariance") && err.contains("allow_large"), "{err}");
    assert!(!dir.path().join("a").exists());
    let small: toml::Table = "hidden = [4]".parse().unwrap();
    assert!(learners::start(agent_run("cmaes", "mlp", 1000), Default::default(), small, None, &dir.path().join("b"), stop()).is_ok(), "a 4-unit MLP is small enough");
    let big = agent_table("allow_large = true\npopulation_size = 2\neval_episodes = 1");
    assert!(learners::start(agent_run("cmaes", "mlp", 1000), Default::default(), Default::default(), Some(&big), &dir.path().join("c"), stop()).is_ok());
}

#[test]
fn a_stop_request_leaves_a_resumable_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let p = learners::start(run_spec("ncap", 1_000_000), Default::default(), Default::default(), Some(&agent_table("population_pairs = 2\neval_episodes = 1")), &dir.path().join("run"), Arc::clone(&stop)).unwrap();
    let summary = learners::train(&p, |progress| {
        if progress.iteration == 2 {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    })
    .unwrap();
    assert!(!summary.completed);
    assert_eq!(summary.iterations, 2);
    let p = learners::resume(&dir.path().join("run"), Some(12_000), Arc::new(AtomicBool::new(false))).unwrap();
    assert_eq!(learners::train(&p, |_| {}).unwrap().iterations, 3);
}

#[test]
fn bad_input_is_refused_with_a_reason_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let stop = || Arc::new(AtomicBool::new(false));
    let run_dir = dir.path().join("run");
    let p = learners::start(run_spec("ncap", 4_000), Default::default(), Default::default(), Some(&agent_table("population_pairs = 2\neval_episodes = 1")), &run_dir, stop()).unwrap();
    learners::train(&p, |_| {}).unwrap();
    let before = std::fs::read(run_dir.join("policy.safetensors")).unwrap();

    let err = learners::start(run_spec("ncap", 4_000), Default::default(), Default::default(), None, &run_dir, stop()).unwrap_err().to_string();
    assert!(err.contains("already exists") && err.contains("--resume"), "{err}");
    assert_eq!(std::fs::read(run_dir.join("policy.safetensors")).unwrap(), before);

    let err = learners::start(run_spec("zero", 4_000), Default::default(), Default::default(), None, &dir.path().join("z"), stop()).unwrap_err().to_string();
    assert!(err.contains("`zero` has none"), "{err}");
    assert!(!dir.path().join("z").exists(), "nothing written for a refused run");
    let err = AgentConfig::parse("es", Some(&agent_table("sigm = 0.1"))).unwrap_err().to_string();
    assert!(err.contains("unknown field `sigm`") && err.contains("sigma"), "{err}");
    let err = AgentConfig::parse("es", Some(&agent_table("sigma = -1.0"))).unwrap_err().to_string();
    assert!(err.contains("`sigma` = -1"), "{err}");
    let err = AgentConfig::parse("ppo2", None).unwrap_err().to_string();
    assert!(err.contains("unknown agent `ppo2`"), "{err}");

    // A checkpoint for another env or architecture, and a corrupt file.
    let header = PolicyHeader { env: "Swimmer5-v0".into(), policy: "ncap".into(), n_params: 4 };
    let err = load_policy(&run_dir.join("policy.safetensors"), &header).unwrap_err().to_string();
    assert!(err.contains("trained on Swimmer6-v0, not Swimmer5-v0"), "{err}");
    let header = PolicyHeader { env: "Swimmer6-v0".into(), policy: "ncap".into(), n_params: 15 };
    let err = load_policy(&run_dir.join("policy.safetensors"), &header).unwrap_err().to_string();
    assert!(err.contains("architecture differs"), "{err}");
    let truncated = dir.path().join("truncated.safetensors");
    std::fs::write(&truncated, &before[..before.len() - 3]).unwrap();
    let header = PolicyHeader { env: "Swimmer6-v0".into(), policy: "ncap".into(), n_params: 4 };
    let err = load_policy(&truncated, &header).unwrap_err().to_string();
    assert!(err.contains("truncated or corrupt"), "{err}");
    std::fs::write(&truncated, b"not a safetensors file at all").unwrap();
    assert!(load_policy(&truncated, &header).unwrap_err().to_string().contains("truncated or corrupt"));

    let err = learners::resume(&dir.path().join("nowhere"), None, stop()).unwrap_err().to_string();
    assert!(err.contains("config.toml"), "{err}");
}

#[test]
fn a_critic_of_width_zero_is_refused_for_every_gradient_learner() {
    for (agent, key) in [("sac", "hidden"), ("td3", "hidden"), ("ddpg", "hidden"), ("ppo", "critic_hidden")] {
        let err = AgentConfig::parse(agent, Some(&agent_table(&format!("{key} = [0]")))).unwrap_err().to_string();
        assert!(err.contains(&format!("agent `{agent}`")) && err.contains(&format!("`{key}`")) && err.contains("width 0"), "{err}");
        let err = AgentConfig::parse(agent, Some(&agent_table(&format!("{key} = [64, 0, 64]")))).unwrap_err().to_string();
        assert!(err.contains("width 0"), "{err}");
    }
}

/// The linear policy (a policy kind added as one file and one registry entry) trains with ES
/// on Pendulum from zero gains and improves on them.
#[test]
fn es_trains_a_linear_policy() {
    // A linear state feedback is what the blimp's altitude loop needs (a PD law is one), so ES
    // must find one from zero gains: those leave the blimp sinking, about −5400 per episode.
    let dir = tempfile::tempdir().unwrap();
    let run = RunSpec { env: "BlimpAltitude-v0".into(), policy: "linear".into(), agent: "es".into(), steps: 300_000, seed: 1 };
    let p = learners::start(run, Default::default(), Default::default(), Some(&agent_table("population_pairs = 8\nsigma = 0.5\nlearning_rate = 0.1\neval_episodes = 4\neval_interval = 1")), &dir.path().join("run"), Arc::new(AtomicBool::new(false))).unwrap();
    let s = learners::train(&p, |_| {}).unwrap();
    assert_eq!(s.n_params, 5, "W (1×4) and b");
    let (header, rows) = agents::run::metrics::read_metrics(&dir.path().join("run/metrics.csv")).unwrap();
    let eval = header.iter().position(|h| h == "eval_return").unwrap();
    assert!(rows[0][eval] < -4000.0, "the first generation is still near zero gains: {}", rows[0][eval]);
    assert!(s.best_eval_return > -1000.0, "first eval {}, best {}", rows[0][eval], s.best_eval_return);
    let episodes = std::fs::read_to_string(dir.path().join("run/episodes.csv")).unwrap();
    assert_eq!(episodes.lines().count() - 1, 16 * rows.len(), "one row per scored member (16 per generation)");
}
