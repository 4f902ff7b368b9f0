//! SAC (Haarnoja et al., 2018, with automatic entropy tuning), after CleanRL's
//! `sac_continuous_action.py`: a tanh-squashed Gaussian actor, twin critics with Polyak-averaged
//! targets, and the temperature α tuned towards a target entropy of −|A|.
//!
//! The actor's mean and log-std are two MLPs (CleanRL shares a trunk between two heads): the
//! mean network alone is the deterministic policy `bias + scale·tanh(μ(s))`, which is exactly
//! [`crate::mlp::MlpPolicy`], so `nerve eval --checkpoint` runs it. One env; truncated episodes
//! are bootstrapped.

use std::time::Instant;

use candle_core::{Device, Tensor, Var};
use envs::Info;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::actor::candle_err;
use crate::checkpoint::{load_learner, save_learner, save_policy, take_adam, take_vars, PolicyHeader};
use crate::metrics::MetricsWriter;
use crate::mlp::{Activation, MlpConfig};
use crate::nn::{flatten, Adam, Mlp};
use crate::replay::Replay;
use crate::run::{Progress, Summary, TrainContext};
use crate::{evaluate, seeds, AgentError};

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
        Ok(())
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
    let e = candle_err;
    let dev = Device::Cpu;
    let mut env = ctx.make_env()?;
    let spec = env.spec().clone();
    let Some(action_box) = spec.action_space.as_box().filter(|b| b.is_bounded()).cloned() else {
        return Err(AgentError::invalid(format!("agent `sac` needs a bounded Box action space; {} has none", spec.id)));
    };
    let (d, a) = (spec.obs_dim(), spec.act_dim());
    let scale: Vec<f32> = action_box.low.iter().zip(&action_box.high).map(|(l, h)| (h - l) / 2.0).collect();
    let bias: Vec<f32> = action_box.low.iter().zip(&action_box.high).map(|(l, h)| (h + l) / 2.0).collect();
    let (scale_t, bias_t) = (Tensor::from_slice(&scale, a, &dev).map_err(e)?, Tensor::from_slice(&bias, a, &dev).map_err(e)?);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[30]));

    // Actor: mean and log-std networks of the `mlp` policy's architecture.
    let actor_cfg: MlpConfig = match ctx.policy_config.as_ref() {
        None => MlpConfig::default(),
        Some(t) => toml::Value::Table(t.clone()).try_into().map_err(|err: toml::de::Error| AgentError::invalid(format!("policy `mlp`: invalid config: {}", err.message())))?,
    };
    let mut sizes = vec![d];
    sizes.extend(&actor_cfg.hidden);
    sizes.push(a);
    let mean_net = Mlp::new(&sizes, actor_cfg.activation, 0.01, &mut rng, &dev).map_err(e)?;
    let log_std_net = Mlp::new(&sizes, actor_cfg.activation, 0.01, &mut rng, &dev).map_err(e)?;
    let mut critic_sizes = vec![d + a];
    critic_sizes.extend(&cfg.hidden);
    critic_sizes.push(1);
    let critics: Vec<Mlp> = (0..2).map(|_| Mlp::new(&critic_sizes, Activation::Relu, 1.0, &mut rng, &dev)).collect::<candle_core::Result<_>>().map_err(e)?;
    let targets: Vec<Mlp> = critics.iter().map(|c| c.deep_copy()).collect::<candle_core::Result<_>>().map_err(e)?;
    let critic_vars: Vec<Var> = critics.iter().flat_map(|c| c.vars()).collect();
    let mut actor_vars = mean_net.vars();
    actor_vars.extend(log_std_net.vars());
    let log_alpha = Var::from_tensor(&Tensor::new(cfg.alpha.ln() as f32, &dev).map_err(e)?).map_err(e)?;
    let mut q_opt = Adam::new(critic_vars.clone(), cfg.q_lr, 1e-8).map_err(e)?;
    let mut actor_opt = Adam::new(actor_vars.clone(), cfg.policy_lr, 1e-8).map_err(e)?;
    let mut alpha_opt = Adam::new(vec![log_alpha.clone()], cfg.q_lr, 1e-8).map_err(e)?;
    let target_entropy = -(a as f64);
    let n_params: usize = mean_net.vars().iter().map(|v| v.elem_count()).sum();
    let header = PolicyHeader { env: ctx.run.env.clone(), policy: "mlp".into(), n_params };

    // π(·|s): a reparameterised sample, its log-probability, and the deterministic action.
    let sample = |obs: &Tensor, noise: &Tensor| -> candle_core::Result<(Tensor, Tensor)> {
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
    let eval_pool = rayon::ThreadPoolBuilder::new().build().map_err(|err| AgentError::invalid(format!("thread pool: {err}")))?;
    let evaluate_now = || -> Result<(f64, f64), AgentError> { evaluate::parallel(&eval_pool, ctx, &mean_net.flat().map_err(e)?, &[], cfg.eval_episodes) };
    let save = || -> Result<(), AgentError> { save_policy(&ctx.dir.join("policy.safetensors"), &header, &mean_net.flat().map_err(e)?, &[]) };

    let mut replay = Replay::new(cfg.buffer_size, d, a);
    let (mut obs, mut next_obs, mut action) = (vec![0.0_f32; d], vec![0.0_f32; d], vec![0.0_f32; a]);
    let mut info = Info::default();
    let mut episode = 0u64;
    let (mut ep_return, mut recent) = (0.0_f64, Vec::<f64>::new());
    let (mut critic_losses, mut actor_losses) = (Vec::new(), Vec::new());
    let (mut best_eval, mut last_eval) = (f64::NEG_INFINITY, None);
    let (mut step, mut wall_before) = (0u64, 0.0);
    let checkpoint_path = ctx.dir.join("checkpoint.safetensors");
    let metrics_path = ctx.dir.join("metrics.csv");
    let target_vars: Vec<Var> = targets.iter().flat_map(|c| c.vars()).collect();
    let mut metrics = if resume {
        let (mut t, saved): (_, SacState) = load_learner(&checkpoint_path, "sac")?;
        let path = &checkpoint_path;
        take_vars(&mut t, "actor.mean", &mean_net.vars(), path)?;
        take_vars(&mut t, "actor.log_std", &log_std_net.vars(), path)?;
        take_vars(&mut t, "critics", &critic_vars, path)?;
        take_vars(&mut t, "target_critics", &target_vars, path)?;
        take_vars(&mut t, "log_alpha", std::slice::from_ref(&log_alpha), path)?;
        take_adam(&mut t, "actor_adam", &mut actor_opt, saved.adam_t[0], path)?;
        take_adam(&mut t, "q_adam", &mut q_opt, saved.adam_t[1], path)?;
        take_adam(&mut t, "alpha_adam", &mut alpha_opt, saved.adam_t[2], path)?;
        replay.restore(&mut t, saved.replay_len, saved.replay_next, path)?;
        if saved.obs.len() != d {
            return Err(AgentError::invalid(format!("{}: the saved observation has {} entries, not {d}", path.display(), saved.obs.len())));
        }
        env.restore(&saved.env)?;
        (obs, rng, episode, ep_return, recent) = (saved.obs, saved.rng, saved.episode, saved.ep_return, saved.recent);
        (critic_losses, actor_losses) = (saved.critic_losses, saved.actor_losses);
        (best_eval, last_eval, step, wall_before) = (saved.best_eval, saved.last_eval, saved.env_steps, saved.wall_time_s);
        MetricsWriter::resume(&metrics_path, COLUMNS, crate::metrics::off_policy_rows(step, ctx.run.steps, cfg.eval_every_steps))?
    } else {
        env.reset(Some(seeds::mix(ctx.run.seed, &[31, episode])), &mut obs, &mut info)?;
        MetricsWriter::create(&metrics_path, COLUMNS)?
    };
    let started = Instant::now();
    let normal = |rng: &mut Xoshiro256PlusPlus, n: usize| -> Vec<f32> { (0..n).map(|_| StandardNormal.sample(rng)).collect() };
    // The stop flag is read once per step, so that the step that sees it also checkpoints.
    let mut stopped = false;
    while step < ctx.run.steps && !stopped {
        if step < cfg.learning_starts {
            action_box.sample_into(&mut rng, &mut action);
        } else {
            let o = Tensor::from_slice(&obs, (1, d), &dev).map_err(e)?;
            let noise = Tensor::from_vec(normal(&mut rng, a), (1, a), &dev).map_err(e)?;
            action = sample(&o, &noise).map_err(e)?.0.flatten_all().map_err(e)?.to_vec1::<f32>().map_err(e)?;
        }
        let s = env.step(&action, &mut next_obs, &mut info)?;
        step += 1;
        ep_return += s.reward;
        replay.push(&obs, &next_obs, &action, s.reward as f32, s.terminated, 0.0, 0.0);
        if s.done() {
            recent.push(ep_return);
            episode += 1;
            env.reset(Some(seeds::mix(ctx.run.seed, &[31, episode])), &mut obs, &mut info)?;
            ep_return = 0.0;
        } else {
            obs.copy_from_slice(&next_obs);
        }

        if step > cfg.learning_starts {
            let idx: Vec<usize> = (0..cfg.batch_size).map(|_| rng.random_range(0..replay.len)).collect();
            let batch = |src: &[f32], w: usize| Tensor::from_vec(Replay::gather(src, w, &idx), (cfg.batch_size, w), &dev);
            let (b_obs, b_next, b_act) = (batch(&replay.obs, d).map_err(e)?, batch(&replay.next_obs, d).map_err(e)?, batch(&replay.actions, a).map_err(e)?);
            let b_rew = batch(&replay.rewards, 1).map_err(e)?.flatten_all().map_err(e)?;
            let b_done = batch(&replay.dones, 1).map_err(e)?.flatten_all().map_err(e)?;
            let noise = Tensor::from_vec(normal(&mut rng, cfg.batch_size * a), (cfg.batch_size, a), &dev).map_err(e)?;
            // Critics: soft Bellman targets from the current policy at s'.
            let alpha = log_alpha.exp().map_err(e)?.to_scalar::<f32>().map_err(e)? as f64;
            let critic_loss = (|| -> candle_core::Result<Tensor> {
                let (next_a, next_logp) = sample(&b_next, &noise)?;
                let next_q = q(&targets[0], &b_next, &next_a)?.minimum(&q(&targets[1], &b_next, &next_a)?)?;
                let soft = (next_q - (next_logp * alpha)?)?;
                let target = (&b_rew + ((1.0 - &b_done)? * soft)?.affine(cfg.gamma, 0.0)?)?.detach();
                let l1 = (q(&critics[0], &b_obs, &b_act)? - &target)?.sqr()?.mean_all()?;
                let l2 = (q(&critics[1], &b_obs, &b_act)? - &target)?.sqr()?.mean_all()?;
                l1 + l2
            })()
            .map_err(e)?;
            let mut grads = critic_loss.backward().map_err(e)?;
            for v in &actor_vars {
                grads.remove(v);
            }
            q_opt.step(&grads).map_err(e)?;
            critic_losses.push(critic_loss.to_scalar::<f32>().map_err(e)? as f64);
            // Actor and temperature, delayed but repeated to keep the update ratio.
            if step % cfg.policy_frequency == 0 {
                for _ in 0..cfg.policy_frequency {
                    let noise = Tensor::from_vec(normal(&mut rng, cfg.batch_size * a), (cfg.batch_size, a), &dev).map_err(e)?;
                    let alpha = log_alpha.exp().map_err(e)?.to_scalar::<f32>().map_err(e)? as f64;
                    let (pi, logp) = sample(&b_obs, &noise).map_err(e)?;
                    let actor_loss = (|| -> candle_core::Result<Tensor> {
                        let min_q = q(&critics[0], &b_obs, &pi)?.minimum(&q(&critics[1], &b_obs, &pi)?)?;
                        ((&logp * alpha)? - min_q)?.mean_all()
                    })()
                    .map_err(e)?;
                    let mut grads = actor_loss.backward().map_err(e)?;
                    for v in critic_vars.iter().chain(std::iter::once(&log_alpha)) {
                        grads.remove(v);
                    }
                    actor_opt.step(&grads).map_err(e)?;
                    actor_losses.push(actor_loss.to_scalar::<f32>().map_err(e)? as f64);
                    if cfg.autotune {
                        let alpha_loss = (|| -> candle_core::Result<Tensor> {
                            let entropy_gap = (logp.detach() + target_entropy)?;
                            (entropy_gap.broadcast_mul(&log_alpha.exp()?)? * -1.0)?.mean_all()
                        })()
                        .map_err(e)?;
                        let mut grads = alpha_loss.backward().map_err(e)?;
                        for v in critic_vars.iter().chain(&actor_vars) {
                            grads.remove(v);
                        }
                        alpha_opt.step(&grads).map_err(e)?;
                    }
                }
            }
            for (t, c) in targets.iter().zip(&critics) {
                for (tv, cv) in t.vars().iter().zip(c.vars()) {
                    tv.set(&((cv.as_tensor() * cfg.tau).map_err(e)? + (tv.as_tensor() * (1.0 - cfg.tau)).map_err(e)?).map_err(e)?).map_err(e)?;
                }
            }
        }

        // Evaluation rows fall on fixed steps (not on a stop), as in an uninterrupted run.
        if step % cfg.eval_every_steps == 0 || step == ctx.run.steps {
            let r = evaluate_now()?;
            best_eval = best_eval.max(r.0);
            last_eval = Some(r);
            let avg = |x: &[f64]| if x.is_empty() { f64::NAN } else { x.iter().sum::<f64>() / x.len() as f64 };
            let alpha = log_alpha.exp().map_err(e)?.to_scalar::<f32>().map_err(e)? as f64;
            metrics.write(&[step as f64, wall_before + started.elapsed().as_secs_f64(), avg(&recent), r.0, r.1, avg(&critic_losses), avg(&actor_losses), alpha])?;
            save()?;
            on_progress(&Progress { iteration: step / cfg.eval_every_steps, env_steps: step, recent_return: avg(&recent), eval_return: Some(r.0) });
            // A final row off the evaluation grid keeps its averages running, so that raising
            // the budget and resuming continues them as an uninterrupted run would.
            if step % cfg.eval_every_steps == 0 {
                recent.clear();
                critic_losses.clear();
                actor_losses.clear();
            }
        }
        stopped = ctx.stop_requested();
        let due = cfg.checkpoint_every_steps > 0 && step % cfg.checkpoint_every_steps == 0;
        if stopped || due || step >= ctx.run.steps {
            save()?;
            // The resumable state: networks, optimisers, temperature, the replay buffer, the env mid-episode.
            let state = SacState {
                env_steps: step,
                wall_time_s: wall_before + started.elapsed().as_secs_f64(),
                best_eval,
                last_eval,
                adam_t: [actor_opt.t, q_opt.t, alpha_opt.t],
                rng: rng.clone(),
                episode,
                ep_return,
                obs: obs.clone(),
                recent: recent.clone(),
                critic_losses: critic_losses.clone(),
                actor_losses: actor_losses.clone(),
                replay_len: replay.len,
                replay_next: replay.next,
                env: env.snapshot()?,
            };
            let flat = |vars: &[Var]| flatten(vars).map_err(e);
            let nets = [flat(&mean_net.vars())?, flat(&log_std_net.vars())?, flat(&critic_vars)?, flat(&target_vars)?, flat(std::slice::from_ref(&log_alpha))?];
            let (actor_m, actor_v) = actor_opt.moments().map_err(e)?;
            let (q_m, q_v) = q_opt.moments().map_err(e)?;
            let (alpha_m, alpha_v) = alpha_opt.moments().map_err(e)?;
            let mut tensors: Vec<(&str, &[f32])> = vec![
                ("actor.mean", &nets[0]),
                ("actor.log_std", &nets[1]),
                ("critics", &nets[2]),
                ("target_critics", &nets[3]),
                ("log_alpha", &nets[4]),
                ("actor_adam.m", &actor_m),
                ("actor_adam.v", &actor_v),
                ("q_adam.m", &q_m),
                ("q_adam.v", &q_v),
                ("alpha_adam.m", &alpha_m),
                ("alpha_adam.v", &alpha_v),
            ];
            tensors.extend(replay.tensors());
            save_learner(&checkpoint_path, "sac", &tensors, &state)?;
        }
    }
    let wall = wall_before + started.elapsed().as_secs_f64();
    // A completed run evaluated at its last step; a stopped one is evaluated now.
    let completed = step >= ctx.run.steps;
    let (final_eval, final_std) = match last_eval {
        Some(r) if completed => r,
        _ => evaluate_now()?,
    };
    Ok(Summary {
        env: ctx.run.env.clone(),
        policy: ctx.run.policy.clone(),
        agent: "sac".into(),
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
struct SacState {
    env_steps: u64,
    wall_time_s: f64,
    best_eval: f64,
    last_eval: Option<(f64, f64)>,
    /// Step counts of the actor's, the critics' and the temperature's Adam.
    adam_t: [u64; 3],
    /// Exploration, minibatch indices and reparameterisation noise all come from this stream.
    rng: Xoshiro256PlusPlus,
    episode: u64,
    ep_return: f64,
    obs: Vec<f32>,
    /// Since the last metrics row.
    recent: Vec<f64>,
    critic_losses: Vec<f64>,
    actor_losses: Vec<f64>,
    replay_len: usize,
    replay_next: usize,
    #[serde(with = "envs::snapshot::bytes")]
    env: Vec<u8>,
}
