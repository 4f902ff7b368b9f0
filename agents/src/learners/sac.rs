//! SAC (Haarnoja et al., 2018, with automatic entropy tuning), after CleanRL's
//! `sac_continuous_action.py`: a tanh-squashed Gaussian actor, twin critics with Polyak-averaged
//! targets, and the temperature α tuned towards a target entropy of −|A|.
//!
//! The actor's mean and log-std are two MLPs (CleanRL shares a trunk between two heads): the
//! mean network alone is the deterministic policy `bias + scale·tanh(μ(s))`, which is exactly
//! [`controllers::MlpPolicy`], so `nerve eval --checkpoint` runs it. One env
//! ([`crate::learners::off_policy`]: truncated episodes are bootstrapped).

use candle_core::{Device, Tensor, Var};
use controllers::{Activation, MlpConfig};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::learners::off_policy::{average, checkpoint_due, on_grid, row_due, sample, Interaction, InteractionState};
use crate::learners::her::Her;
use crate::learners::replay::Replay;
use crate::nets::Mlp;
use crate::optim::TensorAdam;
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
        }
    }
}

impl SacConfig {
    pub fn validate(&self) -> Result<(), AgentError> {
        if self.batch_size == 0 || self.buffer_size < self.batch_size || self.eval_episodes == 0 || self.eval_every_steps == 0 || self.policy_frequency == 0 {
            return Err(AgentError::invalid("agent `sac`: batch_size, eval_episodes, eval_every_steps and policy_frequency must be ≥ 1, and buffer_size ≥ batch_size"));
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

const LOG_STD_MIN: f64 = -5.0;
const LOG_STD_MAX: f64 = 2.0;

/// Trains an `mlp` policy with SAC.
pub fn train(ctx: &TrainContext, cfg: &SacConfig, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    cfg.validate()?;
    if ctx.run.policy != "mlp" {
        return Err(AgentError::invalid(format!("agent `sac` trains `mlp` policies, not `{}`", ctx.run.policy)));
    }
    let dev = Device::Cpu;
    let env = ctx.make_env()?;
    let spec = env.spec().clone();
    let Some(action_box) = spec.action_space.as_box().filter(|b| b.is_bounded()).cloned() else {
        return Err(AgentError::invalid(format!("agent `sac` needs a bounded Box action space; {} has none", spec.id)));
    };
    let (d, a) = (spec.obs_dim(), spec.act_dim());
    let scale: Vec<f32> = action_box.low.iter().zip(&action_box.high).map(|(l, h)| (h - l) / 2.0).collect();
    let bias: Vec<f32> = action_box.low.iter().zip(&action_box.high).map(|(l, h)| (h + l) / 2.0).collect();
    let (scale_t, bias_t) = (Tensor::from_slice(&scale, a, &dev)?, Tensor::from_slice(&bias, a, &dev)?);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[30]));
    // The env that recomputes relabelled rewards (a second instance: the interacting one is
    // borrowed mutably while minibatches are drawn).
    let reward_env = if cfg.her_future_goals > 0 { Some(ctx.make_env()?) } else { None };
    let her = match &reward_env {
        Some(env) => Some(Her::new("sac", cfg.her_future_goals, cfg.buffer_size, env.as_ref())?),
        None => None,
    };

    // Actor: mean and log-std networks of the `mlp` policy's architecture; twin critics, their
    // targets, the temperature, and their optimisers.
    let actor_cfg = MlpConfig::parse(ctx.policy_config.as_ref())?;
    let mut sizes = vec![d];
    sizes.extend(&actor_cfg.hidden);
    sizes.push(a);
    let mean_net = Mlp::new(&sizes, actor_cfg.activation, 0.01, &mut rng, &dev)?;
    let log_std_net = Mlp::new(&sizes, actor_cfg.activation, 0.01, &mut rng, &dev)?;
    let mut critic_sizes = vec![d + a];
    critic_sizes.extend(&cfg.hidden);
    critic_sizes.push(1);
    let critics: Vec<Mlp> = (0..2).map(|_| Mlp::new(&critic_sizes, Activation::Relu, 1.0, &mut rng, &dev)).collect::<candle_core::Result<_>>()?;
    let targets: Vec<Mlp> = critics.iter().map(|c| c.deep_copy()).collect::<candle_core::Result<_>>()?;
    let critic_vars: Vec<Var> = critics.iter().flat_map(|c| c.vars()).collect();
    let target_vars: Vec<Var> = targets.iter().flat_map(|c| c.vars()).collect();
    let mut actor_vars = mean_net.vars();
    actor_vars.extend(log_std_net.vars());
    let log_alpha = Var::from_tensor(&Tensor::new(cfg.alpha.ln() as f32, &dev)?)?;
    let mut q_opt = TensorAdam::new(critic_vars.clone(), cfg.q_lr, 1e-8)?;
    let mut actor_opt = TensorAdam::new(actor_vars.clone(), cfg.policy_lr, 1e-8)?;
    let mut alpha_opt = TensorAdam::new(vec![log_alpha.clone()], cfg.q_lr, 1e-8)?;
    let target_entropy = -(a as f64);
    let n_params: usize = mean_net.vars().iter().map(|v| v.elem_count()).sum();

    // π(·|s): a reparameterised sample and its log-probability.
    let sample_pi = |obs: &Tensor, noise: &Tensor| -> candle_core::Result<(Tensor, Tensor)> {
        let mu = mean_net.forward(obs)?;
        let log_std = (log_std_net.forward(obs)?.tanh()? + 1.0)?.affine(0.5 * (LOG_STD_MAX - LOG_STD_MIN), LOG_STD_MIN)?;
        let x = (&mu + (log_std.exp()? * noise)?)?;
        let y = x.tanh()?;
        let action = y.broadcast_mul(&scale_t)?.broadcast_add(&bias_t)?;
        let normal_logp = ((noise.sqr()? * -0.5)? - &log_std)?.affine(1.0, -0.5 * (2.0 * std::f64::consts::PI).ln())?;
        let squash = ((1.0 - y.sqr()?)?.broadcast_mul(&scale_t)? + 1e-6)?.log()?;
        Ok((action, (normal_logp - squash)?.sum(1)?))
    };
    let q = |critic: &Mlp, obs: &Tensor, act: &Tensor| -> candle_core::Result<Tensor> { critic.forward(&Tensor::cat(&[obs, act], 1)?)?.flatten_all() };
    let alpha_now = || -> candle_core::Result<f64> { Ok(log_alpha.exp()?.to_scalar::<f32>()? as f64) };
    let normal = |rng: &mut Xoshiro256PlusPlus, n: usize| -> Vec<f32> { (0..n).map(|_| StandardNormal.sample(rng)).collect() };

    let mut run = Run::new(ctx, "sac", COLUMNS, n_params, None, resume)?;
    let mut replay = Replay::new(cfg.buffer_size, d, a);
    let mut world = Interaction::new(env, ctx.run.seed, 31);
    let (mut critic_losses, mut actor_losses) = (Vec::new(), Vec::new());
    if let Some((mut t, saved)) = run.resume::<SacState>()? {
        t.take_vars("actor.mean", &mean_net.vars())?;
        t.take_vars("actor.log_std", &log_std_net.vars())?;
        t.take_vars("critics", &critic_vars)?;
        t.take_vars("target_critics", &target_vars)?;
        t.take_vars("log_alpha", std::slice::from_ref(&log_alpha))?;
        t.take_adam("actor_adam", &mut actor_opt, saved.adam_t[0])?;
        t.take_adam("q_adam", &mut q_opt, saved.adam_t[1])?;
        t.take_adam("alpha_adam", &mut alpha_opt, saved.adam_t[2])?;
        world.restore(saved.interaction, &mut replay, &mut t)?;
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
        if run.progress.env_steps < cfg.learning_starts {
            action_box.sample_into(&mut rng, &mut action);
        } else {
            let o = Tensor::from_slice(&world.obs, (1, d), &dev)?;
            let noise = Tensor::from_vec(normal(&mut rng, a), (1, a), &dev)?;
            action = sample_pi(&o, &noise)?.0.flatten_all()?.to_vec1::<f32>()?;
        }
        world.step(&action, &mut replay, (0.0, 0.0), &mut run)?;
        let step = run.progress.env_steps;

        if step > cfg.learning_starts {
            let b = sample(&replay, cfg.batch_size, &mut rng, her.as_ref())?;
            let noise = Tensor::from_vec(normal(&mut rng, cfg.batch_size * a), (cfg.batch_size, a), &dev)?;
            // Critics: soft Bellman targets from the current policy at s'.
            let alpha = alpha_now()?;
            let critic_loss = (|| -> candle_core::Result<Tensor> {
                let (next_a, next_logp) = sample_pi(&b.next_obs, &noise)?;
                let next_q = q(&targets[0], &b.next_obs, &next_a)?.minimum(&q(&targets[1], &b.next_obs, &next_a)?)?;
                let soft = (next_q - (next_logp * alpha)?)?;
                let target = (&b.rewards + ((1.0 - &b.dones)? * soft)?.affine(cfg.gamma, 0.0)?)?.detach();
                let l1 = (q(&critics[0], &b.obs, &b.actions)? - &target)?.sqr()?.mean_all()?;
                let l2 = (q(&critics[1], &b.obs, &b.actions)? - &target)?.sqr()?.mean_all()?;
                l1 + l2
            })()?;
            let mut grads = critic_loss.backward()?;
            for v in &actor_vars {
                grads.remove(v);
            }
            q_opt.step(&grads)?;
            critic_losses.push(critic_loss.to_scalar::<f32>()? as f64);
            // Actor and temperature, delayed but repeated to keep the update ratio.
            if step % cfg.policy_frequency == 0 {
                for _ in 0..cfg.policy_frequency {
                    let noise = Tensor::from_vec(normal(&mut rng, cfg.batch_size * a), (cfg.batch_size, a), &dev)?;
                    let alpha = alpha_now()?;
                    let (pi, logp) = sample_pi(&b.obs, &noise)?;
                    let actor_loss = (|| -> candle_core::Result<Tensor> {
                        let min_q = q(&critics[0], &b.obs, &pi)?.minimum(&q(&critics[1], &b.obs, &pi)?)?;
                        ((&logp * alpha)? - min_q)?.mean_all()
                    })()?;
                    let mut grads = actor_loss.backward()?;
                    for v in critic_vars.iter().chain(std::iter::once(&log_alpha)) {
                        grads.remove(v);
                    }
                    actor_opt.step(&grads)?;
                    actor_losses.push(actor_loss.to_scalar::<f32>()? as f64);
                    if cfg.autotune {
                        let alpha_loss = (|| -> candle_core::Result<Tensor> {
                            let entropy_gap = (logp.detach() + target_entropy)?;
                            (entropy_gap.broadcast_mul(&log_alpha.exp()?)? * -1.0)?.mean_all()
                        })()?;
                        let mut grads = alpha_loss.backward()?;
                        for v in critic_vars.iter().chain(&actor_vars) {
                            grads.remove(v);
                        }
                        alpha_opt.step(&grads)?;
                    }
                }
            }
            for (tv, cv) in target_vars.iter().zip(&critic_vars) {
                let averaged: candle_core::Result<Tensor> = (|| (cv.as_tensor() * cfg.tau)? + (tv.as_tensor() * (1.0 - cfg.tau))?)();
                tv.set(&averaged?)?;
            }
        }

        // Evaluation rows fall on fixed steps (not on a stop), as in an uninterrupted run.
        if row_due(step, cfg.eval_every_steps, run.budget()) {
            let policy = mean_net.flat()?;
            let r = run.evaluate(&policy, &[], cfg.eval_episodes)?;
            let recent = average(&world.recent);
            let row = [step as f64, run.wall_time(), recent, r.0, r.1, average(&critic_losses), average(&actor_losses), alpha_now()?];
            run.write_row(&row)?;
            run.save_policy(&policy, &[])?;
            on_progress(&Progress { iteration: step / cfg.eval_every_steps, env_steps: step, recent_return: recent, eval_return: Some(r.0) });
            if on_grid(step, cfg.eval_every_steps) {
                world.recent.clear();
                critic_losses.clear();
                actor_losses.clear();
            }
        }
        stopped = run.stop_requested();
        if checkpoint_due(step, cfg.checkpoint_every_steps, run.budget(), stopped) {
            run.save_policy(&mean_net.flat()?, &[])?;
            // The resumable state: networks, optimisers, temperature, the replay buffer, the env mid-episode.
            let state = SacState {
                adam_t: [actor_opt.t, q_opt.t, alpha_opt.t],
                rng: rng.clone(),
                critic_losses: critic_losses.clone(),
                actor_losses: actor_losses.clone(),
                interaction: world.state(&replay)?,
            };
            let mut tensors = TensorList::default();
            tensors.vars("actor.mean", &mean_net.vars())?.vars("actor.log_std", &log_std_net.vars())?;
            tensors.vars("critics", &critic_vars)?.vars("target_critics", &target_vars)?.vars("log_alpha", std::slice::from_ref(&log_alpha))?;
            tensors.adam("actor_adam", &actor_opt)?.adam("q_adam", &q_opt)?.adam("alpha_adam", &alpha_opt)?;
            tensors.extend(replay.tensors());
            for (name, values) in replay.episode_tensors() {
                tensors.owned(name, values);
            }
            run.save_checkpoint(&tensors, &state)?;
        }
    }
    // A completed run evaluated at its last step; a stopped one is evaluated now.
    let (steps, completed) = (run.progress.env_steps, run.budget_spent());
    let policy = mean_net.flat()?;
    run.finish(steps, completed, |run| run.score(&policy, &[], cfg.eval_episodes))
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
    #[serde(flatten)]
    interaction: InteractionState,
}
