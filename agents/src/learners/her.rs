//! Hindsight experience replay (Andrychowicz et al., 2017), the "future" strategy, as an option
//! of the off-policy learners on goal-conditioned envs ([`envs::GoalSpec`]).
//!
//! A minibatch is drawn from the replay buffer as usual; then each transition whose episode has
//! ended (and is still whole in the ring) is, with probability k/(k + 1), given a new desired
//! goal: the goal achieved at a uniformly drawn step of the same episode from this transition on
//! (the achieved part of that step's next observation). The desired part of the observation and
//! of the next observation is overwritten with it, and the reward recomputed by the env's
//! `compute_reward(achieved, new goal)`; `done` is kept (the hand tasks do not terminate on
//! reaching a goal). This is Stable-Baselines3's `HerReplayBuffer` with `n_sampled_goal = k`,
//! `goal_selection_strategy = "future"`, relabelling online at sampling time.

use envs::{Env, GoalSpec};
use rand::rngs::Xoshiro256PlusPlus;
use rand::RngExt;

use crate::learners::replay::Replay;
use crate::AgentError;

/// What relabelling needs: `k` goals per real one, where the goals sit, and the env that
/// computes rewards.
pub struct Her<'e> {
    pub future_goals: usize,
    pub goal: GoalSpec,
    pub env: &'e dyn Env,
}

impl<'e> Her<'e> {
    /// HER with `future_goals` = k on `env`; an error if [`check`] refuses it.
    pub fn new(agent: &str, future_goals: usize, buffer_size: usize, env: &'e dyn Env) -> Result<Self, AgentError> {
        let goal = check(agent, future_goals, buffer_size, env.spec())?;
        Ok(Self { future_goals, goal, env })
    }

    /// Relabels rows of a gathered minibatch in place (`obs` and `next_obs` are `[B, d]`, row
    /// `r` from ring slot `idx[r]`); returns how many rows got a hindsight goal.
    pub fn relabel(&self, replay: &Replay, idx: &[usize], obs: &mut [f32], next_obs: &mut [f32], rewards: &mut [f32], rng: &mut Xoshiro256PlusPlus) -> Result<usize, AgentError> {
        let d = replay.d;
        let p = self.future_goals as f64 / (self.future_goals as f64 + 1.0);
        let (achieved, desired) = (self.goal.achieved.clone(), self.goal.desired.clone());
        let mut relabelled = 0;
        for (r, &k) in idx.iter().enumerate() {
            let n = replay.ep_len[k] as usize;
            if n == 0 || rng.random::<f64>() >= p {
                continue;
            }
            let start = replay.ep_start[k] as usize;
            let pos = (k + replay.capacity - start) % replay.capacity;
            let future = replay.slot(start, rng.random_range(pos..n));
            let source = &replay.next_obs[future * d..(future + 1) * d];
            let row = r * d..(r + 1) * d;
            let (o, no) = (&mut obs[row.clone()], &mut next_obs[row]);
            for (i, j) in desired.clone().zip(achieved.clone()) {
                o[i] = source[j];
                no[i] = source[j];
            }
            rewards[r] = self.env.compute_reward(&no[achieved.clone()], &no[desired.clone()])? as f32;
            relabelled += 1;
        }
        Ok(relabelled)
    }
}

/// Whether HER with k = `future_goals` can run on `spec` with a buffer of `buffer_size`: the env
/// must be goal-conditioned and one episode must fit the buffer. Returns the env's goals.
pub fn check(agent: &str, future_goals: usize, buffer_size: usize, spec: &envs::EnvSpec) -> Result<GoalSpec, AgentError> {
    let Some(goal) = spec.goal.clone() else {
        return Err(AgentError::invalid(format!(
            "agent `{agent}`: `her_future_goals` = {future_goals} relabels goals, but {} is not goal-conditioned (goal-conditioned envs: {})",
            spec.id,
            goal_env_ids().join(", ")
        )));
    };
    if let Some(steps) = spec.max_episode_steps.filter(|&s| buffer_size < s) {
        return Err(AgentError::invalid(format!("agent `{agent}`: buffer_size = {buffer_size} cannot hold one {steps}-step episode of {}, which HER relabels within", spec.id)));
    }
    Ok(goal)
}

/// The registered goal-conditioned env ids.
pub fn goal_env_ids() -> Vec<String> {
    envs::registry().iter().filter(|e| e.spec().map(|s| s.goal.is_some()).unwrap_or(false)).map(|e| e.id.clone()).collect()
}
