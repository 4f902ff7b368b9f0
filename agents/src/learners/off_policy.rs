//! What the off-policy learners (TD3, DDPG, SAC) share besides their actors: the env they
//! interact with, one step at a time, filling the replay buffer; minibatches drawn from it; the
//! critics, their targets and their regression; the schedule of their metrics rows and
//! checkpoints; and the part of their checkpoint that holds the env mid-episode.
//!
//! Truncated episodes are bootstrapped: the stored `done` is `terminated` only, and the stored
//! next observation is the episode's final one.

use controllers::Activation;
use envs::{Env, Info, Step};
use rand::rngs::Xoshiro256PlusPlus;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::learners::her::Her;
use crate::learners::replay::Replay;
use crate::nets::{Dense, RunningMeanStd, Tape};
use crate::optim::{polyak, FlatAdam};
use crate::run::checkpoint::{TensorList, Tensors};
use crate::run::Run;
use crate::{seeds, AgentError};

/// The env side of an off-policy learner: the env mid-episode, its observation and counters.
pub struct Interaction {
    pub env: Box<dyn Env>,
    /// The observation the next action answers.
    pub obs: Vec<f32>,
    next_obs: Vec<f32>,
    info: Info,
    pub episode: u64,
    /// Steps taken in the current episode.
    pub ep_step: usize,
    pub ep_return: f64,
    /// Returns of the episodes finished since the last metrics row.
    pub recent: Vec<f64>,
    /// Episode k is reset with seed `mix(seed, [stream, k])`.
    seed: u64,
    stream: u64,
}

/// [`Interaction`]'s part of a checkpoint (with the replay buffer's fill state).
#[derive(Serialize, Deserialize)]
pub struct InteractionState {
    episode: u64,
    #[serde(default)]
    ep_step: usize,
    ep_return: f64,
    obs: Vec<f32>,
    recent: Vec<f64>,
    replay_len: usize,
    replay_next: usize,
    #[serde(with = "envs::snapshot::bytes")]
    env: Vec<u8>,
}

impl Interaction {
    /// Interacts with `env`; episode resets draw their seeds from `(seed, stream)`.
    pub fn new(env: Box<dyn Env>, seed: u64, stream: u64) -> Self {
        let d = env.spec().obs_dim();
        Self { env, obs: vec![0.0; d], next_obs: vec![0.0; d], info: Info::default(), episode: 0, ep_step: 0, ep_return: 0.0, recent: Vec::new(), seed, stream }
    }

    /// Starts the first episode.
    pub fn reset(&mut self) -> Result<(), AgentError> {
        self.env.reset(Some(seeds::mix(self.seed, &[self.stream, self.episode])), &mut self.obs, &mut self.info)?;
        Ok(())
    }

    /// Takes `action`, stores the transition in `replay` (with the NCAP oscillator's drive `osc` at
    /// the observation and `next_osc` at the next one), counts the step in `run`, and at an
    /// episode's end logs its return and starts the next episode.
    pub fn step(&mut self, action: &[f32], replay: &mut Replay, (osc, next_osc): (f32, f32), run: &mut Run) -> Result<Step, AgentError> {
        let s = self.env.step(action, &mut self.next_obs, &mut self.info)?;
        run.progress.env_steps += 1;
        self.ep_return += s.reward;
        replay.push(&self.obs, &self.next_obs, action, s.reward as f32, s.terminated, osc, next_osc);
        if s.done() {
            replay.end_episode();
            self.recent.push(self.ep_return);
            run.log_episode(self.ep_return, self.ep_step as u64 + 1)?;
            self.episode += 1;
            self.env.reset(Some(seeds::mix(self.seed, &[self.stream, self.episode])), &mut self.obs, &mut self.info)?;
            self.ep_step = 0;
            self.ep_return = 0.0;
        } else {
            self.obs.copy_from_slice(&self.next_obs);
            self.ep_step += 1;
        }
        Ok(s)
    }

    /// The checkpointed part, and the replay buffer's tensors to save beside it.
    pub fn state(&self, replay: &Replay) -> Result<InteractionState, AgentError> {
        Ok(InteractionState {
            episode: self.episode,
            ep_step: self.ep_step,
            ep_return: self.ep_return,
            obs: self.obs.clone(),
            recent: self.recent.clone(),
            replay_len: replay.len,
            replay_next: replay.next,
            env: self.env.snapshot()?,
        })
    }

    /// Restores the env mid-episode and refills `replay` from a checkpoint.
    pub fn restore(&mut self, saved: InteractionState, replay: &mut Replay, tensors: &mut Tensors) -> Result<(), AgentError> {
        let path = tensors.path().to_path_buf();
        replay.restore(tensors.map(), saved.replay_len, saved.replay_next, &path)?;
        if saved.obs.len() != self.obs.len() {
            return Err(AgentError::invalid(format!("{}: the saved observation has {} entries, not {}", path.display(), saved.obs.len(), self.obs.len())));
        }
        self.env.restore(&saved.env)?;
        (self.obs, self.episode, self.ep_step, self.ep_return, self.recent) = (saved.obs, saved.episode, saved.ep_step, saved.ep_return, saved.recent);
        Ok(())
    }
}

/// A minibatch of transitions, row-major (`[B, ·]`; rewards, dones and oscillator drives `[B]`),
/// in buffers reused from update to update.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    idx: Vec<usize>,
    pub obs: Vec<f32>,
    pub next_obs: Vec<f32>,
    pub actions: Vec<f32>,
    pub rewards: Vec<f32>,
    pub dones: Vec<f32>,
    pub osc: Vec<f32>,
    pub next_osc: Vec<f32>,
}

impl Batch {
    /// Draws `size` transitions uniformly (with replacement) from `replay` with `rng`,
    /// relabelling goals with `her` if given ([`crate::learners::her`]), then normalising the
    /// observations with `norm` if given.
    pub fn sample(&mut self, replay: &Replay, size: usize, rng: &mut Xoshiro256PlusPlus, her: Option<&Her>, norm: Option<&ObsNorm>) -> Result<(), AgentError> {
        self.idx.clear();
        self.idx.extend((0..size).map(|_| rng.random_range(0..replay.len)));
        let idx = &self.idx;
        Replay::gather_into(&replay.obs, replay.d, idx, &mut self.obs);
        Replay::gather_into(&replay.next_obs, replay.d, idx, &mut self.next_obs);
        Replay::gather_into(&replay.actions, replay.a, idx, &mut self.actions);
        Replay::gather_into(&replay.rewards, 1, idx, &mut self.rewards);
        Replay::gather_into(&replay.dones, 1, idx, &mut self.dones);
        Replay::gather_into(&replay.osc, 1, idx, &mut self.osc);
        Replay::gather_into(&replay.next_osc, 1, idx, &mut self.next_osc);
        if let Some(her) = her {
            her.relabel(replay, idx, &mut self.obs, &mut self.next_obs, &mut self.rewards, rng)?;
        }
        if let Some(norm) = norm {
            norm.apply(&mut self.obs);
            norm.apply(&mut self.next_obs);
        }
        Ok(())
    }
}

/// Observation normalisation for an off-policy learner (the HER baselines' normaliser, as
/// Gymnasium's `NormalizeObservation` computes it): running statistics of every observation the
/// actor is shown, `clip((obs − mean)/std, ±clip)` in front of the actor and the critics. The
/// replay buffer keeps raw observations (so that HER relabels and recomputes rewards on raw
/// goals); minibatches are normalised after relabelling, with the statistics of that moment.
/// The evaluation policy carries them as the `mlp` policy's `obs_mean`, `obs_std` and
/// `obs_clip` buffers, so `nerve eval` normalises exactly as the actor saw.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObsNorm {
    pub rms: RunningMeanStd,
    pub clip: f32,
    #[serde(skip)]
    mean: Vec<f32>,
    #[serde(skip)]
    std: Vec<f32>,
}

impl ObsNorm {
    pub fn new(d: usize, clip: f32) -> Self {
        let mut n = Self { rms: RunningMeanStd::new(d), clip, mean: Vec::new(), std: Vec::new() };
        n.refresh();
        n
    }

    /// The f32 mean and std the normalisation uses, from the f64 statistics.
    fn refresh(&mut self) {
        self.mean.clear();
        self.mean.extend(self.rms.mean.iter().map(|&m| m as f32));
        self.std.clear();
        self.std.extend(self.rms.std().iter().map(|&s| s as f32));
    }

    /// Folds one observation (or a batch of rows) into the statistics.
    pub fn observe(&mut self, obs: &[f32]) {
        self.rms.update(obs);
        self.refresh();
    }

    /// Normalises rows of observations in place (the `mlp` policy's arithmetic, bit for bit).
    pub fn apply(&self, rows: &mut [f32]) {
        let d = self.mean.len();
        for row in rows.chunks_exact_mut(d) {
            for ((x, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *x = ((*x - m) / s).clamp(-self.clip, self.clip);
            }
        }
    }

    /// The `mlp` policy's buffers that reproduce [`ObsNorm::apply`].
    pub fn buffers(&self) -> Vec<(&'static str, Vec<f32>)> {
        vec![("obs_mean", self.mean.clone()), ("obs_std", self.std.clone()), ("obs_clip", vec![self.clip])]
    }

    /// The normaliser a resumed run continues with: the checkpoint's (`saved`, with what
    /// `serde` skipped recomputed), refused if the checkpoint was trained with
    /// `normalize_obs` otherwise than the config says.
    pub fn resume(saved: Option<ObsNorm>, normalize_obs: bool, checkpoint: &std::path::Path) -> Result<Option<ObsNorm>, AgentError> {
        if saved.is_some() != normalize_obs {
            return Err(AgentError::invalid(format!(
                "{}: the checkpoint was trained with normalize_obs = {}, the config says {normalize_obs}",
                checkpoint.display(),
                saved.is_some()
            )));
        }
        Ok(saved.map(|mut n| {
            n.refresh();
            n
        }))
    }
}

/// `obs` normalised by `norm` (into `buf`), or `obs` itself without a normaliser.
pub fn normalized<'a>(norm: Option<&ObsNorm>, obs: &'a [f32], buf: &'a mut Vec<f32>) -> &'a [f32] {
    match norm {
        Some(norm) => {
            buf.clear();
            buf.extend_from_slice(obs);
            norm.apply(buf);
            buf
        }
        None => obs,
    }
}

/// The update schedule an off-policy learner shares: after `learning_starts` env steps, every
/// `train_frequency` steps, `gradient_steps` updates (Stable-Baselines3's `train_freq` and
/// `gradient_steps`; 1 and 1 is CleanRL's one update per step).
pub fn updates_due(step: u64, learning_starts: u64, train_frequency: u64, gradient_steps: u64) -> u64 {
    if step > learning_starts && (step - learning_starts) % train_frequency == 0 {
        gradient_steps
    } else {
        0
    }
}

/// The critics `Q(s, a)` of an off-policy learner (ReLU MLPs on `[obs | action]`), their
/// Polyak-averaged targets and their Adam: what TD3, DDPG and SAC share. All critics' parameters
/// are one vector, critic 0's first (the layout of the candle version's checkpoints).
pub struct Critics {
    net: Dense,
    count: usize,
    d: usize,
    a: usize,
    pub params: Vec<f32>,
    pub targets: Vec<f32>,
    pub adam: FlatAdam,
    /// ∂L/∂params of the last regression, and ∂L/∂Q.
    grad: Vec<f32>,
    grad_q: Vec<f32>,
}

impl Critics {
    /// `count` critics with `hidden` widths for `d`-D observations and `a`-D actions, drawn from
    /// `rng` one after the other; Adam at `learning_rate`.
    pub fn new(count: usize, d: usize, a: usize, hidden: &[usize], learning_rate: f64, rng: &mut Xoshiro256PlusPlus) -> Self {
        let net = Dense::mlp(d + a, hidden, 1, Activation::Relu);
        let params: Vec<f32> = (0..count).flat_map(|_| net.init(1.0, rng)).collect();
        Self { count, d, a, adam: FlatAdam::new(params.len(), learning_rate, 1e-8), targets: params.clone(), grad: vec![0.0; params.len()], grad_q: Vec::new(), params, net }
    }

    /// Q(s, a) of critic `k` (of the targets if `target`) for a batch, its activations in `tape`.
    pub fn q<'t>(&self, target: bool, k: usize, obs: &[f32], act: &[f32], batch: usize, tape: &'t mut Tape) -> &'t [f32] {
        let (d, a, n) = (self.d, self.a, self.net.n_params());
        let input = self.net.input(tape, batch);
        for (row, (o, u)) in input.chunks_exact_mut(d + a).zip(obs.chunks_exact(d).zip(act.chunks_exact(a))) {
            row[..d].copy_from_slice(o);
            row[d..].copy_from_slice(u);
        }
        let params = if target { &self.targets } else { &self.params };
        self.net.forward(&params[k * n..(k + 1) * n], tape)
    }

    /// One Adam step of every critic down Σₖ mean((Qₖ(s, a) − target)²); returns that loss and
    /// the last critic's mean Q.
    pub fn regress(&mut self, obs: &[f32], act: &[f32], target: &[f32], tape: &mut Tape) -> (f32, f32) {
        let (batch, n) = (target.len(), self.net.n_params());
        let (mut loss, mut q_mean) = (0.0, 0.0);
        for k in 0..self.count {
            let q = self.q(false, k, obs, act, batch, tape);
            q_mean = q.iter().sum::<f32>() / batch as f32;
            // ∂/∂Q of the mean squared error: 2(Q − target)/B.
            self.grad_q.clear();
            let mut sq = 0.0;
            for (qi, ti) in q.iter().zip(target) {
                let e = qi - ti;
                sq += e * e;
                self.grad_q.push(2.0 * e / batch as f32);
            }
            loss += sq / batch as f32;
            self.net.backward(&self.params[k * n..(k + 1) * n], tape, &self.grad_q, Some(&mut self.grad[k * n..(k + 1) * n]), None);
        }
        self.adam.step(&mut self.params, &self.grad);
        (loss, q_mean)
    }

    /// ∂L/∂action (`[B, a]`, into `grad_action`) through critic `k`'s last forward on `tape`,
    /// given ∂L/∂Q = `grad_q`.
    pub fn action_gradient(&self, k: usize, tape: &mut Tape, grad_q: &[f32], grad_action: &mut Vec<f32>) {
        let (d, a, n) = (self.d, self.a, self.net.n_params());
        grad_action.resize(tape.batch * a, 0.0);
        self.net.backward(&self.params[k * n..(k + 1) * n], tape, grad_q, None, Some((grad_action, d..d + a)));
    }

    /// The targets take a fraction `tau` of the way to the critics.
    pub fn soft_update(&mut self, tau: f64) {
        polyak(&mut self.targets, &self.params, tau);
    }

    /// Tensors `critics`, `target_critics` and the Adam's `{adam}.m`, `{adam}.v`.
    pub fn save<'s>(&'s self, tensors: &mut TensorList<'s>, adam: &str) {
        tensors.add("critics", &self.params).add("target_critics", &self.targets).flat_adam(adam, &self.adam);
    }

    /// Restores what [`Critics::save`] wrote (the Adam at step `adam_t`).
    pub fn restore(&mut self, t: &mut Tensors, adam: &str, adam_t: u64) -> Result<(), AgentError> {
        t.take_into("critics", &mut self.params)?;
        t.take_into("target_critics", &mut self.targets)?;
        t.take_flat_adam(adam, &mut self.adam, adam_t)
    }
}

/// Whether env step `step` (1-based, just taken) ends a metrics row: every `every` steps, and the
/// budget's last step.
pub fn row_due(step: u64, every: u64, budget: u64) -> bool {
    step % every == 0 || step == budget
}

/// Whether the averages behind a row restart after it: on the evaluation grid only, so that a
/// final row off the grid keeps them running and raising the budget then resuming continues
/// them as an uninterrupted run would.
pub fn on_grid(step: u64, every: u64) -> bool {
    step % every == 0
}

/// Whether to write the resumable checkpoint after `step`: on a stop, every `every` steps
/// (0: never on a schedule), and at the budget's end.
pub fn checkpoint_due(step: u64, every: u64, budget: u64, stopped: bool) -> bool {
    stopped || (every > 0 && step % every == 0) || step >= budget
}

/// The mean of `x`, NaN for none.
pub fn average(x: &[f64]) -> f64 {
    if x.is_empty() {
        f64::NAN
    } else {
        x.iter().sum::<f64>() / x.len() as f64
    }
}
