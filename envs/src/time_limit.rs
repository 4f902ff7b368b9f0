//! Gymnasium's `TimeLimit` and `OrderEnforcing` wrappers in one: truncates an
//! episode after `max_episode_steps`, and refuses `step` before `reset` or after
//! the episode has ended.

use crate::env::{Env, EnvError, EnvSpec, Info, Step};
use crate::render::RenderState;
use crate::snapshot;
use serde::{Deserialize, Serialize};

pub struct TimeLimit<E: Env> {
    inner: E,
    max_episode_steps: usize,
    elapsed: usize,
    needs_reset: bool,
}

impl<E: Env> TimeLimit<E> {
    pub fn new(inner: E, max_episode_steps: usize) -> Self {
        Self { inner, max_episode_steps, elapsed: 0, needs_reset: true }
    }

    /// Steps taken in the current episode.
    pub fn elapsed_steps(&self) -> usize {
        self.elapsed
    }

    pub fn inner(&self) -> &E {
        &self.inner
    }

    pub fn inner_mut(&mut self) -> &mut E {
        &mut self.inner
    }
}

impl<E: Env> Env for TimeLimit<E> {
    fn spec(&self) -> &EnvSpec {
        self.inner.spec()
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        self.inner.reset(seed, obs, info)?;
        self.elapsed = 0;
        self.needs_reset = false;
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        if self.needs_reset {
            return Err(EnvError::NeedsReset { env: self.spec().id.clone() });
        }
        let mut step = self.inner.step(action, obs, info)?;
        self.elapsed += 1;
        if self.elapsed >= self.max_episode_steps && !step.done() {
            step.truncated = true;
            info.truncation_reason = Some("time_limit".into());
        }
        self.needs_reset = step.done();
        Ok(step)
    }

    fn render_state(&self) -> RenderState {
        self.inner.render_state()
    }

    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        self.inner.physical_state(out)
    }

    fn compute_reward(&self, achieved: &[f32], desired: &[f32]) -> Result<f64, EnvError> {
        self.inner.compute_reward(achieved, desired)
    }

    fn is_success(&self, achieved: &[f32], desired: &[f32]) -> Result<bool, EnvError> {
        self.inner.is_success(achieved, desired)
    }

    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        let inner = self.inner.snapshot()?;
        Ok(snapshot::encode(&TimeLimitSnapshot { max_episode_steps: self.max_episode_steps, elapsed: self.elapsed, needs_reset: self.needs_reset, inner }))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let s: TimeLimitSnapshot = snapshot::decode(&self.spec().id, bytes)?;
        if s.max_episode_steps != self.max_episode_steps {
            return Err(EnvError::Snapshot {
                env: self.spec().id.clone(),
                message: format!("taken with max_episode_steps = {}, not {}", s.max_episode_steps, self.max_episode_steps),
            });
        }
        self.inner.restore(&s.inner)?;
        self.elapsed = s.elapsed;
        self.needs_reset = s.needs_reset;
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct TimeLimitSnapshot {
    max_episode_steps: usize,
    elapsed: usize,
    needs_reset: bool,
    #[serde(with = "snapshot::bytes")]
    inner: Vec<u8>,
}
