//! TD3 (Fujimoto, van Hoof & Meger, 2018) after CleanRL's `td3_continuous_action.py`, and DDPG
//! (Lillicrap et al., 2016) as its special case: one critic, no target-policy smoothing, the
//! actor updated every step. A deterministic actor — an MLP squashed into the action box, or
//! the NCAP circuit (as the NCAP paper trained it with DDPG) — explores with Gaussian noise;
//! critics `Q(s, a)` are MLPs on the observation and action; targets track by Polyak averaging.
//!
//! One env. Truncated episodes are bootstrapped (the stored `done` is `terminated` only, and the
//! stored next observation is the episode's final one).

use std::time::Instant;

use candle_core::{Device, Tensor, Var};
use controllers::ncap::oscillator;
use envs::Info;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{load_learner, save_learner, save_policy, take_adam, take_vars, PolicyHeader};
use crate::metrics::MetricsWriter;
use crate::actor::{candle_err, Actor};
use crate::replay::Replay;
use crate::mlp::Activation;
use crate::nn::{flatten, Adam, Mlp};
use crate::run::{Progress, Summary, TrainContext};
use crate::{evaluate, seeds, AgentError};

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
    let e = candle_err;
    let dev = Device::Cpu;
    let mut env = ctx.make_env()?;
    let spec = env.spec().clone();
    let Some(action_box) = spec.action_space.as_box().filter(|b| b.is_bounded()).cloned() else {
        return Err(AgentError::invalid(format!("agent `{agent}` needs a bounded Box action space; {} has none", spec.id)));
    };
    let (d, a) = (spec.obs_dim(), spec.act_dim());
    let scale: Vec<f32> = action_box.low.iter().zip(&action_box.high).map(|(l, h)| (h - l) / 2.0).collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[20]));

    let actor = Actor::build(agent, &ctx.run.policy, ctx.policy_config.as_ref(), &spec, &action_box, &mut rng)?;
    let period = actor.oscillator_period();
    let mut critic_sizes = vec![d + a];
    critic_sizes.extend(&cfg.hidden);
    critic_sizes.push(1);
    let n_critics = if variant == Variant::Td3 { 2 } else { 1 };
    let critics: Vec<Mlp> = (0..n_critics).map(|_| Mlp::new(&critic_sizes, Activation::Relu, 1.0, &mut rng, &dev)).collect::<candle_core::Result<_>>().map_err(e)?;
    let target_actor = actor.deep_copy().map_err(e)?;
    let target_critics: Vec<Mlp> = critics.iter().map(|c| c.deep_copy()).collect::<candle_core::Result<_>>().map_err(e)?;
    let critic_vars: Vec<Var> = critics.iter().flat_map(|c| c.vars()).collect();
    let mut critic_opt = Adam::new(critic_vars.clone(), cfg.learning_rate, 1e-8).map_err(e)?;
    let mut actor_opt = Adam::new(actor.vars(), cfg.learning_rate, 1e-8).map_err(e)?;
    let n_params = actor.n_params();
    let header = PolicyHeader { env: ctx.run.env.clone(), policy: ctx.run.policy.clone(), n_params };
    let policy_frequency = if variant == Variant::Td3 { cfg.policy_frequency } else { 1 };
    let (low_t, high_t) = (Tensor::from_slice(&action_box.low, a, &dev).map_err(e)?, Tensor::from_slice(&action_box.high, a, &dev).map_err(e)?);

    let q = |critic: &Mlp, obs: &Tensor, act: &Tensor| -> candle_core::Result<Tensor> { critic.forward(&Tensor::cat(&[obs, act], 1)?)?.flatten_all() };
    let flat_policy = |actor: &Actor| -> Result<Vec<f32>, AgentError> { flatten(&actor.vars()).map_err(e) };
    let eval_pool = rayon::ThreadPoolBuilder::new().build().map_err(|err| AgentError::invalid(format!("thread pool: {err}")))?;
    let evaluate_now = |actor: &Actor| -> Result<(f64, f64), AgentError> { evaluate::parallel(&eval_pool, ctx, &flat_policy(actor)?, &[], cfg.eval_episodes) };
    let save = |actor: &Actor| -> Result<(), AgentError> { save_policy(&ctx.dir.join("policy.safetensors"), &header, &flat_policy(actor)?, &[]) };

    let mut replay = Replay::new(cfg.buffer_size, d, a);
    let mut obs = vec![0.0_f32; d];
    let mut next_obs = vec![0.0_f32; d];
    let mut info = Info::default();
    let mut episode = 0u64;
    let (mut ep_step, mut ep_return, mut recent) = (0usize, 0.0_f64, Vec::<f64>::new());
    let (mut critic_losses, mut actor_losses, mut q_means) = (Vec::new(), Vec::new(), Vec::new());
    let (mut best_eval, mut last_eval) = (f64::NEG_INFINITY, None);
    let (mut step, mut updates, mut wall_before) = (0u64, 0u64, 0.0);
    let checkpoint_path = ctx.dir.join("checkpoint.safetensors");
    let metrics_path = ctx.dir.join("metrics.csv");
    let mut metrics = if resume {
        let (mut t, saved): (_, Td3State) = load_learner(&checkpoint_path, agent)?;
        let path = &checkpoint_path;
        take_vars(&mut t, "actor", &actor.vars(), path)?;
        take_vars(&mut t, "target_actor", &target_actor.vars(), path)?;
        take_vars(&mut t, "critics", &critic_vars, path)?;
        take_vars(&mut t, "target_critics", &target_critics.iter().flat_map(|c| c.vars()).collect::<Vec<_>>(), path)?;
        take_adam(&mut t, "actor_adam", &mut actor_opt, saved.actor_adam_t, path)?;
        take_adam(&mut t, "critic_adam", &mut critic_opt, saved.critic_adam_t, path)?;
        replay.restore(&mut t, saved.replay_len, saved.replay_next, path)?;
        if saved.obs.len() != d {
            return Err(AgentError::invalid(format!("{}: the saved observation has {} entries, not {d}", path.display(), saved.obs.len())));
        }
        env.restore(&saved.env)?;
        (obs, rng, episode, ep_step, ep_return) = (saved.obs, saved.rng, saved.episode, saved.ep_step, saved.ep_return);
        (recent, critic_losses, actor_losses, q_means) = (saved.recent, saved.critic_losses, saved.actor_losses, saved.q_means);
        (best_eval, last_eval, step, updates, wall_before) = (saved.best_eval, saved.last_eval, saved.env_steps, saved.updates, saved.wall_time_s);
        MetricsWriter::resume(&metrics_path, COLUMNS, crate::metrics::off_policy_rows(step, ctx.run.steps, cfg.eval_every_steps))?
    } else {
        env.reset(Some(seeds::mix(ctx.run.seed, &[21, episode])), &mut obs, &mut info)?;
        MetricsWriter::create(&metrics_path, COLUMNS)?
    };
    let started = Instant::now();
    let mut action = vec![0.0_f32; a];
    // The stop flag is read once per step, so that the step that sees it also checkpoints.
    let mut stopped = false;
    while step < ctx.run.steps && !stopped {
        let (osc_d, _) = oscillator(period, ep_step);
        // Act: uniform at first, then μ(s) plus Gaussian exploration noise, clipped to the box.
        if step < cfg.learning_starts {
            action_box.sample_into(&mut rng, &mut action);
        } else {
            let o = Tensor::from_slice(&obs, (1, d), &dev).map_err(e)?;
            let (od, ov) = (Tensor::new(&[osc_d], &dev).map_err(e)?, Tensor::new(&[1.0 - osc_d], &dev).map_err(e)?);
            let mu = actor.forward(&o, &o, &od, &ov).map_err(e)?.flatten_all().map_err(e)?.to_vec1::<f32>().map_err(e)?;
            for j in 0..a {
                let noise: f32 = StandardNormal.sample(&mut rng);
                action[j] = (mu[j] + noise * scale[j] * cfg.exploration_noise as f32).clamp(action_box.low[j], action_box.high[j]);
            }
        }
        let s = env.step(&action, &mut next_obs, &mut info)?;
        step += 1;
        ep_return += s.reward;
        let (next_osc, _) = oscillator(period, ep_step + 1);
        replay.push(&obs, &next_obs, &action, s.reward as f32, s.terminated, osc_d, next_osc);
        if s.done() {
            recent.push(ep_return);
            episode += 1;
            env.reset(Some(seeds::mix(ctx.run.seed, &[21, episode])), &mut obs, &mut info)?;
            ep_step = 0;
            ep_return = 0.0;
        } else {
            obs.copy_from_slice(&next_obs);
            ep_step += 1;
        }

        // Learn.
        if step > cfg.learning_starts {
            let idx: Vec<usize> = (0..cfg.batch_size).map(|_| rng.random_range(0..replay.len)).collect();
            let batch = |src: &[f32], w: usize| Tensor::from_vec(Replay::gather(src, w, &idx), (cfg.batch_size, w), &dev);
            let (b_obs, b_next, b_act) = (batch(&replay.obs, d).map_err(e)?, batch(&replay.next_obs, d).map_err(e)?, batch(&replay.actions, a).map_err(e)?);
            let (b_rew, b_done) = (batch(&replay.rewards, 1).map_err(e)?.flatten_all().map_err(e)?, batch(&replay.dones, 1).map_err(e)?.flatten_all().map_err(e)?);
            let (b_osc, b_next_osc) = (batch(&replay.osc, 1).map_err(e)?.flatten_all().map_err(e)?, batch(&replay.next_osc, 1).map_err(e)?.flatten_all().map_err(e)?);
            let smoothing: Vec<f32> = (0..cfg.batch_size * a)
                .map(|k| {
                    let n: f32 = StandardNormal.sample(&mut rng);
                    (n * cfg.policy_noise as f32).clamp(-cfg.noise_clip as f32, cfg.noise_clip as f32) * scale[k % a]
                })
                .collect();
            let critic_loss = (|| -> candle_core::Result<(Tensor, f32)> {
                let next_mu = target_actor.forward(&b_next, &b_next, &b_next_osc, &(1.0 - &b_next_osc)?)?;
                let next_act = if variant == Variant::Td3 {
                    (next_mu + Tensor::from_vec(smoothing.clone(), (cfg.batch_size, a), &dev)?)?.broadcast_maximum(&low_t)?.broadcast_minimum(&high_t)?
                } else {
                    next_mu
                };
                let mut next_q = q(&target_critics[0], &b_next, &next_act)?;
                if variant == Variant::Td3 {
                    next_q = next_q.minimum(&q(&target_critics[1], &b_next, &next_act)?)?;
                }
                let target = (&b_rew + ((1.0 - &b_done)? * next_q)?.affine(cfg.gamma, 0.0)?)?.detach();
                let mut loss = Tensor::new(0.0_f32, &dev)?;
                let mut q_mean = 0.0;
                for critic in &critics {
                    let qv = q(critic, &b_obs, &b_act)?;
                    q_mean = qv.mean_all()?.to_scalar::<f32>()?;
                    loss = (loss + (qv - &target)?.sqr()?.mean_all()?)?;
                }
                Ok((loss, q_mean))
            })()
            .map_err(e)?;
            let grads = critic_loss.0.backward().map_err(e)?;
            critic_opt.step(&grads).map_err(e)?;
            critic_losses.push(critic_loss.0.to_scalar::<f32>().map_err(e)? as f64);
            q_means.push(critic_loss.1 as f64);
            updates += 1;
            if updates % policy_frequency == 0 {
                let loss = (|| -> candle_core::Result<Tensor> {
                    let mu = actor.forward(&b_obs, &b_obs, &b_osc, &(1.0 - &b_osc)?)?;
                    q(&critics[0], &b_obs, &mu)?.mean_all()?.neg()
                })()
                .map_err(e)?;
                let mut grads = loss.backward().map_err(e)?;
                for v in &critic_vars {
                    grads.remove(v);
                }
                actor_opt.step(&grads).map_err(e)?;
                actor_losses.push(loss.to_scalar::<f32>().map_err(e)? as f64);
                soft_update(&target_actor.vars(), &actor.vars(), cfg.tau).map_err(e)?;
                for (t, c) in target_critics.iter().zip(&critics) {
                    soft_update(&t.vars(), &c.vars(), cfg.tau).map_err(e)?;
                }
            }
        }

        // Evaluation rows fall on fixed steps (not on a stop), as in an uninterrupted run.
        if step % cfg.eval_every_steps == 0 || step == ctx.run.steps {
            let r = evaluate_now(&actor)?;
            best_eval = best_eval.max(r.0);
            last_eval = Some(r);
            let avg = |x: &[f64]| if x.is_empty() { f64::NAN } else { x.iter().sum::<f64>() / x.len() as f64 };
            metrics.write(&[step as f64, wall_before + started.elapsed().as_secs_f64(), avg(&recent), r.0, r.1, avg(&critic_losses), avg(&actor_losses), avg(&q_means)])?;
            save(&actor)?;
            on_progress(&Progress { iteration: step / cfg.eval_every_steps, env_steps: step, recent_return: avg(&recent), eval_return: Some(r.0) });
            // A final row off the evaluation grid keeps its averages running, so that raising
            // the budget and resuming continues them as an uninterrupted run would.
            if step % cfg.eval_every_steps == 0 {
                recent.clear();
                critic_losses.clear();
                actor_losses.clear();
                q_means.clear();
            }
        }
        stopped = ctx.stop_requested();
        let due = cfg.checkpoint_every_steps > 0 && step % cfg.checkpoint_every_steps == 0;
        if stopped || due || step >= ctx.run.steps {
            save(&actor)?;
            // The resumable state: networks, optimisers, the replay buffer, the env mid-episode.
            let state = Td3State {
                env_steps: step,
                updates,
                wall_time_s: wall_before + started.elapsed().as_secs_f64(),
                best_eval,
                last_eval,
                actor_adam_t: actor_opt.t,
                critic_adam_t: critic_opt.t,
                rng: rng.clone(),
                episode,
                ep_step,
                ep_return,
                obs: obs.clone(),
                recent: recent.clone(),
                critic_losses: critic_losses.clone(),
                actor_losses: actor_losses.clone(),
                q_means: q_means.clone(),
                replay_len: replay.len,
                replay_next: replay.next,
                env: env.snapshot()?,
            };
            let flat = |vars: &[Var]| flatten(vars).map_err(e);
            let target_critic_vars: Vec<Var> = target_critics.iter().flat_map(|c| c.vars()).collect();
            let (actor_m, actor_v) = actor_opt.moments().map_err(e)?;
            let (critic_m, critic_v) = critic_opt.moments().map_err(e)?;
            let nets = [flat(&actor.vars())?, flat(&target_actor.vars())?, flat(&critic_vars)?, flat(&target_critic_vars)?];
            let mut tensors: Vec<(&str, &[f32])> = vec![
                ("actor", &nets[0]),
                ("target_actor", &nets[1]),
                ("critics", &nets[2]),
                ("target_critics", &nets[3]),
                ("actor_adam.m", &actor_m),
                ("actor_adam.v", &actor_v),
                ("critic_adam.m", &critic_m),
                ("critic_adam.v", &critic_v),
            ];
            tensors.extend(replay.tensors());
            save_learner(&checkpoint_path, agent, &tensors, &state)?;
        }
    }
    let wall = wall_before + started.elapsed().as_secs_f64();
    // A completed run evaluated at its last step; a stopped one is evaluated now.
    let completed = step >= ctx.run.steps;
    let (final_eval, final_std) = match last_eval {
        Some(r) if completed => r,
        _ => evaluate_now(&actor)?,
    };
    Ok(Summary {
        env: ctx.run.env.clone(),
        policy: ctx.run.policy.clone(),
        agent: agent.into(),
        seed: ctx.run.seed,
        n_params,
        iterations: step,
        env_steps: step,
        wall_time_s: wall,
        env_steps_per_s: step as f64 / wall.max(1e-9),
        final_eval_return: final_eval,
        final_eval_return_std: final_std,
        best_eval_return: best_eval.max(final_eval),
        completed,
    })
}

/// Everything besides the tensors that a resumed run needs to retrace an uninterrupted one.
#[derive(Serialize, Deserialize)]
struct Td3State {
    env_steps: u64,
    updates: u64,
    wall_time_s: f64,
    best_eval: f64,
    last_eval: Option<(f64, f64)>,
    actor_adam_t: u64,
    critic_adam_t: u64,
    /// Exploration noise, minibatch indices and smoothing noise all come from this stream.
    rng: Xoshiro256PlusPlus,
    episode: u64,
    ep_step: usize,
    ep_return: f64,
    obs: Vec<f32>,
    /// Since the last metrics row.
    recent: Vec<f64>,
    critic_losses: Vec<f64>,
    actor_losses: Vec<f64>,
    q_means: Vec<f64>,
    replay_len: usize,
    replay_next: usize,
    #[serde(with = "envs::snapshot::bytes")]
    env: Vec<u8>,
}

