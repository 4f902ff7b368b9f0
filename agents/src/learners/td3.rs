//! TD3 (Fujimoto, van Hoof & Meger, 2018) after CleanRL's `td3_continuous_action.py`, and DDPG
//! (Lillicrap et al., 2016) as its special case: one critic, no target-policy smoothing, the
//! actor updated every step. A deterministic actor — an MLP squashed into the action box, or
//! the NCAP circuit (as the NCAP paper trained it with DDPG) — explores with Gaussian noise;
//! critics `Q(s, a)` are MLPs on the observation and action; targets track by Polyak averaging.
//!
//! One env ([`crate::learners::off_policy`]: truncated episodes are bootstrapped).

use candle_core::{Device, Tensor, Var};
use controllers::ncap::oscillator;
use controllers::Activation;
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::learners::off_policy::{average, checkpoint_due, on_grid, row_due, sample, Interaction, InteractionState};
use crate::learners::her::Her;
use crate::learners::replay::Replay;
use crate::nets::{flatten, Actor, Mlp};
use crate::optim::TensorAdam;
use crate::run::checkpoint::TensorList;
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
        }
    }
}

impl Td3Config {
    pub fn validate(&self, agent: &str) -> Result<(), AgentError> {
        if self.batch_size == 0 || self.buffer_size < self.batch_size || self.eval_episodes == 0 || self.eval_every_steps == 0 || self.policy_frequency == 0 {
            return Err(AgentError::invalid(format!(
                "agent `{agent}`: batch_size, eval_episodes, eval_every_steps and policy_frequency must be ≥ 1, and buffer_size ≥ batch_size"
            )));
        }
        for (k, v) in [("tau", self.tau), ("gamma", self.gamma)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(AgentError::invalid(format!("agent `{agent}`: `{k}` = {v}: expected a number in [0, 1]")));
            }
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(AgentError::invalid(format!("agent `{agent}`: `learning_rate` = {}: expected a number > 0", self.learning_rate)));
        }
        crate::learners::check_widths(agent, "hidden", &self.hidden)
    }
}

pub const COLUMNS: &[&str] = &["env_steps", "wall_time_s", "episode_return", "eval_return", "eval_return_std", "critic_loss", "actor_loss", "q_mean"];

/// TD3 with `twin = true`; DDPG with `twin = false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Td3,
    Ddpg,
}

/// Polyak averaging `target ← τ·source + (1 − τ)·target`.
fn soft_update(target: &[Var], source: &[Var], tau: f64) -> candle_core::Result<()> {
    for (t, s) in target.iter().zip(source) {
        t.set(&((s.as_tensor() * tau)? + (t.as_tensor() * (1.0 - tau))?)?)?;
    }
    Ok(())
}

/// Trains `ctx`'s policy (`mlp` or an `ncap` variant) with TD3 or DDPG.
pub fn train(ctx: &TrainContext, cfg: &Td3Config, variant: Variant, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    let agent = match variant {
        Variant::Td3 => "td3",
        Variant::Ddpg => "ddpg",
    };
    cfg.validate(agent)?;
    let dev = Device::Cpu;
    let env = ctx.make_env()?;
    let spec = env.spec().clone();
    let Some(action_box) = spec.action_space.as_box().filter(|b| b.is_bounded()).cloned() else {
        return Err(AgentError::invalid(format!("agent `{agent}` needs a bounded Box action space; {} has none", spec.id)));
    };
    let (d, a) = (spec.obs_dim(), spec.act_dim());
    let scale: Vec<f32> = action_box.low.iter().zip(&action_box.high).map(|(l, h)| (h - l) / 2.0).collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[20]));
    // The env that recomputes relabelled rewards (a second instance: the interacting one is
    // borrowed mutably while minibatches are drawn).
    let reward_env = if cfg.her_future_goals > 0 { Some(ctx.make_env()?) } else { None };
    let her = match &reward_env {
        Some(env) => Some(Her::new(agent, cfg.her_future_goals, cfg.buffer_size, env.as_ref())?),
        None => None,
    };

    // Actor, critics (one for DDPG), their targets and optimisers.
    let actor = Actor::build(agent, &ctx.run.policy, ctx.policy_config.as_ref(), &spec, &action_box, &mut rng)?;
    let period = actor.oscillator_period();
    let mut critic_sizes = vec![d + a];
    critic_sizes.extend(&cfg.hidden);
    critic_sizes.push(1);
    let n_critics = if variant == Variant::Td3 { 2 } else { 1 };
    let critics: Vec<Mlp> = (0..n_critics).map(|_| Mlp::new(&critic_sizes, Activation::Relu, 1.0, &mut rng, &dev)).collect::<candle_core::Result<_>>()?;
    let target_actor = actor.deep_copy()?;
    let target_critics: Vec<Mlp> = critics.iter().map(|c| c.deep_copy()).collect::<candle_core::Result<_>>()?;
    let critic_vars: Vec<Var> = critics.iter().flat_map(|c| c.vars()).collect();
    let target_critic_vars: Vec<Var> = target_critics.iter().flat_map(|c| c.vars()).collect();
    let mut critic_opt = TensorAdam::new(critic_vars.clone(), cfg.learning_rate, 1e-8)?;
    let mut actor_opt = TensorAdam::new(actor.vars(), cfg.learning_rate, 1e-8)?;
    let policy_frequency = if variant == Variant::Td3 { cfg.policy_frequency } else { 1 };
    let (low_t, high_t) = (Tensor::from_slice(&action_box.low, a, &dev)?, Tensor::from_slice(&action_box.high, a, &dev)?);
    let q = |critic: &Mlp, obs: &Tensor, act: &Tensor| -> candle_core::Result<Tensor> { critic.forward(&Tensor::cat(&[obs, act], 1)?)?.flatten_all() };

    let mut run = Run::new(ctx, agent, COLUMNS, actor.n_params(), None, resume)?;
    let mut replay = Replay::new(cfg.buffer_size, d, a);
    let mut world = Interaction::new(env, ctx.run.seed, 21);
    let (mut critic_losses, mut actor_losses, mut q_means) = (Vec::new(), Vec::new(), Vec::new());
    let mut updates = 0u64;
    if let Some((mut t, saved)) = run.resume::<Td3State>()? {
        t.take_vars("actor", &actor.vars())?;
        t.take_vars("target_actor", &target_actor.vars())?;
        t.take_vars("critics", &critic_vars)?;
        t.take_vars("target_critics", &target_critic_vars)?;
        t.take_adam("actor_adam", &mut actor_opt, saved.actor_adam_t)?;
        t.take_adam("critic_adam", &mut critic_opt, saved.critic_adam_t)?;
        world.restore(saved.interaction, &mut replay, &mut t)?;
        (rng, updates, critic_losses, actor_losses, q_means) = (saved.rng, saved.updates, saved.critic_losses, saved.actor_losses, saved.q_means);
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
        if run.progress.env_steps < cfg.learning_starts {
            action_box.sample_into(&mut rng, &mut action);
        } else {
            let o = Tensor::from_slice(&world.obs, (1, d), &dev)?;
            let (od, ov) = (Tensor::new(&[osc_d], &dev)?, Tensor::new(&[1.0 - osc_d], &dev)?);
            let mu = actor.forward(&o, &o, &od, &ov)?.flatten_all()?.to_vec1::<f32>()?;
            for j in 0..a {
                let noise: f32 = StandardNormal.sample(&mut rng);
                action[j] = (mu[j] + noise * scale[j] * cfg.exploration_noise as f32).clamp(action_box.low[j], action_box.high[j]);
            }
        }
        let next_osc = oscillator(period, world.ep_step + 1).0;
        world.step(&action, &mut replay, (osc_d, next_osc), &mut run)?;
        let step = run.progress.env_steps;

        // Learn: critics towards the (smoothed, clipped double-Q) target, then the delayed actor
        // and the targets.
        if step > cfg.learning_starts {
            let b = sample(&replay, cfg.batch_size, &mut rng, her.as_ref())?;
            let smoothing: Vec<f32> = (0..cfg.batch_size * a)
                .map(|k| {
                    let n: f32 = StandardNormal.sample(&mut rng);
                    (n * cfg.policy_noise as f32).clamp(-cfg.noise_clip as f32, cfg.noise_clip as f32) * scale[k % a]
                })
                .collect();
            let (critic_loss, q_mean) = (|| -> candle_core::Result<(Tensor, f32)> {
                let next_mu = target_actor.forward(&b.next_obs, &b.next_obs, &b.next_osc, &(1.0 - &b.next_osc)?)?;
                let next_act = if variant == Variant::Td3 {
                    (next_mu + Tensor::from_vec(smoothing, (cfg.batch_size, a), &dev)?)?.broadcast_maximum(&low_t)?.broadcast_minimum(&high_t)?
                } else {
                    next_mu
                };
                let mut next_q = q(&target_critics[0], &b.next_obs, &next_act)?;
                if variant == Variant::Td3 {
                    next_q = next_q.minimum(&q(&target_critics[1], &b.next_obs, &next_act)?)?;
                }
                let target = (&b.rewards + ((1.0 - &b.dones)? * next_q)?.affine(cfg.gamma, 0.0)?)?.detach();
                let mut loss = Tensor::new(0.0_f32, &dev)?;
                let mut q_mean = 0.0;
                for critic in &critics {
                    let qv = q(critic, &b.obs, &b.actions)?;
                    q_mean = qv.mean_all()?.to_scalar::<f32>()?;
                    loss = (loss + (qv - &target)?.sqr()?.mean_all()?)?;
                }
                Ok((loss, q_mean))
            })()?;
            critic_opt.step(&critic_loss.backward()?)?;
            critic_losses.push(critic_loss.to_scalar::<f32>()? as f64);
            q_means.push(q_mean as f64);
            updates += 1;
            if updates % policy_frequency == 0 {
                let loss = (|| -> candle_core::Result<Tensor> {
                    let mu = actor.forward(&b.obs, &b.obs, &b.osc, &(1.0 - &b.osc)?)?;
                    q(&critics[0], &b.obs, &mu)?.mean_all()?.neg()
                })()?;
                let mut grads = loss.backward()?;
                for v in &critic_vars {
                    grads.remove(v);
                }
                actor_opt.step(&grads)?;
                actor_losses.push(loss.to_scalar::<f32>()? as f64);
                soft_update(&target_actor.vars(), &actor.vars(), cfg.tau)?;
                for (t, c) in target_critics.iter().zip(&critics) {
                    soft_update(&t.vars(), &c.vars(), cfg.tau)?;
                }
            }
        }

        // Evaluation rows fall on fixed steps (not on a stop), as in an uninterrupted run.
        if row_due(step, cfg.eval_every_steps, run.budget()) {
            let policy = flatten(&actor.vars())?;
            let r = run.evaluate(&policy, &[], cfg.eval_episodes)?;
            let recent = average(&world.recent);
            let row = [step as f64, run.wall_time(), recent, r.0, r.1, average(&critic_losses), average(&actor_losses), average(&q_means)];
            run.write_row(&row)?;
            run.save_policy(&policy, &[])?;
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
            run.save_policy(&flatten(&actor.vars())?, &[])?;
            // The resumable state: networks, optimisers, the replay buffer, the env mid-episode.
            let state = Td3State {
                updates,
                actor_adam_t: actor_opt.t,
                critic_adam_t: critic_opt.t,
                rng: rng.clone(),
                critic_losses: critic_losses.clone(),
                actor_losses: actor_losses.clone(),
                q_means: q_means.clone(),
                interaction: world.state(&replay)?,
            };
            let mut tensors = TensorList::default();
            tensors.vars("actor", &actor.vars())?.vars("target_actor", &target_actor.vars())?;
            tensors.vars("critics", &critic_vars)?.vars("target_critics", &target_critic_vars)?;
            tensors.adam("actor_adam", &actor_opt)?.adam("critic_adam", &critic_opt)?;
            tensors.extend(replay.tensors());
            for (name, values) in replay.episode_tensors() {
                tensors.owned(name, values);
            }
            run.save_checkpoint(&tensors, &state)?;
        }
    }
    // A completed run evaluated at its last step; a stopped one is evaluated now.
    let (steps, completed) = (run.progress.env_steps, run.budget_spent());
    let policy = flatten(&actor.vars())?;
    run.finish(steps, completed, |run| run.score(&policy, &[], cfg.eval_episodes))
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
    #[serde(flatten)]
    interaction: InteractionState,
}
