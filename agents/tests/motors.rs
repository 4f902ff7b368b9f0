//! Every motor env trains: TD3, DDPG, SAC and PPO on each continuous task (duty cycles), PPO's
//! categorical policy on each finite task (switching states), on a tiny budget; the runs finish
//! with a finite evaluation and a policy that `nerve eval --checkpoint` can rebuild and run.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use agents::run::checkpoint::{load_policy, PolicyHeader};
use agents::{learners, RunSpec};

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

fn train_on(env: &str, agent: &str, agent_cfg: &str, dir: &std::path::Path) {
    let out = dir.join(format!("{env}-{agent}"));
    let run = RunSpec { env: env.into(), policy: "mlp".into(), agent: agent.into(), steps: 256, seed: 0 };
    let env_cfg = table("max_episode_steps = 64\ngamma = 0.99\nviolation_reward = \"time_limit\"");
    let policy = table("hidden = [8]");
    let prepared = learners::start(run, env_cfg.clone(), policy.clone(), Some(&table(agent_cfg)), &out, Arc::new(AtomicBool::new(false)))
        .unwrap_or_else(|e| panic!("{env} {agent}: {e}"));
    let summary = learners::train(&prepared, |_| {}).unwrap_or_else(|e| panic!("{env} {agent}: {e}"));
    assert!(summary.completed && summary.final_eval_return.is_finite(), "{env} {agent}: {summary:?}");
    let spec = envs::make_with(env, Some(&env_cfg)).unwrap().spec().clone();
    let mut policy = controllers::make("mlp", &spec, Some(&policy)).unwrap();
    let header = PolicyHeader { env: env.into(), policy: "mlp".into(), n_params: policy.parameters().unwrap().len() };
    load_policy(&out.join("policy.safetensors"), &header).unwrap().apply(policy.as_mut()).unwrap();
    // What `nerve eval --checkpoint` then does: the rebuilt policy's actions are ones the env takes.
    let mut env = envs::make_with(env, Some(&env_cfg)).unwrap();
    let episode = controllers::run_episode(env.as_mut(), policy.as_mut(), 1, |_| {}).unwrap();
    assert!(episode.length > 0 && episode.episode_return.is_finite());
}

#[test]
fn every_motor_env_trains() {
    let dir = tempfile::tempdir().unwrap();
    let off_policy = "learning_starts = 64\nbatch_size = 16\nhidden = [8]\neval_episodes = 1\neval_every_steps = 256";
    let ppo = "num_envs = 2\nnum_steps = 64\nnum_minibatches = 2\nupdate_epochs = 1\ncritic_hidden = [8]\neval_episodes = 1\neval_interval = 1\nthreads = 1";
    for (id, _) in envs::tasks::motor::ids() {
        if id.contains("Finite") {
            train_on(&id, "ppo", ppo, dir.path());
        } else {
            train_on(&id, "td3", off_policy, dir.path());
            train_on(&id, "ppo", ppo, dir.path());
        }
    }
    // DDPG and SAC share TD3's code paths for envs; one continuous family each, DC and PMSM.
    for id in ["DcExtExCurrent-v0", "PmsmTorque-v0"] {
        train_on(id, "ddpg", off_policy, dir.path());
        train_on(id, "sac", off_policy, dir.path());
    }
}
