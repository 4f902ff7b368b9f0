//! The off-policy learners end to end: TD3 and SAC reach Pendulum's usual threshold (−200)
//! within a fixed budget, DDPG improves NCAP on a short swimmer run, runs reproduce, and bad
//! pairings are refused. Exact resume: `tests/resume.rs`.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use agents::{learners, RunSpec};

fn start(env: &str, policy: &str, agent: &str, steps: u64, cfg: &str, dir: &std::path::Path) -> Result<learners::Prepared, agents::AgentError> {
    let run = RunSpec { env: env.into(), policy: policy.into(), agent: agent.into(), steps, seed: 1 };
    learners::start(run, Default::default(), Default::default(), Some(&cfg.parse().unwrap()), dir, Arc::new(AtomicBool::new(false)))
}

const FAST: &str = "learning_starts = 1000\nhidden = [64, 64]\neval_every_steps = 2000\neval_episodes = 5";

#[test]
fn td3_reaches_pendulums_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let p = start("Pendulum-v1", "mlp", "td3", 10_000, FAST, &dir.path().join("run")).unwrap();
    let s = learners::train(&p, |_| {}).unwrap();
    assert!(s.final_eval_return > -200.0, "TD3 on Pendulum after 10k steps: {:.1} ± {:.1}", s.final_eval_return, s.final_eval_return_std);
}

#[test]
fn sac_reaches_pendulums_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let p = start("Pendulum-v1", "mlp", "sac", 6_000, FAST, &dir.path().join("run")).unwrap();
    let s = learners::train(&p, |_| {}).unwrap();
    assert!(s.final_eval_return > -200.0, "SAC on Pendulum after 6k steps: {:.1} ± {:.1}", s.final_eval_return, s.final_eval_return_std);
    // The deterministic policy in policy.safetensors is the plain `mlp` policy.
    let header = agents::run::checkpoint::PolicyHeader { env: "Pendulum-v1".into(), policy: "mlp".into(), n_params: s.n_params };
    assert!(agents::run::checkpoint::load_policy(&dir.path().join("run").join("policy.safetensors"), &header).is_ok());
}

#[test]
fn ddpg_improves_ncap_on_a_short_swimmer_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = start("Swimmer6-v0", "ncap", "ddpg", 4_000, "learning_starts = 1000\nhidden = [64, 64]\neval_every_steps = 4000\neval_episodes = 3", &dir.path().join("run")).unwrap();
    let ctx = p.ctx.clone();
    let env = ctx.make_env().unwrap();
    let initial = ctx.make_policy(env.spec()).unwrap().parameters().unwrap().to_vec();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let before = agents::run::evaluate::parallel(&pool, &ctx, &initial, &[], 3).unwrap().0;
    let s = learners::train(&p, |_| {}).unwrap();
    assert!(s.final_eval_return > before + 20.0, "DDPG-NCAP: {before:.1} → {:.1}", s.final_eval_return);
}

#[test]
fn runs_reproduce_and_bad_pairings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = "learning_starts = 200\nhidden = [16]\nbatch_size = 32\neval_every_steps = 200\neval_episodes = 1";
    let curve = |name: &str| {
        let p = start("Pendulum-v1", "mlp", "td3", 600, cfg, &dir.path().join(name)).unwrap();
        learners::train(&p, |_| {}).unwrap();
        common::curve_without_wall_time(&dir.path().join(name))
    };
    assert_eq!(curve("a"), curve("b"));
    let err = start("Pendulum-v1", "travelling-wave", "ddpg", 100, cfg, &dir.path().join("c")).unwrap_err().to_string();
    assert!(err.contains("train `mlp` and `ncap` policies"), "{err}");
    let err = start("Swimmer6-v0", "ncap", "sac", 100, "", &dir.path().join("d")).unwrap_err().to_string();
    assert!(err.contains("agent `sac` trains `mlp` policies"), "{err}");
}

/// TD3 on `PointReach-v0` (sparse reward: −1 a step until within 0.1 m of the goal; 25 steps; a
/// policy that does nothing scores about −25) within 8k steps, with and without HER.
#[test]
fn her_lets_td3_reach_sparse_goals() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = |her: usize| format!("learning_starts = 1000\nhidden = [64, 64]\neval_every_steps = 4000\neval_episodes = 20\nher_future_goals = {her}");
    let with = start("PointReach-v0", "mlp", "td3", 8_000, &cfg(4), &dir.path().join("her")).unwrap();
    let s_her = learners::train(&with, |_| {}).unwrap();
    let without = start("PointReach-v0", "mlp", "td3", 8_000, &cfg(0), &dir.path().join("plain")).unwrap();
    let s_plain = learners::train(&without, |_| {}).unwrap();
    eprintln!("PointReach-v0, TD3 8k steps: with HER {:.1} ± {:.1}, without {:.1} ± {:.1}", s_her.final_eval_return, s_her.final_eval_return_std, s_plain.final_eval_return, s_plain.final_eval_return_std);
    assert!(s_her.final_eval_return > -10.0, "TD3+HER on PointReach after 8k steps: {:.1}", s_her.final_eval_return);
    // HER on an env without goals is refused with the reason.
    let err = start("Pendulum-v1", "mlp", "td3", 2_000, &cfg(4), &dir.path().join("bad")).unwrap_err().to_string();
    assert!(err.contains("not goal-conditioned") && err.contains("HandReach-v0"), "{err}");
}

/// DDPG with HER and the HER baselines' target clip on `PointReach-v0`: the critic's regression
/// target is clipped to [−1/(1 − γ), 0] (no return of −1/0 rewards lies outside), so its mean Q
/// stays at or below 0 and, with a tight range, inside it; within 8k steps it must reach the
/// goals. A range that is not [lo, hi] with lo < hi is refused.
#[test]
fn ddpg_with_her_and_a_clipped_target_reaches_sparse_goals() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = |range: &str| format!("learning_starts = 1000\nhidden = [64, 64]\neval_every_steps = 2000\neval_episodes = 20\nher_future_goals = 4\ntarget_q_range = {range}");
    let prepared = start("PointReach-v0", "mlp", "ddpg", 8_000, &cfg("[-100.0, 0.0]"), &dir.path().join("ddpg")).unwrap();
    let s = learners::train(&prepared, |_| {}).unwrap();
    let q_means = common::column(&dir.path().join("ddpg/metrics.csv"), "q_mean");
    eprintln!("PointReach-v0, DDPG+HER, target clipped to [-100, 0], 8k steps: {:.1} ± {:.1}; mean Q at each evaluation {q_means:?}", s.final_eval_return, s.final_eval_return_std);
    assert!(s.final_eval_return > -10.0, "DDPG+HER with a clipped target on PointReach after 8k steps: {:.1}", s.final_eval_return);
    assert!(!q_means.is_empty() && q_means.iter().all(|&q| q <= 0.05), "mean Q above the clip's 0: {q_means:?}");
    // Every evaluation's success rate is logged beside its return: one row per evaluation
    // (8k / 2k), rates in [0, 1], the last one high for a policy that reaches the goals.
    let eval_log = dir.path().join("ddpg").join(agents::run::EVAL_METRICS_FILE);
    let (steps, success) = (common::column(&eval_log, "env_steps"), common::column(&eval_log, "is_success"));
    let eval_returns = common::column(&eval_log, "eval_return");
    eprintln!("success rate at each evaluation {success:?}");
    assert_eq!(steps, vec![2000.0, 4000.0, 6000.0, 8000.0]);
    assert!(success.iter().all(|r| (0.0..=1.0).contains(r)) && success[3] >= 0.8, "success rates {success:?}");
    assert_eq!(eval_returns[3], s.final_eval_return, "the log's last return is the summary's");
    // The clip acts on the regression target: clipped to [−0.5, 0], the critic's mean Q ends
    // inside it (unclipped, the same run's is about −3.9 after 8k steps).
    let tight = start("PointReach-v0", "mlp", "ddpg", 4_000, &cfg("[-0.5, 0.0]"), &dir.path().join("tight")).unwrap();
    learners::train(&tight, |_| {}).unwrap();
    let q_tight = common::column(&dir.path().join("tight/metrics.csv"), "q_mean");
    assert!(q_tight.last().is_some_and(|&q| (-0.6..=0.05).contains(&q)), "mean Q with the target clipped to [-0.5, 0]: {q_tight:?}");
    for bad in ["[0.0, -100.0]", "[-100.0]", "[-100.0, nan]"] {
        let err = start("PointReach-v0", "mlp", "ddpg", 8_000, &cfg(bad), &dir.path().join("bad")).unwrap_err().to_string();
        assert!(err.contains("`target_q_range`") && err.contains("lo < hi"), "{bad}: {err}");
    }
}

/// SAC with the HER baselines' recipe on `PointReach-v0`: normalised observations, updates in
/// rounds (every 50 steps, 20 updates), HER with 4 future goals. Within 8k steps it must reach
/// the goals (a policy that does nothing scores about −25). The policy it saves carries the
/// normaliser as buffers, and `nerve eval`'s loader reproduces its final evaluation.
#[test]
fn sac_with_normalised_observations_and_her_reaches_sparse_goals() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = "learning_starts = 1000\nhidden = [64, 64]\neval_every_steps = 4000\neval_episodes = 20\nher_future_goals = 4\nnormalize_obs = true\ntrain_frequency = 50\ngradient_steps = 20";
    let prepared = start("PointReach-v0", "mlp", "sac", 8_000, cfg, &dir.path().join("sac")).unwrap();
    let s = learners::train(&prepared, |_| {}).unwrap();
    eprintln!("PointReach-v0, SAC+HER normalised, 8k steps (2.9k updates): {:.1} ± {:.1}", s.final_eval_return, s.final_eval_return_std);
    assert!(s.final_eval_return > -10.0, "SAC+HER on PointReach after 8k steps: {:.1}", s.final_eval_return);
    let loaded = agents::run::trained::TrainedRun::load(&dir.path().join("sac")).unwrap();
    let buffer = |name: &str| loaded.trained.buffers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_else(|| panic!("no buffer {name}"));
    assert!(buffer("obs_mean").iter().any(|&m| m != 0.0) && buffer("obs_std").iter().all(|&s| s > 0.0 && s != 1.0), "the saved normaliser is the trained one");
    assert_eq!(buffer("obs_clip"), vec![5.0]);
    // The ncap circuit reads raw joint angles: normalisation is refused for it.
    let err = start("Swimmer6-v0", "ncap", "td3", 2_000, "learning_starts = 100\neval_every_steps = 1000\nnormalize_obs = true", &dir.path().join("ncap")).unwrap_err().to_string();
    assert!(err.contains("`normalize_obs` works with the `mlp` policy"), "{err}");
    let err = start("PointReach-v0", "mlp", "sac", 2_000, "learning_starts = 100\neval_every_steps = 1000\ngradient_steps = 0", &dir.path().join("zero")).unwrap_err().to_string();
    assert!(err.contains("gradient_steps must be ≥ 1"), "{err}");
}

/// A configuration that cannot learn within its budget is refused with the reason, before
/// anything is written: CleanRL's `learning_starts = 25000` on a 20k budget, an evaluation
/// interval past the budget.
#[test]
fn configs_that_cannot_learn_within_the_budget_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = start("Pendulum-v1", "mlp", "td3", 20_000, "", &dir.path().join("a")).unwrap_err().to_string();
    assert!(err.contains("learning_starts = 25000 ≥ --steps 20000") && err.contains("never be updated"), "{err}");
    let err = start("Pendulum-v1", "mlp", "sac", 3_000, "learning_starts = 100", &dir.path().join("b")).unwrap_err().to_string();
    assert!(err.contains("eval_every_steps = 5000 > --steps 3000"), "{err}");
    assert!(!dir.path().join("a").exists() && !dir.path().join("b").exists());
}
