//! Running a policy on an env for whole episodes.

use envs::{Env, EnvError, Info, Step};

use crate::policy::{Policy, Work};

/// One finished episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub seed: u64,
    pub episode_return: f64,
    pub length: usize,
    pub terminated: bool,
    /// Why it was truncated (`time_limit`, `physics_blowup: …`), if it was.
    pub truncation_reason: Option<String>,
    /// The last step's info values (e.g. a tracking task's episode metrics).
    pub final_info: Vec<(&'static str, f64)>,
    /// The policy's arithmetic summed over the episode, if it counts it ([`Policy::work`]).
    pub work: Option<Work>,
}

/// Runs one episode from `reset(Some(seed))`, the policy reset with the same seed.
/// `on_step` sees every step's reward (e.g. to drive a progress bar).
pub fn run_episode(env: &mut dyn Env, policy: &mut dyn Policy, seed: u64, mut on_step: impl FnMut(f64)) -> Result<Episode, EnvError> {
    run_episode_observed(env, policy, seed, |_, taken| {
        if let Some((_, step)) = taken {
            on_step(step.reward)
        }
    })
}

/// [`run_episode`], with `observe` seeing the env after the reset (with `None`) and after each
/// step (with the action taken and the step's outcome): e.g. to write a trace of the physical state.
pub fn run_episode_observed(
    env: &mut dyn Env,
    policy: &mut dyn Policy,
    seed: u64,
    mut observe: impl FnMut(&dyn Env, Option<(&[f32], &Step)>),
) -> Result<Episode, EnvError> {
    let spec = env.spec();
    let mut obs = vec![0.0; spec.obs_dim()];
    let mut action = vec![0.0; spec.act_dim()];
    let mut info = Info::default();
    env.reset(Some(seed), &mut obs, &mut info)?;
    policy.reset(Some(seed));
    observe(&*env, None);
    let mut episode = Episode { seed, episode_return: 0.0, length: 0, terminated: false, truncation_reason: None, final_info: Vec::new(), work: None };
    loop {
        policy.act(&obs, &mut action);
        if let Some(w) = policy.work() {
            *episode.work.get_or_insert_with(Work::default) += w;
        }
        let step = env.step(&action, &mut obs, &mut info)?;
        episode.episode_return += step.reward;
        episode.length += 1;
        observe(&*env, Some((&action, &step)));
        if step.done() {
            episode.terminated = step.terminated;
            episode.truncation_reason = info.truncation_reason.take();
            episode.final_info = info.iter().collect();
            return Ok(episode);
        }
    }
}
