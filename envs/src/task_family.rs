//! A task family: one env that samples one of several member envs per episode, for training a
//! single policy on many tasks (a multi-task prior) or on many conditions (robustness).
//!
//! | | |
//! |---|---|
//! | Members | registered env ids with the same observation and action spaces and control period (each keeps its own time limit) |
//! | Action | the members' action space |
//! | Observation | the member's observation, then (with `task_id`, the default) a one-hot of the member's index, so that the policy knows the task |
//! | Reward, termination, truncation | the member's |
//! | Reset | the member for the episode is drawn uniformly (or by `weights`) from the family's own stream, and reset with a seed drawn from that stream: the same `reset(seed)` gives the same member and the same episode |
//! | Info | the member's, plus `task_index` |
//!
//! A family is registered like any env ([`crate::registry::EnvEntry::with_members`]); its config
//! is a [`TaskFamilyConfig`].

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::env::{check_observation, Env, EnvError, EnvSpec, Info, Step};
use crate::render::RenderState;
use crate::snapshot;
use crate::space::{BoxSpace, Space};

/// Configuration of a task family (every key optional; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskFamilyConfig {
    /// The member env ids.
    pub members: Vec<String>,
    /// Sampling weights, one per member (empty: uniform).
    pub weights: Vec<f64>,
    /// Append a one-hot of the member's index to the observation.
    pub task_id: bool,
    /// Config tables for members, keyed by id (e.g. `[env.member_config."BlimpAltitude-v0"]`).
    pub member_config: toml::Table,
}

impl Default for TaskFamilyConfig {
    fn default() -> Self {
        Self { members: Vec::new(), weights: Vec::new(), task_id: true, member_config: toml::Table::new() }
    }
}

/// The family env. Build it with [`TaskFamily::new`] from made member envs.
pub struct TaskFamily {
    spec: EnvSpec,
    members: Vec<Box<dyn Env>>,
    /// Cumulative sampling weights, normalised (last = 1).
    cumulative: Vec<f64>,
    task_id: bool,
    current: usize,
    /// `reset` has been called (before it, `step` is an error naming the family).
    started: bool,
    rng: Xoshiro256PlusPlus,
}

impl TaskFamily {
    /// A family named `id` over `members` (made with their configs), as `config` says.
    pub fn new(id: &str, members: Vec<Box<dyn Env>>, config: &TaskFamilyConfig) -> Result<Self, EnvError> {
        let err = |message: String| EnvError::Config { env: id.to_string(), message };
        let Some(first) = members.first() else {
            return Err(err("`members` is empty: expected at least one env id".into()));
        };
        let base = first.spec().clone();
        for m in &members[1..] {
            let s = m.spec();
            if s.observation_space != base.observation_space || s.action_space != base.action_space || s.dt != base.dt {
                return Err(err(format!(
                    "members {} and {} differ in observation space, action space or dt; a family's members must share them",
                    base.id, s.id
                )));
            }
        }
        let weights = if config.weights.is_empty() { vec![1.0; members.len()] } else { config.weights.clone() };
        if weights.len() != members.len() || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || weights.iter().sum::<f64>() <= 0.0 {
            return Err(err(format!("`weights` = {:?}: expected one number ≥ 0 per member ({}), not all zero", config.weights, members.len())));
        }
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let mut cumulative: Vec<f64> = weights.iter().map(|w| {
            acc += w / total;
            acc
        }).collect();
        *cumulative.last_mut().expect("non-empty") = 1.0;

        let k = members.len();
        let (observation_space, mut observation_names) = (base.observation_space.clone(), base.observation_names.clone());
        let observation_space = match (config.task_id, observation_space) {
            (false, space) => space,
            (true, Space::Box(b)) => {
                let (mut low, mut high) = (b.low.clone(), b.high.clone());
                low.extend(std::iter::repeat_n(0.0, k));
                high.extend(std::iter::repeat_n(1.0, k));
                observation_names.extend(members.iter().map(|m| format!("task_{}", m.spec().id)));
                Space::Box(BoxSpace { shape: vec![low.len()], low, high })
            }
            (true, other) => return Err(err(format!("`task_id` appends to a Box observation; the members observe {other}"))),
        };
        // Attributes and signals: those every member shares.
        let attrs = base.attrs.iter().copied().filter(|a| members.iter().all(|m| m.spec().attrs.contains(a))).collect();
        let signals = if members.iter().all(|m| m.spec().signals == base.signals) { base.signals.clone() } else { Vec::new() };
        let max_episode_steps = members.iter().map(|m| m.spec().max_episode_steps).max().flatten();
        let spec = EnvSpec {
            id: id.to_string(),
            observation_space,
            action_space: base.action_space.clone(),
            dt: base.dt,
            max_episode_steps,
            attrs,
            observation_names,
            signals,
            episode_metrics: base.episode_metrics.iter().filter(|m| members.iter().all(|o| o.spec().episode_metrics.contains(m))).cloned().collect(),
            goal: None,
        };
        Ok(Self { spec, members, cumulative, task_id: config.task_id, current: 0, started: false, rng: Xoshiro256PlusPlus::seed_from_u64(0) })
    }

    /// The member of the current episode (its index in the family).
    pub fn current(&self) -> usize {
        self.current
    }

    fn split<'a>(&self, obs: &'a mut [f32]) -> (&'a mut [f32], &'a mut [f32]) {
        let inner = self.members[self.current].spec().obs_dim();
        obs.split_at_mut(inner)
    }

    fn write_task_id(&self, tail: &mut [f32]) {
        if self.task_id {
            tail.fill(0.0);
            tail[self.current] = 1.0;
        }
    }
}

impl Env for TaskFamily {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        check_observation(&self.spec, obs)?;
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
        let u: f64 = self.rng.random();
        self.current = self.cumulative.iter().position(|&c| u < c).unwrap_or(self.cumulative.len() - 1);
        let member_seed = self.rng.next_u64();
        let (head, tail) = self.split(obs);
        self.members[self.current].reset(Some(member_seed), head, info)?;
        self.write_task_id(tail);
        info.set("task_index", self.current as f64);
        self.started = true;
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        if !self.started {
            return Err(EnvError::NeedsReset { env: self.spec.id.clone() });
        }
        check_observation(&self.spec, obs)?;
        let current = self.current;
        let (head, tail) = self.split(obs);
        let step = self.members[current].step(action, head, info)?;
        self.write_task_id(tail);
        info.set("task_index", current as f64);
        Ok(step)
    }

    fn render_state(&self) -> RenderState {
        self.members[self.current].render_state()
    }

    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        if self.spec.signals.is_empty() {
            out.clear();
        } else {
            self.members[self.current].physical_state(out);
        }
    }

    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        let members = self.members.iter().map(|m| m.snapshot()).collect::<Result<Vec<_>, _>>()?;
        Ok(snapshot::encode(&FamilySnapshot { id: self.spec.id.clone(), current: self.current, started: self.started, rng: self.rng.clone(), members: members.into_iter().map(MemberBytes).collect() }))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let s: FamilySnapshot = snapshot::decode(&self.spec.id, bytes)?;
        if s.id != self.spec.id || s.members.len() != self.members.len() || s.current >= self.members.len() {
            return Err(EnvError::Snapshot { env: self.spec.id.clone(), message: format!("taken from {} with {} members", s.id, s.members.len()) });
        }
        // Restore into copies first, so that a member's error leaves the family unchanged.
        let before = self.members.iter().map(|m| m.snapshot()).collect::<Result<Vec<_>, _>>()?;
        for (k, m) in s.members.iter().enumerate() {
            if let Err(e) = self.members[k].restore(&m.0) {
                for (j, b) in before.iter().enumerate().take(k) {
                    self.members[j].restore(b)?;
                }
                return Err(e);
            }
        }
        (self.current, self.rng, self.started) = (s.current, s.rng, s.started);
        Ok(())
    }
}

/// One member's snapshot, as a CBOR byte string.
#[derive(Serialize, Deserialize)]
struct MemberBytes(#[serde(with = "crate::snapshot::bytes")] Vec<u8>);

#[derive(Serialize, Deserialize)]
struct FamilySnapshot {
    id: String,
    current: usize,
    started: bool,
    rng: Xoshiro256PlusPlus,
    members: Vec<MemberBytes>,
}
