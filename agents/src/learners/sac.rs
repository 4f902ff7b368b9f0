//! SAC (Haarnoja et al., 2018, with automatic entropy tuning), after CleanRL's
//! `sac_continuous_action.py`: a tanh-squashed Gaussian actor, twin critics with Polyak-averaged
//! targets, and the temperature α tuned towards a target entropy of −|A|.
//!
//! The actor's mean and log-std are two MLPs (CleanRL shares a trunk between two heads): the
//! mean network alone is the deterministic policy `bias + scale·tanh(μ(s))`, which is exactly
//! [`controllers::MlpPolicy`], so `nerve eval --checkpoint` runs it. One env
//! ([`crate::learners::off_policy`]: truncated episodes are bootstrapped).

use controllers::{Activation, MlpConfig};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::learners::off_policy::{average, checkpoint_due, normalized, on_grid, row_due, updates_due, Batch, Critics, Interaction, InteractionState, ObsNorm};
use crate::learners::her::Her;
use crate::learners::replay::Replay;
use crate::nets::{Dense, Tape};
use crate::optim::FlatAdam;
use crate::run::checkpoint::TensorList;
use crate::run::{rows_every_steps, Progress, Run, Summary, TrainContext};
use crate::{seeds, AgentError};

/// SAC hyperparameters (CleanRL's defaults; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SacConfig {
    pub buffer_size: usize,
    pub gamma: f64,
    pub tau: f64,
    pub batch_size: usize,
    /// Steps of uniformly random actions before learning starts.
    pub learning_starts: u64,
    pub policy_lr: f64,
    pub q_lr: f64,
    /// Actor and α are updated every this many steps, this many times (TD3-style delay).
    pub policy_frequency: u64,
    /// Tune α automatically (else it stays at `alpha`).
    pub autotune: bool,
    pub alpha: f64,
    /// Hidden widths of the critics (ReLU); the actor is the `mlp` policy's architecture.
    pub hidden: Vec<usize>,
    pub eval_episodes: usize,
    pub eval_every_steps: u64,
    /// Write the resumable checkpoint (replay buffer included) every this many env steps, besides
    /// at the end and on a stop (0: only then).
    pub checkpoint_every_steps: u64,
    /// Hindsight experience replay ([`crate::learners::her`], the "future" strategy): k relabelled
    /// goals per real one (a fraction k/(k + 1) of each minibatch); 0: off. Needs a
    /// goal-conditioned env (the hand tasks, `PointReach-v0`); Gymnasium-Robotics' baselines use 4.
    pub her_future_goals: usize,
    /// Update every this many env steps (after `learning_starts`), `gradient_steps` times
    /// (Stable-Baselines3's `train_freq` and `gradient_steps`). The actor's `policy_frequency`
    /// counts updates from `learning_starts` (with 1 and 1, the env step, as CleanRL's).
    pub train_frequency: u64,
    pub gradient_steps: u64,
    /// Normalise observations (running mean and std, clipped to ±`clip_obs`) in front of the
    /// actor and the critics, as the HER baselines do ([`ObsNorm`]).
    pub normalize_obs: bool,
    pub clip_obs: f64,
}

impl Default for SacConfig {
    fn default() -> Self {
        Self {
            buffer_size: 1_000_000,
            gamma: 0.99,
            tau: 0.005,
            batch_size: 256,
            learning_starts: 5_000,
            policy_lr: 3e-4,
            q_lr: 1e-3,
            policy_frequency: 2,
            autotune: true,
            alpha: 0.2,
            hidden: vec![256, 256],
            eval_episodes: 5,
            eval_every_steps: 5_000,
            checkpoint_every_steps: 100_000,
            her_future_goals: 0,
            train_frequency: 1,
            gradient_steps: 1,
            normalize_obs: false,
            clip_obs: 5.0,
        }
    }
}

impl SacConfig {
    pub fn validate(&self) -> Result<(), AgentError> {
        if self.batch_size == 0 || self.buffer_size < self.batch_size || self.eval_episodes == 0 || self.eval_every_steps == 0 || self.policy_frequency == 0 || self.train_frequency == 0 || self.gradient_steps == 0 {
            return Err(AgentError::invalid(
                "agent `sac`: batch_size, eval_episodes, eval_every_steps, policy_frequency, train_frequency and gradient_steps must be ≥ 1, and buffer_size ≥ batch_size",
            ));
        }
        if !(self.clip_obs > 0.0) {
            return Err(AgentError::invalid(format!("agent `sac`: `clip_obs` = {}: expected a number > 0", self.clip_obs)));
        }
        for (k, v) in [("tau", self.tau), ("gamma", self.gamma)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(AgentError::invalid(format!("agent `sac`: `{k}` = {v}: expected a number in [0, 1]")));
            }
        }
        for (k, v) in [("policy_lr", self.policy_lr), ("q_lr", self.q_lr), ("alpha", self.alpha)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(AgentError::invalid(format!("agent `sac`: `{k}` = {v}: expected a number > 0")));
            }
        }
        crate::learners::check_widths("sac", "hidden", &self.hidden)
    }
}

pub const COLUMNS: &[&str] = &["env_steps", "wall_time_s", "episode_return", "eval_return", "eval_return_std", "critic_loss", "actor_loss", "alpha"];

const LOG_STD_MIN: f32 = -5.0;
const LOG_STD_MAX: f32 = 2.0;

/// A standard normal draw (f32, as every noise draw of the learners).
fn normal(rng: &mut Xoshiro256PlusPlus) -> f32 {
    StandardNormal.sample(rng)
}

/// SAC's networks, optimisers and the buffers of one update: everything but the env. Built
/// once per run; an update allocates nothing ([`crate::nets::dense`]).
pub struct Sac {
    cfg: SacConfig,
    a: usize,
    scale: Vec<f32>,
    bias: Vec<f32>,
    target_entropy: f32,
    /// The actor's mean and log-std networks (the `mlp` policy's architecture), their
    /// parameters one vector: the mean's first.
    policy_net: Dense,
    pub actor: Vec<f32>,
    /// The twin critics.
    pub critics: Critics,
    pub log_alpha: [f32; 1],
    pub actor_adam: FlatAdam,
    pub alpha_adam: FlatAdam,
    /// Observation normalisation (`normalize_obs`).
    pub norm: Option<ObsNorm>,
    work: Work,
}

/// The reused buffers of an update.
#[derive(Default)]
struct Work {
    batch: Batch,
    pi: PiTape,
    q: [Tape; 2],
    grad_out: Vec<f32>,
    /// ∂L/∂action through each critic.
    grad_action: [Vec<f32>; 2],
    actor_grad: Vec<f32>,
    /// The acting observation, normalised (with `normalize_obs`).
    obs: Vec<f32>,
    target: Vec<f32>,
    q_values: [Vec<f32>; 2],
}

/// A reparameterised draw of π(·|s) for a batch and what its backward pass needs.
#[derive(Default)]
struct PiTape {
    mean: Tape,
    log_std: Tape,
    /// tanh of the raw log-std output, its std, the squashed sample, the noise.
    t: Vec<f32>,
    std: Vec<f32>,
    y: Vec<f32>,
    noise: Vec<f32>,
    action: Vec<f32>,
    logp: Vec<f32>,
}

/// Losses of one update (the actor's only when it was updated).
pub struct UpdateLosses {
    pub critic: f32,
    pub actor: Vec<f32>,
}

impl Sac {
    /// Networks for `d`-dimensional observations and the action box `(low, high)`, drawn from
    /// `rng` in the order the candle implementation drew them (mean, log-std, critic 0, 1).
    pub fn new(cfg: &SacConfig, actor_cfg: &MlpConfig, d: usize, low: &[f32], high: &[f32], rng: &mut Xoshiro256PlusPlus) -> Self {
        let a = low.len();
        let policy_net = Dense::mlp(d, &actor_cfg.hidden, a, actor_cfg.activation);
        let mut actor = policy_net.init(0.01, rng);
        actor.extend(policy_net.init(0.01, rng));
        let critics = Critics::new(2, d, a, &cfg.hidden, cfg.q_lr, rng);
        Self {
            cfg: cfg.clone(),
            a,
            scale: low.iter().zip(high).map(|(l, h)| (h - l) / 2.0).collect(),
            bias: low.iter().zip(high).map(|(l, h)| (h + l) / 2.0).collect(),
            target_entropy: -(a as f32),
            actor_adam: FlatAdam::new(actor.len(), cfg.policy_lr, 1e-8),
            alpha_adam: FlatAdam::new(1, cfg.q_lr, 1e-8),
            policy_net,
            actor,
            critics,
            log_alpha: [(cfg.alpha.ln()) as f32],
            norm: cfg.normalize_obs.then(|| ObsNorm::new(d, cfg.clip_obs as f32)),
            work: Work::default(),
        }
    }

    /// The mean network's parameters: the deterministic `mlp` policy.
    pub fn policy(&self) -> &[f32] {
        &self.actor[..self.policy_net.n_params()]
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

    pub fn alpha(&self) -> f32 {
        self.log_alpha[0].exp()
    }

    /// The (mean, log-std) halves of the actor's parameters.
    fn halves(&self) -> (&[f32], &[f32]) {
        self.actor.split_at(self.policy_net.n_params())
    }

    /// A sample of π(·|obs) for one observation, its noise from `rng`.
    pub fn act(&mut self, obs: &[f32], rng: &mut Xoshiro256PlusPlus, action: &mut [f32]) {
        let mut pi = std::mem::take(&mut self.work.pi);
        pi.noise.clear();
        pi.noise.extend((0..self.a).map(|_| normal(rng)));
        let mut buf = std::mem::take(&mut self.work.obs);
        self.pi_forward(normalized(self.norm.as_ref(), obs, &mut buf), 1, &mut pi);
        action.copy_from_slice(&pi.action);
        self.work.pi = pi;
        self.work.obs = buf;
    }

    /// π(·|s) for `batch` observations with the noise already in `pi.noise`: actions, log-probs.
    fn pi_forward(&self, obs: &[f32], batch: usize, pi: &mut PiTape) {
        let (mean_p, log_std_p) = self.halves();
        let net = &self.policy_net;
        net.input(&mut pi.mean, batch).copy_from_slice(obs);
        net.forward(mean_p, &mut pi.mean);
        net.input(&mut pi.log_std, batch).copy_from_slice(obs);
        net.forward(log_std_p, &mut pi.log_std);
        let a = self.a;
        let n = batch * a;
        for v in [&mut pi.t, &mut pi.std, &mut pi.y, &mut pi.action] {
            v.resize(n, 0.0);
        }
        pi.logp.clear();
        pi.logp.resize(batch, -0.5 * (2.0 * std::f32::consts::PI).ln() * a as f32);
        let (mu, raw) = (net.output(&pi.mean), net.output(&pi.log_std));
        for k in 0..n {
            let j = k % a;
            let t = raw[k].tanh();
            let log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (t + 1.0);
            let std = log_std.exp();
            let x = mu[k] + std * pi.noise[k];
            let y = x.tanh();
            pi.t[k] = t;
            pi.std[k] = std;
            pi.y[k] = y;
            pi.action[k] = y * self.scale[j] + self.bias[j];
            pi.logp[k / a] += -0.5 * pi.noise[k] * pi.noise[k] - log_std - (self.scale[j] * (1.0 - y * y) + 1e-6).ln();
        }
    }

    /// One update at schedule point `step` (CleanRL's schedule; [`schedule_point`]): the
    /// critics on a fresh minibatch, every `policy_frequency` points that many actor (and α)
    /// updates, then the targets.
    pub fn update(&mut self, replay: &Replay, step: u64, rng: &mut Xoshiro256PlusPlus, her: Option<&Her>) -> Result<UpdateLosses, AgentError> {
        let mut w = std::mem::take(&mut self.work);
        let result = self.update_with(&mut w, replay, step, rng, her);
        self.work = w;
        result
    }

    fn update_with(&mut self, w: &mut Work, replay: &Replay, step: u64, rng: &mut Xoshiro256PlusPlus, her: Option<&Her>) -> Result<UpdateLosses, AgentError> {
        let (bsz, a) = (self.cfg.batch_size, self.a);
        let gamma = self.cfg.gamma as f32;
        w.batch.sample(replay, bsz, rng, her, self.norm.as_ref())?;
        let b = &w.batch;

        // Critics: soft Bellman targets from the current policy at s'.
        w.pi.noise.clear();
        w.pi.noise.extend((0..bsz * a).map(|_| normal(rng)));
        let alpha = self.alpha();
        self.pi_forward(&b.next_obs, bsz, &mut w.pi);
        w.target.clear();
        w.target.extend_from_slice(self.critics.q(true, 0, &b.next_obs, &w.pi.action, bsz, &mut w.q[0]));
        let q2 = self.critics.q(true, 1, &b.next_obs, &w.pi.action, bsz, &mut w.q[1]);
        for i in 0..bsz {
            let soft = w.target[i].min(q2[i]) - alpha * w.pi.logp[i];
            w.target[i] = b.rewards[i] + gamma * (1.0 - b.dones[i]) * soft;
        }
        let (critic_loss, _) = self.critics.regress(&b.obs, &b.actions, &w.target, &mut w.q[0]);

        // Actor and temperature, delayed but repeated to keep the update ratio.
        let mut actor_losses = Vec::new();
        if step % self.cfg.policy_frequency == 0 {
            for _ in 0..self.cfg.policy_frequency {
                w.pi.noise.clear();
                w.pi.noise.extend((0..bsz * a).map(|_| normal(rng)));
                let alpha = self.alpha();
                self.pi_forward(&b.obs, bsz, &mut w.pi);
                for k in 0..2 {
                    let q = self.critics.q(false, k, &b.obs, &w.pi.action, bsz, &mut w.q[k]);
                    w.q_values[k].clear();
                    w.q_values[k].extend_from_slice(q);
                }
                // L = mean(α·logπ − min(Q₁, Q₂)): −1/B to the smaller critic of each sample.
                let mut loss = 0.0;
                for k in 0..2 {
                    w.grad_out.clear();
                    for i in 0..bsz {
                        let (q1, q2) = (w.q_values[0][i], w.q_values[1][i]);
                        let picked = if k == 0 { q1 <= q2 } else { q2 < q1 };
                        w.grad_out.push(if picked { -1.0 / bsz as f32 } else { 0.0 });
                        if k == 0 {
                            loss += alpha * w.pi.logp[i] - q1.min(q2);
                        }
                    }
                    self.critics.action_gradient(k, &mut w.q[k], &w.grad_out, &mut w.grad_action[k]);
                }
                actor_losses.push(loss / bsz as f32);
                self.pi_backward(&mut w.pi, &mut w.grad_action, &mut w.actor_grad, alpha / bsz as f32);
                self.actor_adam.step(&mut self.actor, &w.actor_grad);
                if self.cfg.autotune {
                    // L(log α) = −mean(α·(logπ + H̄)), so ∂L/∂log α = −α·mean(logπ + H̄).
                    let gap = w.pi.logp.iter().map(|l| l + self.target_entropy).sum::<f32>() / bsz as f32;
                    let g = [-self.alpha() * gap];
                    self.alpha_adam.step(&mut self.log_alpha, &g);
                }
            }
        }
        self.critics.soft_update(self.cfg.tau);
        Ok(UpdateLosses { critic: critic_loss, actor: actor_losses })
    }

    /// ∂L/∂actor into `actor_grad`, for L = mean(α·logπ) − (what `grad_action` carries),
    /// `g_logp` = α/B the gradient of L with respect to each sample's log-probability.
    fn pi_backward(&self, pi: &mut PiTape, grad_action: &mut [Vec<f32>; 2], actor_grad: &mut Vec<f32>, g_logp: f32) {
        let (bsz, a) = (self.cfg.batch_size, self.a);
        // ∂L/∂μ and ∂L/∂(raw log-std), reusing the action-gradient buffers.
        let (g_mu, g_raw) = grad_action.split_at_mut(1);
        let (g_mu, g_raw) = (&mut g_mu[0], &mut g_raw[0]);
        for k in 0..bsz * a {
            let j = k % a;
            let y = pi.y[k];
            let s = self.scale[j];
            let g_y = (g_mu[k] + g_raw[k]) * s + g_logp * 2.0 * y * s / (s * (1.0 - y * y) + 1e-6);
            let g_x = g_y * (1.0 - y * y);
            let g_log_std = g_x * pi.std[k] * pi.noise[k] - g_logp;
            g_mu[k] = g_x;
            g_raw[k] = g_log_std * 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (1.0 - pi.t[k] * pi.t[k]);
        }
        let np = self.policy_net.n_params();
        let (mean_p, log_std_p) = self.halves();
        actor_grad.resize(2 * np, 0.0);
        let (ga, gb) = actor_grad.split_at_mut(np);
        self.policy_net.backward(mean_p, &mut pi.mean, g_mu, Some(ga), None);
        self.policy_net.backward(log_std_p, &mut pi.log_std, g_raw, Some(gb), None);
    }
}

/// The schedule point of update `j` (0-based) of those due at env step `step`: `learning_starts`
/// plus the updates before it, plus one. With one update per step it is the env step itself, so
/// the actor's `policy_frequency` delay falls where CleanRL's does.
pub fn schedule_point(cfg: &SacConfig, step: u64, j: u64) -> u64 {
    let round = (step - cfg.learning_starts) / cfg.train_frequency;
    cfg.learning_starts + (round - 1) * cfg.gradient_steps + j + 1
}

/// Seconds per update of SAC with `hidden`-wide networks (actor `hidden` ReLU, as
/// Stable-Baselines3's; critics `hidden`) on a replay buffer of random transitions with `d`-D
/// observations and `a`-D actions in [−1, 1]: `repeats` timings of `updates` updates each,
/// after a warm-up (`nerve perf --sac-update`, `tools/sb3/compare_off_policy_update.sh`).
pub fn time_updates(d: usize, a: usize, hidden: &[usize], cfg: &SacConfig, updates: usize, repeats: usize) -> Result<Vec<f64>, AgentError> {
    let cfg = SacConfig { hidden: hidden.to_vec(), ..cfg.clone() };
    let actor_cfg = MlpConfig { hidden: hidden.to_vec(), activation: Activation::Relu, ..MlpConfig::default() };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut sac = Sac::new(&cfg, &actor_cfg, d, &vec![-1.0; a], &vec![1.0; a], &mut rng);
    let replay = crate::learners::timing_replay(d, a, &mut rng);
    let mut step = 0;
    crate::learners::time_calls(updates, repeats, || {
        step += 1;
        sac.update(&replay, step, &mut rng, None).map(|_| ())
    })
}

/// Trains an `mlp` policy with SAC.
pub fn train(ctx: &TrainContext, cfg: &SacConfig, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    cfg.validate()?;
    if ctx.run.policy != "mlp" {
        return Err(AgentError::invalid(format!("agent `sac` trains `mlp` policies, not `{}`", ctx.run.policy)));
    }
    let env = ctx.make_env()?;
    let spec = env.spec().clone();
    let Some(action_box) = spec.action_space.as_box().filter(|b| b.is_bounded()).cloned() else {
        return Err(AgentError::invalid(format!("agent `sac` needs a bounded Box action space; {} has none", spec.id)));
    };
    let (d, a) = (spec.obs_dim(), spec.act_dim());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[30]));
    // The env that recomputes relabelled rewards (a second instance: the interacting one is
    // borrowed mutably while minibatches are drawn).
    let reward_env = if cfg.her_future_goals > 0 { Some(ctx.make_env()?) } else { None };
    let her = match &reward_env {
        Some(env) => Some(Her::new("sac", cfg.her_future_goals, cfg.buffer_size, env.as_ref())?),
        None => None,
    };

    let actor_cfg = MlpConfig::parse(ctx.policy_config.as_ref())?;
    let mut sac = Sac::new(cfg, &actor_cfg, d, &action_box.low, &action_box.high, &mut rng);
    let n_params = sac.policy().len();
    let mut run = Run::new(ctx, "sac", COLUMNS, n_params, None, resume)?;
    let mut replay = Replay::new(cfg.buffer_size, d, a);
    let mut world = Interaction::new(env, ctx.run.seed, 31);
    let (mut critic_losses, mut actor_losses) = (Vec::new(), Vec::new());
    if let Some((mut t, saved)) = run.resume::<SacState>()? {
        let np = sac.policy().len();
        let (mean, log_std) = sac.actor.split_at_mut(np);
        t.take_into("actor.mean", mean)?;
        t.take_into("actor.log_std", log_std)?;
        sac.critics.restore(&mut t, "q_adam", saved.adam_t[1])?;
        t.take_into("log_alpha", &mut sac.log_alpha)?;
        t.take_flat_adam("actor_adam", &mut sac.actor_adam, saved.adam_t[0])?;
        t.take_flat_adam("alpha_adam", &mut sac.alpha_adam, saved.adam_t[2])?;
        world.restore(saved.interaction, &mut replay, &mut t)?;
        sac.norm = ObsNorm::resume(saved.obs_norm, cfg.normalize_obs, t.path())?;
        (rng, critic_losses, actor_losses) = (saved.rng, saved.critic_losses, saved.actor_losses);
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
        // Act: uniform at first, then a sample of π(·|s).
        sac.observe(&world.obs);
        if run.progress.env_steps < cfg.learning_starts {
            action_box.sample_into(&mut rng, &mut action);
        } else {
            sac.act(&world.obs, &mut rng, &mut action);
        }
        world.step(&action, &mut replay, (0.0, 0.0), &mut run)?;
        let step = run.progress.env_steps;

        for j in 0..updates_due(step, cfg.learning_starts, cfg.train_frequency, cfg.gradient_steps) {
            let losses = sac.update(&replay, schedule_point(cfg, step, j), &mut rng, her.as_ref())?;
            critic_losses.push(losses.critic as f64);
            actor_losses.extend(losses.actor.iter().map(|&l| l as f64));
        }

        // Evaluation rows fall on fixed steps (not on a stop), as in an uninterrupted run.
        if row_due(step, cfg.eval_every_steps, run.budget()) {
            let buffers = sac.buffers();
            let r = run.evaluate(sac.policy(), &buffers, cfg.eval_episodes)?;
            let recent = average(&world.recent);
            let row = [step as f64, run.wall_time(), recent, r.0, r.1, average(&critic_losses), average(&actor_losses), sac.alpha() as f64];
            run.write_row(&row)?;
            run.save_policy(sac.policy(), &buffers)?;
            on_progress(&Progress { iteration: step / cfg.eval_every_steps, env_steps: step, recent_return: recent, eval_return: Some(r.0) });
            if on_grid(step, cfg.eval_every_steps) {
                world.recent.clear();
                critic_losses.clear();
                actor_losses.clear();
            }
        }
        stopped = run.stop_requested();
        if checkpoint_due(step, cfg.checkpoint_every_steps, run.budget(), stopped) {
            run.save_policy(sac.policy(), &sac.buffers())?;
            // The resumable state: networks, optimisers, temperature, the replay buffer, the env mid-episode.
            let state = SacState {
                adam_t: [sac.actor_adam.t, sac.critics.adam.t, sac.alpha_adam.t],
                rng: rng.clone(),
                critic_losses: critic_losses.clone(),
                actor_losses: actor_losses.clone(),
                obs_norm: sac.norm.clone(),
                interaction: world.state(&replay)?,
            };
            let np = sac.policy().len();
            let mut tensors = TensorList::default();
            tensors.add("actor.mean", &sac.actor[..np]).add("actor.log_std", &sac.actor[np..]);
            sac.critics.save(&mut tensors, "q_adam");
            tensors.add("log_alpha", &sac.log_alpha);
            tensors.flat_adam("actor_adam", &sac.actor_adam).flat_adam("alpha_adam", &sac.alpha_adam);
            tensors.extend(replay.tensors());
            for (name, values) in replay.episode_tensors() {
                tensors.owned(name, values);
            }
            run.save_checkpoint(&tensors, &state)?;
        }
    }
    // A completed run evaluated at its last step; a stopped one is evaluated now.
    let (steps, completed) = (run.progress.env_steps, run.budget_spent());
    let (policy, buffers) = (sac.policy().to_vec(), sac.buffers());
    run.finish(steps, completed, |run| run.score(&policy, &buffers, cfg.eval_episodes))
}

/// The learner's own state in the checkpoint besides its tensors (the run's bookkeeping is
/// [`Run`]'s): what a resumed run needs to retrace an uninterrupted one.
#[derive(Serialize, Deserialize)]
struct SacState {
    /// Step counts of the actor's, the critics' and the temperature's Adam.
    adam_t: [u64; 3],
    /// Exploration, minibatch indices and reparameterisation noise all come from this stream.
    rng: Xoshiro256PlusPlus,
    /// Since the last metrics row.
    critic_losses: Vec<f64>,
    actor_losses: Vec<f64>,
    /// The observation normaliser's statistics (`normalize_obs`; absent in older checkpoints).
    #[serde(default)]
    obs_norm: Option<ObsNorm>,
    #[serde(flatten)]
    interaction: InteractionState,
}
