//! `VecEnv`: N envs stepped together (in parallel with rayon), with Gymnasium's autoreset.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::env::{Env, EnvError, EnvSpec, Info, Step};
use crate::snapshot;
use crate::step_pool::StepPool;

/// When an env whose episode has ended is reset (Gymnasium's `AutoresetMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AutoresetMode {
    /// Gymnasium ≥ 1.0's default: the step *after* the last one resets the env,
    /// ignores its action, and returns the first observation with reward 0 and
    /// both flags false.
    #[default]
    NextStep,
    /// Stable-Baselines3's convention: the last step resets at once, returns the
    /// new episode's first observation, and keeps the final one in
    /// [`VecEnv::final_observations`].
    SameStep,
}

/// A finished episode's statistics (Gymnasium's `RecordEpisodeStatistics`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpisodeStats {
    pub env_index: usize,
    pub episode_return: f64,
    pub length: usize,
    pub terminated: bool,
    pub truncated: bool,
}

struct Slot {
    env: Box<dyn Env>,
    step: Step,
    info: Info,
    needs_reset: bool,
    episode_return: f64,
    episode_len: usize,
    finished: Option<EpisodeStats>,
}

/// N copies of an env. Observations live in one contiguous buffer, env-major.
pub struct VecEnv {
    slots: Vec<Slot>,
    spec: EnvSpec,
    mode: AutoresetMode,
    obs: Vec<f32>,
    final_obs: Vec<f32>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    episodes: Vec<EpisodeStats>,
    /// Workers besides the calling thread; `None` steps serially.
    pool: Option<StepPool>,
    threads: usize,
}

impl std::fmt::Debug for VecEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VecEnv({} × {}, {:?})", self.slots.len(), self.spec.id, self.mode)
    }
}

impl VecEnv {
    /// Steps `envs` (all of one spec) serially; see [`VecEnv::with_threads`] and [`VecEnv::make`].
    pub fn new(envs: Vec<Box<dyn Env>>, mode: AutoresetMode) -> Result<Self, EnvError> {
        let Some(first) = envs.first() else {
            return Err(EnvError::Config { env: "VecEnv".into(), message: "needs at least one env".into() });
        };
        let spec = first.spec().clone();
        if let Some(other) = envs.iter().find(|e| e.spec().id != spec.id) {
            return Err(EnvError::Config {
                env: "VecEnv".into(),
                message: format!("all envs must share one id; got {} and {}", spec.id, other.spec().id),
            });
        }
        let n = envs.len();
        let d = spec.obs_dim();
        let slots = envs
            .into_iter()
            .map(|env| Slot {
                env,
                step: Step::default(),
                info: Info::default(),
                needs_reset: true,
                episode_return: 0.0,
                episode_len: 0,
                finished: None,
            })
            .collect();
        Ok(Self {
            slots,
            spec,
            mode,
            obs: vec![0.0; n * d],
            final_obs: vec![0.0; n * d],
            rewards: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            episodes: Vec::new(),
            pool: None,
            threads: 1,
        })
    }

    /// Makes `n` copies of a registered env, stepped on all cores.
    pub fn make(id: &str, n: usize, config: Option<&toml::Table>, mode: AutoresetMode) -> Result<Self, EnvError> {
        let envs = (0..n).map(|_| crate::make_with(id, config)).collect::<Result<Vec<_>, _>>()?;
        let cores = std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1);
        Self::new(envs, mode)?.with_threads(cores)
    }

    /// Steps on `threads` threads in all: the calling thread and a pool of `threads − 1`
    /// workers, each stepping a fixed contiguous share of the envs (1: serially, no pool).
    pub fn with_threads(mut self, threads: usize) -> Result<Self, EnvError> {
        self.threads = threads.clamp(1, self.slots.len());
        self.pool = if self.threads == 1 {
            None
        } else {
            let pool = StepPool::new(self.threads - 1);
            Some(pool.map_err(|e| EnvError::Config { env: "VecEnv".into(), message: format!("worker threads: {e}") })?)
        };
        Ok(self)
    }

    /// Threads that step the envs, the caller's included.
    pub fn threads(&self) -> usize {
        self.threads
    }

    pub fn num_envs(&self) -> usize {
        self.slots.len()
    }

    pub fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    /// Resets every env; env `i` gets seed `seed + i` (or continues its stream when `None`).
    pub fn reset(&mut self, seed: Option<u64>) -> Result<(), EnvError> {
        let d = self.spec.obs_dim();
        for (i, (slot, obs)) in self.slots.iter_mut().zip(self.obs.chunks_mut(d)).enumerate() {
            slot.env.reset(seed.map(|s| s.wrapping_add(i as u64)), obs, &mut slot.info)?;
            slot.needs_reset = false;
            slot.episode_return = 0.0;
            slot.episode_len = 0;
            slot.step = Step::default();
        }
        self.rewards.fill(0.0);
        self.terminated.fill(false);
        self.truncated.fill(false);
        Ok(())
    }

    /// Steps every env with its slice of `actions` (env-major, `num_envs × act_dim`).
    pub fn step(&mut self, actions: &[f32]) -> Result<(), EnvError> {
        let d = self.spec.obs_dim();
        let a = self.spec.act_dim();
        let n = self.slots.len();
        if actions.len() != n * a {
            return Err(EnvError::ActionLength { env: format!("VecEnv<{}>", self.spec.id), expected: n * a, got: actions.len() });
        }
        // Validate every action before stepping any env, so a bad one leaves all envs untouched.
        if let Some(k) = actions.iter().position(|x| !x.is_finite()) {
            return Err(EnvError::NonFiniteAction { env: format!("VecEnv<{}>[env {}]", self.spec.id, k / a), index: k % a, value: actions[k] });
        }
        let mode = self.mode;
        // Contiguous shares of ⌈n / threads⌉ envs: the first for the calling thread, the rest
        // for the pool's workers, so that waking the workers overlaps useful work.
        let share = n.div_ceil(self.threads);
        let shares = self
            .slots
            .chunks_mut(share)
            .zip(self.obs.chunks_mut(share * d))
            .zip(self.final_obs.chunks_mut(share * d).zip(actions.chunks(share * a)));
        let step_share = |((slots, obs), (final_obs, actions)): ((&mut [Slot], &mut [f32]), (&mut [f32], &[f32]))| {
            slots
                .iter_mut()
                .zip(obs.chunks_mut(d))
                .zip(final_obs.chunks_mut(d).zip(actions.chunks(a)))
                .try_for_each(|((slot, obs), (final_obs, action))| step_slot(slot, obs, final_obs, action, mode))
        };
        let results: Vec<Result<(), EnvError>> = match &self.pool {
            None => shares.map(step_share).collect(),
            Some(pool) => {
                let shares: Vec<_> = shares.map(Mutex::new).collect();
                let results: Vec<Mutex<Result<(), EnvError>>> = shares.iter().map(|_| Mutex::new(Ok(()))).collect();
                pool.run(&|i| {
                    if let Some(share) = shares.get(i) {
                        let mut share = share.lock().unwrap_or_else(|e| e.into_inner());
                        let ((slots, obs), (final_obs, actions)) = &mut *share;
                        let result = step_share(((&mut **slots, &mut **obs), (&mut **final_obs, *actions)));
                        *results[i].lock().unwrap_or_else(|e| e.into_inner()) = result;
                    }
                });
                results.into_iter().map(|r| r.into_inner().unwrap_or_else(|e| e.into_inner())).collect()
            }
        };
        results.into_iter().collect::<Result<(), EnvError>>()?;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            self.rewards[i] = slot.step.reward;
            self.terminated[i] = slot.step.terminated;
            self.truncated[i] = slot.step.truncated;
            if let Some(mut stats) = slot.finished.take() {
                stats.env_index = i;
                self.episodes.push(stats);
            }
        }
        Ok(())
    }

    /// The latest observations, `num_envs × obs_dim`, env-major.
    pub fn observations(&self) -> &[f32] {
        &self.obs
    }

    /// Under [`AutoresetMode::SameStep`], the last observation of each env whose
    /// episode ended on the latest step (other rows are stale).
    pub fn final_observations(&self) -> &[f32] {
        &self.final_obs
    }

    pub fn rewards(&self) -> &[f64] {
        &self.rewards
    }

    pub fn terminated(&self) -> &[bool] {
        &self.terminated
    }

    pub fn truncated(&self) -> &[bool] {
        &self.truncated
    }

    /// The info of env `i` from the latest step.
    pub fn info(&self, i: usize) -> &Info {
        &self.slots[i].info
    }

    /// Episodes finished since the last call, in the order they finished.
    pub fn drain_episodes(&mut self) -> Vec<EpisodeStats> {
        std::mem::take(&mut self.episodes)
    }

    /// Env `i` (e.g. for its render state).
    pub fn env(&self, i: usize) -> &dyn Env {
        self.slots[i].env.as_ref()
    }

    /// Every env's [`Env::snapshot`] and the VecEnv's own state (latest observations, rewards
    /// and flags, episode counters, finished episodes not yet drained): [`VecEnv::restore`]
    /// continues from here bit for bit.
    pub fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        let slots = self
            .slots
            .iter()
            .map(|s| Ok(SlotSnapshot { env: s.env.snapshot()?, needs_reset: s.needs_reset, episode_return: s.episode_return, episode_len: s.episode_len }))
            .collect::<Result<Vec<_>, EnvError>>()?;
        Ok(snapshot::encode(&VecEnvSnapshot {
            id: self.spec.id.clone(),
            mode: self.mode,
            slots,
            obs: self.obs.clone(),
            final_obs: self.final_obs.clone(),
            rewards: self.rewards.clone(),
            terminated: self.terminated.clone(),
            truncated: self.truncated.clone(),
            episodes: self.episodes.clone(),
        }))
    }

    /// Restores a [`VecEnv::snapshot`] of a VecEnv with the same env id, config, number of envs
    /// and autoreset mode. On error the VecEnv is unchanged.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let name = format!("VecEnv<{}>", self.spec.id);
        let s: VecEnvSnapshot = snapshot::decode(&name, bytes)?;
        let mismatch = |message: String| Err(EnvError::Snapshot { env: name.clone(), message });
        if s.id != self.spec.id {
            return mismatch(format!("a snapshot of {} envs", s.id));
        }
        if s.slots.len() != self.slots.len() || s.mode != self.mode {
            return mismatch(format!("taken from {} envs in {:?} mode, not {} in {:?} mode", s.slots.len(), s.mode, self.slots.len(), self.mode));
        }
        if s.obs.len() != self.obs.len() || s.final_obs.len() != self.final_obs.len() || s.rewards.len() != self.rewards.len() {
            return mismatch("buffers of the wrong length".into());
        }
        // Restore every env, rolling back the ones already restored if a later one fails.
        let backups = self.slots.iter().map(|slot| slot.env.snapshot()).collect::<Result<Vec<_>, EnvError>>()?;
        for (i, (slot, saved)) in self.slots.iter_mut().zip(&s.slots).enumerate() {
            if let Err(err) = slot.env.restore(&saved.env) {
                for (slot, backup) in self.slots.iter_mut().zip(&backups).take(i) {
                    slot.env.restore(backup)?;
                }
                return Err(err);
            }
        }
        for (slot, saved) in self.slots.iter_mut().zip(&s.slots) {
            slot.needs_reset = saved.needs_reset;
            slot.episode_return = saved.episode_return;
            slot.episode_len = saved.episode_len;
            slot.step = Step::default();
            slot.info.clear();
            slot.finished = None;
        }
        (self.obs, self.final_obs, self.rewards) = (s.obs, s.final_obs, s.rewards);
        (self.terminated, self.truncated, self.episodes) = (s.terminated, s.truncated, s.episodes);
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct SlotSnapshot {
    #[serde(with = "snapshot::bytes")]
    env: Vec<u8>,
    needs_reset: bool,
    episode_return: f64,
    episode_len: usize,
}

#[derive(Serialize, Deserialize)]
struct VecEnvSnapshot {
    id: String,
    mode: AutoresetMode,
    slots: Vec<SlotSnapshot>,
    obs: Vec<f32>,
    final_obs: Vec<f32>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    episodes: Vec<EpisodeStats>,
}

fn step_slot(slot: &mut Slot, obs: &mut [f32], final_obs: &mut [f32], action: &[f32], mode: AutoresetMode) -> Result<(), EnvError> {
    if slot.needs_reset {
        // NextStep mode: this step is the reset.
        slot.env.reset(None, obs, &mut slot.info)?;
        slot.needs_reset = false;
        slot.episode_return = 0.0;
        slot.episode_len = 0;
        slot.step = Step::default();
        return Ok(());
    }
    let step = slot.env.step(action, obs, &mut slot.info)?;
    slot.step = step;
    slot.episode_return += step.reward;
    slot.episode_len += 1;
    if step.done() {
        slot.finished = Some(EpisodeStats {
            env_index: 0,
            episode_return: slot.episode_return,
            length: slot.episode_len,
            terminated: step.terminated,
            truncated: step.truncated,
        });
        match mode {
            AutoresetMode::NextStep => slot.needs_reset = true,
            AutoresetMode::SameStep => {
                final_obs.copy_from_slice(obs);
                let reason = slot.info.truncation_reason.take();
                slot.env.reset(None, obs, &mut slot.info)?;
                slot.info.truncation_reason = reason;
                slot.episode_return = 0.0;
                slot.episode_len = 0;
            }
        }
    }
    Ok(())
}
