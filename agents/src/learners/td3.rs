//! TD3 (Fujimoto, van Hoof & Meger, 2018) after CleanRL's `td3_continuous_action.py`, and DDPG
//! (Lillicrap et al., 2016) as its special case: one critic, no target-policy smoothing, the
//! actor updated every step. A deterministic actor — an MLP squashed into the action box, or
//! the NCAP circuit (as the NCAP paper trained it with DDPG) — explores with Gaussian noise;
//! critics `Q(s, a)` are MLPs on the observation and action; targets track by Polyak averaging.
//!
//! One env ([`crate::learners::off_policy`]: truncated episodes are bootstrapped).

use candle_core::{Device, Tensor};
use controllers::ncap::oscillator;
use controllers::tanh_approx;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::learners::off_policy::{average, checkpoint_due, normalized, on_grid, row_due, updates_due, Batch, Critics, Interaction, InteractionState, ObsNorm};
use crate::learners::her::Her;
use crate::learners::replay::Replay;
use crate::nets::{flatten, Actor, Dense, Tape};
use crate::optim::{polyak, FlatAdam, TensorAdam};
use crate::run::checkpoint::{TensorList, Tensors};
use crate::run::{rows_every_steps, Progress, Run, Summary, TrainContext};
use crate::{seeds, AgentError};

/// TD3/DDPG hyperparameters (CleanRL's defaults; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Td3Config {
    pub buffer_size: usize,
    pub gamma: f64,
    /// Polyak coefficient of the target networks.
    pub tau: f64,
    pub batch_size: usize,
    /// Std of the target-policy smoothing noise (in action-scale units); TD3 only.
    pub policy_noise: f64,
    /// Clip of the smoothing noise; TD3 only.
    pub noise_clip: f64,
    /// Std of the exploration noise (in action-scale units).
    pub exploration_noise: f64,
    /// Steps of uniformly random actions before learning starts.
    pub learning_starts: u64,
    /// Update the actor (and targets) every this many critic updates; TD3 only (DDPG: 1).
    pub policy_frequency: u64,
    pub learning_rate: f64,
    /// Hidden widths of the critics (ReLU). An `mlp` actor has the `mlp` policy's architecture
    /// (`[policy]`, by default 64×64 tanh), so that `nerve eval --checkpoint` rebuilds it.
    pub hidden: Vec<usize>,
    pub eval_episodes: usize,
    /// Evaluate every this many env steps (and at the end).
    pub eval_every_steps: u64,
    /// Write the resumable checkpoint (replay buffer included) every this many env steps, besides
    /// at the end and on a stop (0: only then).
    pub checkpoint_every_steps: u64,
    /// Hindsight experience replay ([`crate::learners::her`], the "future" strategy): k relabelled
    /// goals per real one (a fraction k/(k + 1) of each minibatch); 0: off. Needs a
    /// goal-conditioned env (the hand tasks, `PointReach-v0`); Gymnasium-Robotics' baselines use 4.
    pub her_future_goals: usize,
    /// Update every this many env steps (after `learning_starts`), `gradient_steps` times
    /// (Stable-Baselines3's `train_freq` and `gradient_steps`; the HER baselines' 2 episodes
    /// then 40 updates is 100 and 40 on a 50-step task).
    pub train_frequency: u64,
    pub gradient_steps: u64,
    /// Normalise observations (running mean and std, clipped to ±`clip_obs`) in front of the
    /// actor and the critics, as the HER baselines do ([`ObsNorm`]); `mlp` actors only.
    pub normalize_obs: bool,
    pub clip_obs: f64,
    /// Probability of a uniformly random action instead of μ(s) + noise after learning starts
    /// (the HER baselines' `random_eps`, 0.3).
    pub random_action_prob: f64,
    /// Weight of the actor's action penalty `mean(((μ − centre)/half_range)²)` (the HER
    /// baselines' `action_l2`, 1.0).
    pub action_l2: f64,
    /// Clip the critics' regression target `r + γ·(1 − done)·Q'` to `[lo, hi]` (empty: no
    /// clip). The HER baselines clip to [−1/(1 − γ), 0] on their −1/0 rewards: no return can
    /// lie outside, and a single critic (DDPG) otherwise drifts above 0.
    pub target_q_range: Vec<f64>,
}

impl Default for Td3Config {
    fn default() -> Self {
        Self {
            buffer_size: 1_000_000,
            gamma: 0.99,
            tau: 0.005,
            batch_size: 256,
            policy_noise: 0.2,
            noise_clip: 0.5,
            exploration_noise: 0.1,
            learning_starts: 25_000,
            policy_frequency: 2,
            learning_rate: 3e-4,
            hidden: vec![256, 256],
            eval_episodes: 5,
            eval_every_steps: 5_000,
            checkpoint_every_steps: 100_000,
            her_future_goals: 0,
            train_frequency: 1,
            gradient_steps: 1,
            normalize_obs: false,
            clip_obs: 5.0,
            random_action_prob: 0.0,
            action_l2: 0.0,
            target_q_range: Vec::new(),
        }
    }
}

impl Td3Config {
    pub fn validate(&self, agent: &str) -> Result<(), AgentError> {
        if self.batch_size == 0 || self.buffer_size < self.batch_size || self.eval_episodes == 0 || self.eval_every_steps == 0 || self.policy_frequency == 0 || self.train_frequency == 0 || self.gradient_steps == 0 {
            return Err(AgentError::invalid(format!(
                "agent `{agent}`: batch_size, eval_episodes, eval_every_steps, policy_frequency, train_frequency and gradient_steps must be ≥ 1, and buffer_size ≥ batch_size"
            )));
        }
        if !(self.clip_obs > 0.0) {
            return Err(AgentError::invalid(format!("agent `{agent}`: `clip_obs` = {}: expected a number > 0", self.clip_obs)));
        }
        if !(self.action_l2 >= 0.0 && self.action_l2.is_finite()) {
            return Err(AgentError::invalid(format!("agent `{agent}`: `action_l2` = {}: expected a number ≥ 0", self.action_l2)));
        }
        for (k, v) in [("tau", self.tau), ("gamma", self.gamma), ("random_action_prob", self.random_action_prob)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(AgentError::invalid(format!("agent `{agent}`: `{k}` = {v}: expected a number in [0, 1]")));
            }
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(AgentError::invalid(format!("agent `{agent}`: `learning_rate` = {}: expected a number > 0", self.learning_rate)));
        }
        match self.target_q_range[..] {
            [] => {}
            [lo, hi] if lo.is_finite() && hi.is_finite() && lo < hi => {}
            _ => {
                return Err(AgentError::invalid(format!(
                    "agent `{agent}`: `target_q_range` = {:?}: expected [] (no clip) or [lo, hi] with finite lo < hi",
                    self.target_q_range
                )))
            }
        }
        crate::learners::check_widths(agent, "hidden", &self.hidden)
    }

    /// Refuses a policy these hyperparameters cannot train: `normalize_obs` needs an `mlp`
    /// actor.
    pub fn check_policy(&self, agent: &str, policy: &str) -> Result<(), AgentError> {
        if self.normalize_obs && policy != "mlp" {
            return Err(AgentError::invalid(format!("agent `{agent}`: `normalize_obs` works with the `mlp` policy, not `{policy}` (the circuit reads raw joint angles)")));
        }
        Ok(())
    }
}

pub const COLUMNS: &[&str] = &["env_steps", "wall_time_s", "episode_return", "eval_return", "eval_return_std", "critic_loss", "actor_loss", "q_mean"];

/// TD3 with `twin = true`; DDPG with `twin = false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Td3,
    Ddpg,
}

impl Variant {
    /// The agent's name (`td3`, `ddpg`).
    pub fn agent(self) -> &'static str {
        match self {
            Variant::Td3 => "td3",
            Variant::Ddpg => "ddpg",
        }
    }
}

/// The deterministic actor μ(s): an MLP squashed into the action box (hand-derived,
/// [`crate::nets::dense`]), or the NCAP circuit (on candle, whose autograd runs its clamps and
/// constraints; the critics hand it ∂L/∂μ).
enum Td3Actor {
    Mlp {
        net: Dense,
        params: Vec<f32>,
        target: Vec<f32>,
        adam: FlatAdam,
        low: Vec<f32>,
        half_range: Vec<f32>,
        tape: Tape,
        /// tanh of the last training forward's output, μ itself, and the parameters' gradient.
        squashed: Vec<f32>,
        mu: Vec<f32>,
        grad: Vec<f32>,
    },
    Ncap { actor: Actor, target: Actor, adam: TensorAdam, mu: Option<Tensor>, mu_values: Vec<f32> },
}

impl Td3Actor {
    fn build(agent: &str, policy: &str, policy_config: Option<&toml::Table>, spec: &envs::EnvSpec, action_box: &envs::BoxSpace, lr: f64, rng: &mut Xoshiro256PlusPlus) -> Result<Self, AgentError> {
        if policy == "mlp" {
            let config = controllers::MlpConfig::parse(policy_config)?;
            let net = Dense::mlp(spec.obs_dim(), &config.hidden, spec.act_dim(), config.activation);
            let params = net.init(0.01, rng);
            let n = params.len();
            Ok(Td3Actor::Mlp {
                adam: FlatAdam::new(params.len(), lr, 1e-8),
                target: params.clone(),
                params,
                net,
                low: action_box.low.clone(),
                half_range: action_box.low.iter().zip(&action_box.high).map(|(l, h)| (h - l) / 2.0).collect(),
                tape: Tape::default(),
                squashed: Vec::new(),
                mu: Vec::new(),
                grad: vec![0.0; n],
            })
        } else {
            let actor = Actor::build(agent, policy, policy_config, spec, action_box, rng)?;
            let target = actor.deep_copy()?;
            let adam = TensorAdam::new(actor.vars(), lr, 1e-8)?;
            Ok(Td3Actor::Ncap { actor, target, adam, mu: None, mu_values: Vec::new() })
        }
    }

    fn oscillator_period(&self) -> usize {
        match self {
            Td3Actor::Ncap { actor, .. } => actor.oscillator_period(),
            Td3Actor::Mlp { .. } => controllers::ncap::NcapConfig::default().oscillator_period,
        }
    }

    /// μ(s) (of the target network if `target`) for `batch` observations with dorsal drives
    /// `osc`; with `train`, kept for [`Td3Actor::descend`].
    fn forward(&mut self, obs: &[f32], osc: &[f32], batch: usize, target: bool, train: bool) -> Result<&[f32], AgentError> {
        match self {
            Td3Actor::Mlp { net, params, target: target_p, low, half_range, tape, squashed, mu, .. } => {
                net.input(tape, batch).copy_from_slice(obs);
                let out = net.forward(if target { target_p } else { params }, tape);
                let a = low.len();
                squashed.clear();
                squashed.extend(out.iter().map(|&x| tanh_approx(x)));
                mu.clear();
                mu.extend(squashed.iter().enumerate().map(|(k, &y)| (y + 1.0) * half_range[k % a] + low[k % a]));
                Ok(mu)
            }
            Td3Actor::Ncap { actor, target: target_a, mu, mu_values, .. } => {
                let dev = Device::Cpu;
                let d = obs.len() / batch;
                let o = Tensor::from_slice(obs, (batch, d), &dev)?;
                let od = Tensor::from_slice(osc, batch, &dev)?;
                let ov = (1.0 - &od)?;
                let net = if target { &*target_a } else { &*actor };
                let out = net.forward(&o, &o, &od, &ov)?;
                *mu_values = out.flatten_all()?.to_vec1::<f32>()?;
                *mu = if train { Some(out) } else { None };
                Ok(mu_values)
            }
        }
    }

    /// One Adam step of the actor down ∂L/∂μ = `grad_mu` (`[B, A]`) for the last training
    /// forward.
    fn descend(&mut self, grad_mu: &mut [f32]) -> Result<(), AgentError> {
        match self {
            Td3Actor::Mlp { net, params, adam, half_range, tape, squashed, grad, .. } => {
                let a = half_range.len();
                for (k, g) in grad_mu.iter_mut().enumerate() {
                    let y = squashed[k];
                    *g *= half_range[k % a] * (1.0 - y * y);
                }
                net.backward(params, tape, grad_mu, Some(grad), None);
                adam.step(params, grad);
                Ok(())
            }
            Td3Actor::Ncap { adam, mu, .. } => {
                let mu = mu.take().ok_or_else(|| AgentError::invalid("td3: the actor's backward pass without a training forward"))?;
                let shape = mu.shape().clone();
                // A surrogate Σ μ·g (g held fixed) has ∂/∂θ = Σ g·∂μ/∂θ: the chain rule through
                // the circuit, by candle's autograd.
                let g = Tensor::from_slice(grad_mu, shape, &Device::Cpu)?;
                let surrogate = (mu * g)?.sum_all()?;
                adam.step(&surrogate.backward()?)?;
                Ok(())
            }
        }
    }

    fn soft_update(&mut self, tau: f64) -> Result<(), AgentError> {
        match self {
            Td3Actor::Mlp { params, target, .. } => polyak(target, params, tau),
            Td3Actor::Ncap { actor, target, .. } => {
                for (t, s) in target.vars().iter().zip(actor.vars()) {
                    t.set(&((s.as_tensor() * tau)? + (t.as_tensor() * (1.0 - tau))?)?)?;
                }
            }
        }
        Ok(())
    }

    /// The policy's flat parameters (what `nerve eval` runs).
    fn policy(&self) -> Result<Vec<f32>, AgentError> {
        match self {
            Td3Actor::Mlp { params, .. } => Ok(params.clone()),
            Td3Actor::Ncap { actor, .. } => Ok(flatten(&actor.vars())?),
        }
    }

    fn n_params(&self) -> usize {
        match self {
            Td3Actor::Mlp { params, .. } => params.len(),
            Td3Actor::Ncap { actor, .. } => actor.n_params(),
        }
    }

    fn adam_t(&self) -> u64 {
        match self {
            Td3Actor::Mlp { adam, .. } => adam.t,
            Td3Actor::Ncap { adam, .. } => adam.t,
        }
    }

    /// Tensors `actor`, `target_actor`, `actor_adam.{m,v}` (the layout of the candle version).
    fn save<'s>(&'s self, tensors: &mut TensorList<'s>) -> Result<(), AgentError> {
        match self {
            Td3Actor::Mlp { params, target, adam, .. } => {
                tensors.add("actor", params).add("target_actor", target).flat_adam("actor_adam", adam);
            }
            Td3Actor::Ncap { actor, target, adam, .. } => {
                tensors.vars("actor", &actor.vars())?.vars("target_actor", &target.vars())?;
                tensors.adam("actor_adam", adam)?;
            }
        }
        Ok(())
    }

    fn restore(&mut self, t: &mut Tensors, adam_t: u64) -> Result<(), AgentError> {
        match self {
            Td3Actor::Mlp { params, target, adam, .. } => {
                t.take_into("actor", params)?;
                t.take_into("target_actor", target)?;
                t.take_flat_adam("actor_adam", adam, adam_t)
            }
            Td3Actor::Ncap { actor, target, adam, .. } => {
                t.take_vars("actor", &actor.vars())?;
                t.take_vars("target_actor", &target.vars())?;
                t.take_adam("actor_adam", adam, adam_t)
            }
        }
    }
}

/// TD3's (or DDPG's) networks, optimisers and the buffers of one update: everything but the
/// env. An update allocates nothing for an MLP actor ([`crate::nets::dense`]).
pub struct Td3 {
    cfg: Td3Config,
    variant: Variant,
    a: usize,
    low: Vec<f32>,
    high: Vec<f32>,
    /// Half the action range: noise is in these units.
    scale: Vec<f32>,
    actor: Td3Actor,
    /// Two for TD3, one for DDPG.
    pub critics: Critics,
    /// Critic updates so far (the actor follows every `policy_frequency`).
    pub updates: u64,
    /// Observation normalisation (`normalize_obs`).
    pub norm: Option<ObsNorm>,
    work: Td3Work,
}

#[derive(Default)]
struct Td3Work {
    batch: Batch,
    tape: Tape,
    smoothing: Vec<f32>,
    next_act: Vec<f32>,
    next_q: Vec<f32>,
    target: Vec<f32>,
    grad_out: Vec<f32>,
    mu: Vec<f32>,
    grad_mu: Vec<f32>,
    /// The acting observation, normalised (with `normalize_obs`).
    obs: Vec<f32>,
}

/// What one update measured.
pub struct Td3Losses {
    pub critic: f32,
    /// Mean Q of the last critic on the minibatch.
    pub q_mean: f32,
    /// The actor's loss, when it was updated.
    pub actor: Option<f32>,
}

impl Td3 {
    /// The actor for `policy` (`mlp` or an `ncap` variant, options `policy_config`), then the
    /// critics, drawn from `rng` in that order.
    pub fn new(agent: &str, cfg: &Td3Config, variant: Variant, policy: &str, policy_config: Option<&toml::Table>, spec: &envs::EnvSpec, action_box: &envs::BoxSpace, rng: &mut Xoshiro256PlusPlus) -> Result<Self, AgentError> {
        let (d, a) = (spec.obs_dim(), spec.act_dim());
        cfg.check_policy(agent, policy)?;
        let actor = Td3Actor::build(agent, policy, policy_config, spec, action_box, cfg.learning_rate, rng)?;
        let n_critics = if variant == Variant::Td3 { 2 } else { 1 };
        let critics = Critics::new(n_critics, d, a, &cfg.hidden, cfg.learning_rate, rng);
        Ok(Self {
            cfg: cfg.clone(),
            variant,
            a,
            low: action_box.low.clone(),
            high: action_box.high.clone(),
            scale: action_box.low.iter().zip(&action_box.high).map(|(l, h)| (h - l) / 2.0).collect(),
            actor,
            critics,
            updates: 0,
            norm: cfg.normalize_obs.then(|| ObsNorm::new(d, cfg.clip_obs as f32)),
            work: Td3Work::default(),
        })
    }

    /// μ(obs) plus Gaussian exploration noise from `rng`, clipped to the box (`osc_d`: the
    /// oscillator's dorsal drive, which NCAP reads).
    pub fn act(&mut self, obs: &[f32], osc_d: f32, rng: &mut Xoshiro256PlusPlus, action: &mut [f32]) -> Result<(), AgentError> {
        let input = normalized(self.norm.as_ref(), obs, &mut self.work.obs);
        let mu = self.actor.forward(input, &[osc_d], 1, false, false)?;
        for j in 0..self.a {
            let noise: f32 = StandardNormal.sample(rng);
            action[j] = (mu[j] + noise * self.scale[j] * self.cfg.exploration_noise as f32).clamp(self.low[j], self.high[j]);
        }
        Ok(())
    }

    pub fn oscillator_period(&self) -> usize {
        self.actor.oscillator_period()
    }

    /// The policy's flat parameters (what `nerve eval` runs).
    pub fn policy(&self) -> Result<Vec<f32>, AgentError> {
        self.actor.policy()
    }

    pub fn n_policy_params(&self) -> usize {
        self.actor.n_params()
    }

    /// The evaluation policy's buffers: the observation normaliser's, if any.
    pub fn buffers(&self) -> Vec<(&'static str, Vec<f32>)> {
        self.norm.as_ref().map(ObsNorm::buffers).unwrap_or_default()
    }

    /// Folds the observation the actor is about to see into the normaliser (if any).
    pub fn observe(&mut self, obs: &[f32]) {
        if let Some(norm) = &mut self.norm {
            norm.observe(obs);
        }
    }

    /// One update (CleanRL's): the critics towards the (smoothed, clipped double-Q) target on a
    /// fresh minibatch, then every `policy_frequency` updates the actor and the targets.
    pub fn update(&mut self, replay: &Replay, rng: &mut Xoshiro256PlusPlus, her: Option<&Her>) -> Result<Td3Losses, AgentError> {
        let mut w = std::mem::take(&mut self.work);
        let result = self.update_with(&mut w, replay, rng, her);
        self.work = w;
        result
    }

    fn update_with(&mut self, w: &mut Td3Work, replay: &Replay, rng: &mut Xoshiro256PlusPlus, her: Option<&Her>) -> Result<Td3Losses, AgentError> {
        let (bsz, a) = (self.cfg.batch_size, self.a);
        let cfg = &self.cfg;
        w.batch.sample(replay, bsz, rng, her, self.norm.as_ref())?;
        let b = &w.batch;
        w.smoothing.clear();
        for k in 0..bsz * a {
            let n: f32 = StandardNormal.sample(rng);
            w.smoothing.push((n * cfg.policy_noise as f32).clamp(-cfg.noise_clip as f32, cfg.noise_clip as f32) * self.scale[k % a]);
        }
        w.next_act.clear();
        w.next_act.extend_from_slice(self.actor.forward(&b.next_obs, &b.next_osc, bsz, true, false)?);
        if self.variant == Variant::Td3 {
            for (k, v) in w.next_act.iter_mut().enumerate() {
                *v = (*v + w.smoothing[k]).clamp(self.low[k % a], self.high[k % a]);
            }
        }
        w.next_q.clear();
        w.next_q.extend_from_slice(self.critics.q(true, 0, &b.next_obs, &w.next_act, bsz, &mut w.tape));
        if self.variant == Variant::Td3 {
            let q2 = self.critics.q(true, 1, &b.next_obs, &w.next_act, bsz, &mut w.tape);
            w.next_q.iter_mut().zip(q2).for_each(|(x, &y)| *x = x.min(y));
        }
        let gamma = cfg.gamma as f32;
        w.target.clear();
        w.target.extend((0..bsz).map(|i| b.rewards[i] + (1.0 - b.dones[i]) * w.next_q[i] * gamma));
        if let [lo, hi] = cfg.target_q_range[..] {
            let (lo, hi) = (lo as f32, hi as f32);
            w.target.iter_mut().for_each(|t| *t = t.clamp(lo, hi));
        }
        let (loss, q_mean) = self.critics.regress(&b.obs, &b.actions, &w.target, &mut w.tape);
        self.updates += 1;
        let policy_frequency = if self.variant == Variant::Td3 { cfg.policy_frequency } else { 1 };
        let mut actor_loss = None;
        if self.updates % policy_frequency == 0 {
            // L = −mean Q₁(s, μ(s)): ∂L/∂μ through critic 0's input, then the actor.
            w.mu.clear();
            w.mu.extend_from_slice(self.actor.forward(&b.obs, &b.osc, bsz, false, true)?);
            let qv = self.critics.q(false, 0, &b.obs, &w.mu, bsz, &mut w.tape);
            let mut loss = -(qv.iter().sum::<f32>() / bsz as f32);
            w.grad_out.clear();
            w.grad_out.resize(bsz, -1.0 / bsz as f32);
            self.critics.action_gradient(0, &mut w.tape, &w.grad_out, &mut w.grad_mu);
            if cfg.action_l2 > 0.0 {
                // + l2·mean(((μ − c)/h)²) over batch and action: ∂/∂μ = 2·l2·(μ − c)/(h²·B·A).
                let (l2, n) = (cfg.action_l2 as f32, (bsz * a) as f32);
                let mut penalty = 0.0;
                for (k, (g, &m)) in w.grad_mu.iter_mut().zip(&w.mu).enumerate() {
                    let (h, c) = (self.scale[k % a], (self.low[k % a] + self.high[k % a]) / 2.0);
                    let u = (m - c) / h;
                    penalty += u * u;
                    *g += 2.0 * l2 * u / (h * n);
                }
                loss += l2 * penalty / n;
            }
            actor_loss = Some(loss);
            self.actor.descend(&mut w.grad_mu)?;
            self.actor.soft_update(cfg.tau)?;
            self.critics.soft_update(cfg.tau);
        }
        Ok(Td3Losses { critic: loss, q_mean, actor: actor_loss })
    }

    /// Every network and optimiser moment, named as the candle version named them.
    fn save<'s>(&'s self, tensors: &mut TensorList<'s>) -> Result<(), AgentError> {
        self.actor.save(tensors)?;
        self.critics.save(tensors, "critic_adam");
        Ok(())
    }

    fn restore(&mut self, t: &mut Tensors, actor_adam_t: u64, critic_adam_t: u64, updates: u64) -> Result<(), AgentError> {
        self.actor.restore(t, actor_adam_t)?;
        self.critics.restore(t, "critic_adam", critic_adam_t)?;
        self.updates = updates;
        Ok(())
    }
}

/// Seconds per update of TD3 with `hidden`-wide networks (actor `hidden` ReLU, as
/// Stable-Baselines3's; critics `hidden`) on a replay buffer of random transitions with `d`-D
/// observations and `a`-D actions in [−1, 1]: `repeats` timings of `updates` updates each,
/// after a warm-up (`nerve perf --td3-update`, `tools/sb3/compare_off_policy_update.sh`).
pub fn time_updates(d: usize, a: usize, hidden: &[usize], cfg: &Td3Config, updates: usize, repeats: usize) -> Result<Vec<f64>, AgentError> {
    let cfg = Td3Config { hidden: hidden.to_vec(), ..cfg.clone() };
    let spec = crate::learners::timing_spec(d, a);
    let action_box = spec.action_space.as_box().cloned().expect("a box");
    let policy: toml::Table = toml::from_str(&format!("hidden = {hidden:?}\nactivation = \"relu\"")).expect("a valid table");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut td3 = Td3::new("td3", &cfg, Variant::Td3, "mlp", Some(&policy), &spec, &action_box, &mut rng)?;
    let replay = crate::learners::timing_replay(d, a, &mut rng);
    crate::learners::time_calls(updates, repeats, || td3.update(&replay, &mut rng, None).map(|_| ()))
}

/// Trains `ctx`'s policy (`mlp` or an `ncap` variant) with TD3 or DDPG.
pub fn train(ctx: &TrainContext, cfg: &Td3Config, variant: Variant, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    let agent = variant.agent();
    cfg.validate(agent)?;
    let env = ctx.make_env()?;
    let spec = env.spec().clone();
    let Some(action_box) = spec.action_space.as_box().filter(|b| b.is_bounded()).cloned() else {
        return Err(AgentError::invalid(format!("agent `{agent}` needs a bounded Box action space; {} has none", spec.id)));
    };
    let (d, a) = (spec.obs_dim(), spec.act_dim());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[20]));
    // The env that recomputes relabelled rewards (a second instance: the interacting one is
    // borrowed mutably while minibatches are drawn).
    let reward_env = if cfg.her_future_goals > 0 { Some(ctx.make_env()?) } else { None };
    let her = match &reward_env {
        Some(env) => Some(Her::new(agent, cfg.her_future_goals, cfg.buffer_size, env.as_ref())?),
        None => None,
    };

    let mut td3 = Td3::new(agent, cfg, variant, &ctx.run.policy, ctx.policy_config.as_ref(), &spec, &action_box, &mut rng)?;
    let period = td3.oscillator_period();
    let mut run = Run::new(ctx, agent, COLUMNS, td3.n_policy_params(), None, resume)?;
    let mut replay = Replay::new(cfg.buffer_size, d, a);
    let mut world = Interaction::new(env, ctx.run.seed, 21);
    let (mut critic_losses, mut actor_losses, mut q_means) = (Vec::new(), Vec::new(), Vec::new());
    if let Some((mut t, saved)) = run.resume::<Td3State>()? {
        td3.restore(&mut t, saved.actor_adam_t, saved.critic_adam_t, saved.updates)?;
        world.restore(saved.interaction, &mut replay, &mut t)?;
        td3.norm = ObsNorm::resume(saved.obs_norm, cfg.normalize_obs, t.path())?;
        (rng, critic_losses, actor_losses, q_means) = (saved.rng, saved.critic_losses, saved.actor_losses, saved.q_means);
    } else {
        world.reset()?;
    }
    run.begin(rows_every_steps(run.progress.env_steps, run.budget(), cfg.eval_every_steps))?;
    let mut action = vec![0.0_f32; a];
    // The stop flag is read once per step, so that the step that sees it also checkpoints.
    // Already stopped (a resumed run that reached its pause point, or Ctrl-C): no step at all,
    // so that the policy at a pause is the one the uninterrupted run has there.
    let mut stopped = run.stop_requested();
    while !run.budget_spent() && !stopped {
        // Act: uniform at first, then μ(s) plus Gaussian exploration noise, clipped to the box.
        let (osc_d, _) = oscillator(period, world.ep_step);
        td3.observe(&world.obs);
        // (The extra draw only when random actions are asked for: runs without keep their streams.)
        if run.progress.env_steps < cfg.learning_starts || (cfg.random_action_prob > 0.0 && rng.random::<f64>() < cfg.random_action_prob) {
            action_box.sample_into(&mut rng, &mut action);
        } else {
            td3.act(&world.obs, osc_d, &mut rng, &mut action)?;
        }
        let next_osc = oscillator(period, world.ep_step + 1).0;
        world.step(&action, &mut replay, (osc_d, next_osc), &mut run)?;
        let step = run.progress.env_steps;

        for _ in 0..updates_due(step, cfg.learning_starts, cfg.train_frequency, cfg.gradient_steps) {
            let losses = td3.update(&replay, &mut rng, her.as_ref())?;
            critic_losses.push(losses.critic as f64);
            q_means.push(losses.q_mean as f64);
            actor_losses.extend(losses.actor.map(|l| l as f64));
        }

        // Evaluation rows fall on fixed steps (not on a stop), as in an uninterrupted run.
        if row_due(step, cfg.eval_every_steps, run.budget()) {
            let (policy, buffers) = (td3.policy()?, td3.buffers());
            let r = run.evaluate(&policy, &buffers, cfg.eval_episodes)?;
            let recent = average(&world.recent);
            let row = [step as f64, run.wall_time(), recent, r.0, r.1, average(&critic_losses), average(&actor_losses), average(&q_means)];
            run.write_row(&row)?;
            run.save_policy(&policy, &buffers)?;
            on_progress(&Progress { iteration: step / cfg.eval_every_steps, env_steps: step, recent_return: recent, eval_return: Some(r.0) });
            if on_grid(step, cfg.eval_every_steps) {
                world.recent.clear();
                critic_losses.clear();
                actor_losses.clear();
                q_means.clear();
            }
        }
        stopped = run.stop_requested();
        if checkpoint_due(step, cfg.checkpoint_every_steps, run.budget(), stopped) {
            run.save_policy(&td3.policy()?, &td3.buffers())?;
            // The resumable state: networks, optimisers, the replay buffer, the env mid-episode.
            let state = Td3State {
                updates: td3.updates,
                actor_adam_t: td3.actor.adam_t(),
                critic_adam_t: td3.critics.adam.t,
                rng: rng.clone(),
                critic_losses: critic_losses.clone(),
                actor_losses: actor_losses.clone(),
                q_means: q_means.clone(),
                obs_norm: td3.norm.clone(),
                interaction: world.state(&replay)?,
            };
            let mut tensors = TensorList::default();
            td3.save(&mut tensors)?;
            tensors.extend(replay.tensors());
            for (name, values) in replay.episode_tensors() {
                tensors.owned(name, values);
            }
            run.save_checkpoint(&tensors, &state)?;
        }
    }
    // A completed run evaluated at its last step; a stopped one is evaluated now.
    let (steps, completed) = (run.progress.env_steps, run.budget_spent());
    let (policy, buffers) = (td3.policy()?, td3.buffers());
    run.finish(steps, completed, |run| run.score(&policy, &buffers, cfg.eval_episodes))
}

/// The learner's own state in the checkpoint besides its tensors (the run's bookkeeping is
/// [`Run`]'s): what a resumed run needs to retrace an uninterrupted one.
#[derive(Serialize, Deserialize)]
struct Td3State {
    updates: u64,
    actor_adam_t: u64,
    critic_adam_t: u64,
    /// Exploration noise, minibatch indices and smoothing noise all come from this stream.
    rng: Xoshiro256PlusPlus,
    /// Since the last metrics row.
    critic_losses: Vec<f64>,
    actor_losses: Vec<f64>,
    q_means: Vec<f64>,
    /// The observation normaliser's statistics (`normalize_obs`; absent in older checkpoints).
    #[serde(default)]
    obs_norm: Option<ObsNorm>,
    #[serde(flatten)]
    interaction: InteractionState,
}
