//! Exact resume for every learner: a run stopped part-way (as Ctrl-C stops it) and resumed with
//! `train::resume` writes the same `metrics.csv` (but wall time) and the same policy as the
//! uninterrupted run with the same seed. The gradient learners' checkpoints carry the networks,
//! optimisers, normalisers, random streams, replay buffers and the envs mid-episode.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use agents::run::checkpoint::{load_policy, PolicyHeader};
use agents::run::EVAL_METRICS_FILE;
use agents::{learners, Progress, RunSpec};
use common::curve_without_wall_time as curve;

/// Trains `agent` on `env` for `steps`, either in one go or stopped at the first progress report
/// for which `stop_at` holds and then resumed; returns the run directory.
fn train_run(dir: &Path, name: &str, (env, policy, agent): (&str, &str, &str), steps: u64, cfg: &str, stop_at: Option<&dyn Fn(&Progress) -> bool>) -> PathBuf {
    let out = dir.join(name);
    let run = RunSpec { env: env.into(), policy: policy.into(), agent: agent.into(), steps, seed: 5 };
    let stop = Arc::new(AtomicBool::new(false));
    let p = learners::start(run, Default::default(), Default::default(), Some(&cfg.parse().unwrap()), &out, stop.clone()).unwrap();
    let first = learners::train(&p, |progress| {
        if stop_at.is_some_and(|f| f(progress)) {
            stop.store(true, Ordering::Relaxed);
        }
    })
    .unwrap();
    if stop_at.is_some() {
        assert!(!first.completed, "{agent}: the stop came too late to test anything");
        let p = learners::resume(&out, None, Arc::new(AtomicBool::new(false))).unwrap();
        let resumed = learners::train(&p, |_| {}).unwrap();
        assert!(resumed.completed && resumed.env_steps >= steps);
    }
    out
}

fn assert_retraces(which: (&str, &str, &str), steps: u64, cfg: &str, stop_at: &dyn Fn(&Progress) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let whole = train_run(dir.path(), "whole", which, steps, cfg, None);
    let split = train_run(dir.path(), "split", which, steps, cfg, Some(stop_at));
    let (a, b) = (curve(&whole), curve(&split));
    assert!(a.len() >= 3, "{which:?}: too few rows to compare: {a:?}");
    assert_eq!(a, b, "{which:?}");
    // An env with episode metrics (PointReach's success) logs every evaluation's means; the
    // resumed run's log is cut back to its checkpoint and retraces the uninterrupted one's.
    let evals = |d: &Path| std::fs::read_to_string(d.join(EVAL_METRICS_FILE)).ok();
    assert_eq!(evals(&whole).is_some(), which.0 == "PointReach-v0", "{which:?}: {EVAL_METRICS_FILE} written only for an env with episode metrics");
    assert_eq!(evals(&whole), evals(&split), "{which:?}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(whole.join("summary.json")).unwrap()).unwrap();
    let header = PolicyHeader { env: which.0.into(), policy: which.1.into(), n_params: summary["n_params"].as_u64().unwrap() as usize };
    assert_eq!(load_policy(&whole.join("policy.safetensors"), &header).unwrap(), load_policy(&split.join("policy.safetensors"), &header).unwrap(), "{which:?}");
}

const PPO: &str = "num_envs = 4\nnum_steps = 64\nnum_minibatches = 4\nupdate_epochs = 2\neval_episodes = 1\neval_interval = 2";

#[test]
fn ppo_ncap_resumes_exactly_mid_episode() {
    // 256 steps per iteration: the stop falls mid-episode (episodes are 1000 steps), at an
    // iteration without an evaluation row.
    assert_retraces(("Swimmer6-v0", "ncap", "ppo"), 6 * 256, PPO, &|p| p.iteration == 3);
}

#[test]
fn ppo_mlp_resumes_exactly_across_episode_ends() {
    // Pendulum's 200-step episodes end inside every rollout, so autoreset state is exercised.
    assert_retraces(("Pendulum-v1", "mlp", "ppo"), 5 * 256, PPO, &|p| p.iteration == 2);
}

const OFF_POLICY: &str = "learning_starts = 150\nhidden = [16]\nbatch_size = 32\neval_every_steps = 200\neval_episodes = 1";

#[test]
fn td3_resumes_exactly_with_its_replay_buffer() {
    assert_retraces(("Pendulum-v1", "mlp", "td3"), 1000, OFF_POLICY, &|p| p.env_steps == 400);
}

#[test]
fn ddpg_ncap_resumes_exactly_mid_episode() {
    assert_retraces(("Swimmer6-v0", "ncap", "ddpg"), 800, OFF_POLICY, &|p| p.env_steps == 400);
}

#[test]
fn sac_resumes_exactly_with_its_replay_buffer() {
    assert_retraces(("Pendulum-v1", "mlp", "sac"), 1000, OFF_POLICY, &|p| p.env_steps == 600);
}

#[test]
fn td3_with_her_resumes_exactly_with_its_episode_bookkeeping() {
    // Stopped mid-episode (25-step episodes): the relabelling after the resume draws from the
    // same episodes as the uninterrupted run's.
    let cfg = "learning_starts = 150\nhidden = [16]\nbatch_size = 32\neval_every_steps = 210\neval_episodes = 1\nher_future_goals = 4";
    assert_retraces(("PointReach-v0", "mlp", "td3"), 1000, cfg, &|p| p.env_steps == 420);
}

#[test]
fn off_policy_learners_with_the_her_recipe_resume_exactly() {
    // Observation normalisation (its statistics are checkpointed), updates in rounds, random
    // actions and TD3's action penalty: stopped off a round's boundary, the resumed runs retrace.
    let common = "learning_starts = 150\nhidden = [16]\nbatch_size = 32\neval_every_steps = 210\neval_episodes = 1\nher_future_goals = 4\nnormalize_obs = true\ntrain_frequency = 25\ngradient_steps = 10";
    let td3 = format!("{common}\nrandom_action_prob = 0.3\naction_l2 = 1.0");
    assert_retraces(("PointReach-v0", "mlp", "td3"), 1000, &td3, &|p| p.env_steps == 420);
    assert_retraces(("PointReach-v0", "mlp", "sac"), 1000, common, &|p| p.env_steps == 420);
}

#[test]
fn raising_the_budget_continues_a_finished_off_policy_run() {
    // 500 steps end off the 200-step evaluation grid; resumed to 1000, the final row at 500 is
    // dropped and the curve is the 1000-step run's.
    let dir = tempfile::tempdir().unwrap();
    let which = ("Pendulum-v1", "mlp", "td3");
    let whole = train_run(dir.path(), "whole", which, 1000, OFF_POLICY, None);
    let short = train_run(dir.path(), "short", which, 500, OFF_POLICY, None);
    assert_eq!(curve(&short).len(), 1 + 3, "rows at 200, 400 and the final 500");
    let p = learners::resume(&short, Some(1000), Arc::new(AtomicBool::new(false))).unwrap();
    learners::train(&p, |_| {}).unwrap();
    assert_eq!(curve(&whole), curve(&short));
}

#[test]
fn a_checkpoint_of_another_learner_or_a_corrupt_one_is_refused_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let run = train_run(dir.path(), "run", ("Pendulum-v1", "mlp", "td3"), 400, OFF_POLICY, None);
    // Make the run claim to be SAC: its checkpoint is TD3's.
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    let sac = dir.path().join("sac");
    std::fs::create_dir(&sac).unwrap();
    for f in ["checkpoint.safetensors", "metrics.csv", "policy.safetensors"] {
        std::fs::copy(run.join(f), sac.join(f)).unwrap();
    }
    let sac_config = config.replace("agent = \"td3\"", "agent = \"sac\"");
    let sac_config = sac_config.split("[agent]").next().unwrap().to_string();
    std::fs::write(sac.join("config.toml"), &sac_config).unwrap();
    let before = std::fs::read(sac.join("metrics.csv")).unwrap();
    let err = learners::resume(&sac, Some(800), Arc::new(AtomicBool::new(false))).unwrap_err().to_string();
    assert!(err.contains("a checkpoint of agent `td3`, not `sac`"), "{err}");
    assert_eq!(std::fs::read(sac.join("metrics.csv")).unwrap(), before, "metrics untouched");
    assert_eq!(std::fs::read_to_string(sac.join("config.toml")).unwrap(), sac_config, "config untouched");

    // A truncated checkpoint: a clear error, and the run directory is left as it was.
    let bytes = std::fs::read(run.join("checkpoint.safetensors")).unwrap();
    std::fs::write(run.join("checkpoint.safetensors"), &bytes[..bytes.len() / 3]).unwrap();
    let before = std::fs::read(run.join("metrics.csv")).unwrap();
    let err = learners::resume(&run, Some(800), Arc::new(AtomicBool::new(false))).unwrap_err().to_string();
    assert!(err.contains("truncated or corrupt"), "{err}");
    assert_eq!(std::fs::read(run.join("metrics.csv")).unwrap(), before);
    assert_eq!(std::fs::read_to_string(run.join("config.toml")).unwrap(), config, "config untouched");
}
