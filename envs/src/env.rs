//! The Env trait: Gymnasium's `reset`/`step` contract, writing into caller buffers.

use std::fmt;

use crate::render::RenderState;
use crate::signal::Signal;
use crate::space::Space;

/// What one `step` returns besides the observation (which goes into the caller's buffer).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Step {
    pub reward: f64,
    /// The task reached a terminal state (the MDP ended): do not bootstrap.
    pub terminated: bool,
    /// The episode was cut short (time limit, physics blow-up): bootstrap from the last observation.
    pub truncated: bool,
}

impl Step {
    /// The episode is over (terminated or truncated): the next call must be `reset`.
    pub fn done(&self) -> bool {
        self.terminated || self.truncated
    }
}

/// Gymnasium's `info` dict: named scalars, plus a reason when an episode was truncated.
/// Reused across steps: envs clear it and push, so a step allocates nothing once warm.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Info {
    values: Vec<(&'static str, f64)>,
    /// Why the episode was truncated (`"time_limit"`, `"physics_blowup: …"`), if it was.
    pub truncation_reason: Option<String>,
}

impl Info {
    pub fn clear(&mut self) {
        self.values.clear();
        self.truncation_reason = None;
    }

    /// Sets `key` to `value`, replacing an earlier value of `key`.
    pub fn set(&mut self, key: &'static str, value: f64) {
        match self.values.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.values.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.values.iter().copied()
    }
}

/// Static facts about an env: its id, spaces and timing, plus named attributes that
/// controllers built for one body may need (e.g. a swimmer's `n_links`, `joint_range`).
#[derive(Debug, Clone, PartialEq)]
pub struct EnvSpec {
    /// Registry id, e.g. `Swimmer6-v0`.
    pub id: String,
    pub observation_space: Space,
    pub action_space: Space,
    /// Control period (s): simulated time per `step`.
    pub dt: f64,
    /// Steps after which the episode is truncated (Gymnasium's `TimeLimit`).
    pub max_episode_steps: Option<usize>,
    /// Body-specific facts, e.g. `("n_links", 6.0)`, `("joint_range", 1.047)` (SI units).
    pub attrs: Vec<(&'static str, f64)>,
    /// Names of the observation's entries, in order (for traces and docs).
    pub observation_names: Vec<String>,
    /// What [`Env::physical_state`] reports, in its order: each signal's name, SI unit, limits and
    /// which signal it is the reference of (for traces, the viewer's scope and reports).
    pub signals: Vec<Signal>,
    /// What the `info` of an episode's last step summarises about the episode (tracking errors,
    /// energy), for evaluation and benchmark reports; the return is not listed (every env has it).
    pub episode_metrics: Vec<crate::EpisodeMetric>,
    /// For a goal-conditioned env (Gymnasium-Robotics' `GoalEnv`: the hand's tasks), where its
    /// achieved and desired goals sit in the observation; the env's [`Env::compute_reward`] and
    /// [`Env::is_success`] take such goals. `None` for other envs.
    pub goal: Option<GoalSpec>,
}

/// Where a goal-conditioned env's goals sit in its flat observation: the entries
/// `achieved` and `desired` of equal length. Gymnasium-Robotics' Dict observation is
/// `desired_goal = obs[desired]`, `achieved_goal = obs[achieved]` and `observation` the rest of
/// the vector (the achieved goal included, as there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalSpec {
    pub achieved: std::ops::Range<usize>,
    pub desired: std::ops::Range<usize>,
}

impl GoalSpec {
    pub fn len(&self) -> usize {
        self.desired.len()
    }

    pub fn is_empty(&self) -> bool {
        self.desired.is_empty()
    }
}

impl EnvSpec {
    pub fn attr(&self, key: &str) -> Option<f64> {
        self.attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// Index of the observation entry named `name` ([`EnvSpec::observation_names`]).
    pub fn observation_index(&self, name: &str) -> Option<usize> {
        self.observation_names.iter().position(|n| n == name)
    }

    pub fn obs_dim(&self) -> usize {
        self.observation_space.flat_dim()
    }

    pub fn act_dim(&self) -> usize {
        self.action_space.flat_dim()
    }
}

/// Errors an env reports for bad input or misuse; never a panic.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvError {
    /// The action has the wrong number of entries.
    ActionLength { env: String, expected: usize, got: usize },
    /// An action entry is NaN or infinite.
    NonFiniteAction { env: String, index: usize, value: f32 },
    /// An output buffer has the wrong length.
    BufferLength { what: &'static str, expected: usize, got: usize },
    /// `step` was called before `reset`, or after the episode ended without a `reset`.
    NeedsReset { env: String },
    /// The env id is not registered; lists the valid ids.
    UnknownEnv { id: String, valid: Vec<String> },
    /// The env's configuration could not be read or is invalid.
    Config { env: String, message: String },
    /// A snapshot could not be taken, or could not be restored (unreadable, or another env's).
    Snapshot { env: String, message: String },
    /// A goal-conditioned call (`compute_reward`, `is_success`) on an env without goals, or with
    /// goals of the wrong length.
    Goal { env: String, message: String },
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvError::ActionLength { env, expected, got } => {
                write!(f, "{env}: action has {got} entries, expected {expected}")
            }
            EnvError::NonFiniteAction { env, index, value } => {
                write!(f, "{env}: action[{index}] is {value}, expected a finite number")
            }
            EnvError::BufferLength { what, expected, got } => {
                write!(f, "{what} buffer has length {got}, expected {expected}")
            }
            EnvError::NeedsReset { env } => {
                write!(f, "{env}: step() called before reset() or after the episode ended; call reset() first")
            }
            EnvError::UnknownEnv { id, valid } => {
                write!(f, "unknown env id `{id}`; registered ids: {}", valid.join(", "))
            }
            EnvError::Config { env, message } => write!(f, "{env}: invalid config: {message}"),
            EnvError::Snapshot { env, message } => write!(f, "{env}: snapshot: {message}"),
            EnvError::Goal { env, message } => write!(f, "{env}: {message}"),
        }
    }
}

impl std::error::Error for EnvError {}

impl EnvError {
    /// The error of an env that cannot snapshot its state.
    pub fn snapshot_unsupported(env: &str) -> Self {
        EnvError::Snapshot { env: env.to_string(), message: "this env cannot snapshot its state, so training on it cannot resume exactly".into() }
    }

    /// The error of a goal-conditioned call on an env without goals.
    pub fn not_goal_conditioned(env: &str) -> Self {
        EnvError::Goal { env: env.to_string(), message: "this env is not goal-conditioned (it has no achieved and desired goals)".into() }
    }

    /// A config error of env `env` (see [`crate::config`]).
    pub fn config(env: &str, e: crate::config::ConfigError) -> Self {
        EnvError::Config { env: env.to_string(), message: e.message }
    }
}

/// A reinforcement-learning environment with Gymnasium's semantics.
///
/// * `reset(Some(seed))` reseeds the env's random generator, so the same seed
///   (and the same actions) gives the same trajectory bit for bit;
///   `reset(None)` continues the generator's stream.
/// * `step` returns reward, `terminated` (the task ended) and `truncated`
///   (cut short: time limit, physics blow-up, with the reason in `info`).
/// * Observations are written into the caller's buffer of length `obs_dim`.
/// * Actions outside a bounded `Box` action space are clipped to it (documented
///   per task); NaN or infinite actions and wrong lengths are errors.
pub trait Env: Send {
    fn spec(&self) -> &EnvSpec;

    /// Starts an episode and writes the first observation into `obs`.
    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError>;

    /// Advances one control period.
    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError>;

    /// Shapes and poses for a viewer (SI units, world frame).
    fn render_state(&self) -> RenderState;

    /// Named physical state in SI units (for traces), e.g. `("joint_0_angle", 0.1)`: the
    /// signals of [`EnvSpec::signals`], in that order.
    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        out.clear();
    }

    /// The env's complete state (body, random generator, episode counters) as bytes, such that
    /// [`Env::restore`] continues every trajectory bit for bit: what exact resume of training
    /// needs (see [`crate::snapshot`]). Envs that cannot return [`EnvError::Snapshot`].
    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        Err(EnvError::snapshot_unsupported(&self.spec().id))
    }

    /// Restores a [`Env::snapshot`] of an env with the same id and config. On error the env is
    /// unchanged.
    fn restore(&mut self, snapshot: &[u8]) -> Result<(), EnvError> {
        let _ = snapshot;
        Err(EnvError::snapshot_unsupported(&self.spec().id))
    }

    /// Gymnasium-Robotics' `compute_reward(achieved_goal, desired_goal, info)`: the reward of a
    /// step that ended with goal `achieved` when `desired` was asked (each of
    /// [`GoalSpec::len`] entries). It depends on nothing else, so hindsight relabelling (HER)
    /// may call it with any pair. Envs without [`EnvSpec::goal`] return [`EnvError::Goal`].
    fn compute_reward(&self, achieved: &[f32], desired: &[f32]) -> Result<f64, EnvError> {
        let _ = (achieved, desired);
        Err(EnvError::not_goal_conditioned(&self.spec().id))
    }

    /// Whether goal `achieved` counts as reaching `desired` (`info["is_success"]`).
    fn is_success(&self, achieved: &[f32], desired: &[f32]) -> Result<bool, EnvError> {
        let _ = (achieved, desired);
        Err(EnvError::not_goal_conditioned(&self.spec().id))
    }
}

/// Checks a goal pair's lengths against `spec`'s [`GoalSpec`]: what every goal-conditioned
/// env's `compute_reward` and `is_success` do first.
pub fn check_goals(spec: &EnvSpec, achieved: &[f32], desired: &[f32]) -> Result<(), EnvError> {
    let Some(goal) = &spec.goal else { return Err(EnvError::not_goal_conditioned(&spec.id)) };
    if achieved.len() != goal.len() || desired.len() != goal.len() {
        return Err(EnvError::Goal {
            env: spec.id.clone(),
            message: format!("goals have {} (achieved) and {} (desired) entries, expected {}", achieved.len(), desired.len(), goal.len()),
        });
    }
    Ok(())
}

/// Checks an action against a Box action space: length and finiteness. Returns the action clipped into `scratch`.
pub fn check_action<'a>(spec: &EnvSpec, action: &[f32], scratch: &'a mut Vec<f32>) -> Result<&'a [f32], EnvError> {
    let dim = spec.act_dim();
    if action.len() != dim {
        return Err(EnvError::ActionLength { env: spec.id.clone(), expected: dim, got: action.len() });
    }
    if let Some((index, &value)) = action.iter().enumerate().find(|(_, a)| !a.is_finite()) {
        return Err(EnvError::NonFiniteAction { env: spec.id.clone(), index, value });
    }
    scratch.clear();
    scratch.extend_from_slice(action);
    if let Space::Box(b) = &spec.action_space {
        b.clip(scratch);
    }
    Ok(scratch)
}

/// Checks the caller's observation buffer against the observation space's size: what every
/// task's `reset` and `step` do before writing into it.
pub fn check_observation(spec: &EnvSpec, obs: &[f32]) -> Result<(), EnvError> {
    let expected = spec.obs_dim();
    if obs.len() != expected {
        return Err(EnvError::BufferLength { what: "observation", expected, got: obs.len() });
    }
    Ok(())
}

/// Convenience calls that allocate their buffers: for scripts and tests, not hot loops.
pub trait EnvExt: Env {
    fn reset_vec(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info), EnvError> {
        let mut obs = vec![0.0; self.spec().obs_dim()];
        let mut info = Info::default();
        self.reset(seed, &mut obs, &mut info)?;
        Ok((obs, info))
    }

    fn step_vec(&mut self, action: &[f32]) -> Result<(Vec<f32>, Step, Info), EnvError> {
        let mut obs = vec![0.0; self.spec().obs_dim()];
        let mut info = Info::default();
        let step = self.step(action, &mut obs, &mut info)?;
        Ok((obs, step, info))
    }
}

impl<E: Env + ?Sized> EnvExt for E {}

impl<E: Env + ?Sized> Env for Box<E> {
    fn spec(&self) -> &EnvSpec {
        (**self).spec()
    }
    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        (**self).reset(seed, obs, info)
    }
    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        (**self).step(action, obs, info)
    }
    fn render_state(&self) -> RenderState {
        (**self).render_state()
    }
    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        (**self).physical_state(out)
    }
    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        (**self).snapshot()
    }
    fn restore(&mut self, snapshot: &[u8]) -> Result<(), EnvError> {
        (**self).restore(snapshot)
    }
    fn compute_reward(&self, achieved: &[f32], desired: &[f32]) -> Result<f64, EnvError> {
        (**self).compute_reward(achieved, desired)
    }
    fn is_success(&self, achieved: &[f32], desired: &[f32]) -> Result<bool, EnvError> {
        (**self).is_success(achieved, desired)
    }
}

impl fmt::Debug for dyn Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Env({})", self.spec().id)
    }
}
