//! PPO (Schulman, Wolski, Dhariwal, Radford & Klimov, 2017), after CleanRL's
//! `ppo_continuous_action.py`: a Gaussian policy with a state-independent learned log-std,
//! GAE, the clipped surrogate objective, optional value clipping, advantage normalisation,
//! observation and reward normalisation, minibatch epochs over a VecEnv rollout, global-norm
//! gradient clipping and a linearly annealed learning rate.
//!
//! Actors: `mlp` (the mean is `low + (high − low)·(tanh(MLP(obs)) + 1)/2`, the architecture of
//! [`controllers::MlpPolicy`], which then runs the trained policy) and `ncap` (the mean is the
//! NCAP circuit's torque command, [`crate::nets::NcapModule`], on the raw hinge angles
//! and each env's own oscillator phase). The critic is an MLP on normalised observations.
//!
//! A `Discrete(n)` action space (e.g. a converter's switching states) gets CleanRL's `ppo.py`
//! policy instead: an `mlp` giving n logits, actions sampled from their softmax, the categorical
//! log-probability and entropy in the loss; the trained policy acts by the largest logit.
//!
//! Differences from CleanRL, each deliberate: truncated episodes are bootstrapped with the
//! value of their final observation (as Stable-Baselines3 does), and every random draw comes
//! from the run seed, the iteration and the draw's role.

use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use controllers::Activation;
use controllers::ncap::oscillator;
use envs::{AutoresetMode, VecEnv};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::nets::{Actor, Mlp, RunningMeanStd};
use crate::optim::{clip_grad_norm, TensorAdam};
use crate::run::checkpoint::TensorList;
use crate::run::{mean_std, resolve_threads, Progress, Run, Summary, TrainContext};
use crate::{seeds, AgentError};

/// PPO hyperparameters (CleanRL's defaults, unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PpoConfig {
    /// Envs stepped in parallel.
    pub num_envs: usize,
    /// Steps per env per rollout; the batch is `num_envs × num_steps`.
    pub num_steps: usize,
    pub learning_rate: f64,
    /// Anneal the learning rate linearly to 0 over the budget.
    pub anneal_lr: bool,
    pub gamma: f64,
    pub gae_lambda: f64,
    pub num_minibatches: usize,
    pub update_epochs: usize,
    pub norm_adv: bool,
    pub clip_coef: f64,
    pub clip_vloss: bool,
    pub ent_coef: f64,
    pub vf_coef: f64,
    pub max_grad_norm: f64,
    /// Stop an update's epochs early once the approximate KL exceeds this (0: never).
    pub target_kl: f64,
    pub adam_epsilon: f64,
    /// The policy's initial log standard deviation.
    pub init_log_std: f64,
    pub normalize_obs: bool,
    pub normalize_reward: bool,
    pub clip_obs: f64,
    pub clip_reward: f64,
    /// Hidden widths of the critic.
    pub critic_hidden: Vec<usize>,
    /// Episodes on held-out seeds per evaluation of the deterministic policy.
    pub eval_episodes: usize,
    /// Evaluate every this many iterations (and at the end).
    pub eval_interval: u64,
    /// Threads stepping the envs (0: all cores).
    pub threads: usize,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            num_envs: 8,
            num_steps: 256,
            learning_rate: 3e-4,
            anneal_lr: true,
            gamma: 0.99,
            gae_lambda: 0.95,
            num_minibatches: 32,
            update_epochs: 10,
            norm_adv: true,
            clip_coef: 0.2,
            clip_vloss: true,
            ent_coef: 0.0,
            vf_coef: 0.5,
            max_grad_norm: 0.5,
            target_kl: 0.0,
            adam_epsilon: 1e-5,
            init_log_std: 0.0,
            normalize_obs: true,
            normalize_reward: true,
            clip_obs: 10.0,
            clip_reward: 10.0,
            critic_hidden: vec![64, 64],
            eval_episodes: 5,
            eval_interval: 5,
            threads: 0,
        }
    }
}

impl PpoConfig {
    pub fn validate(&self) -> Result<(), AgentError> {
        let bad = |k: &str, v: String, want: &str| Err(AgentError::invalid(format!("agent `ppo`: `{k}` = {v}: expected {want}")));
        if self.num_envs == 0 || self.num_steps == 0 || self.update_epochs == 0 || self.eval_episodes == 0 || self.eval_interval == 0 {
            return Err(AgentError::invalid("agent `ppo`: num_envs, num_steps, update_epochs, eval_episodes and eval_interval must be ≥ 1"));
        }
        let batch = self.num_envs * self.num_steps;
        if self.num_minibatches == 0 || batch % self.num_minibatches != 0 {
            return bad("num_minibatches", self.num_minibatches.to_string(), &format!("a divisor of the batch num_envs × num_steps = {batch}"));
        }
        for (k, v) in [("gamma", self.gamma), ("gae_lambda", self.gae_lambda)] {
            if !(0.0..=1.0).contains(&v) {
                return bad(k, v.to_string(), "a number in [0, 1]");
            }
        }
        for (k, v) in [("learning_rate", self.learning_rate), ("clip_coef", self.clip_coef), ("max_grad_norm", self.max_grad_norm)] {
            if !(v.is_finite() && v > 0.0) {
                return bad(k, v.to_string(), "a number > 0");
            }
        }
        crate::learners::check_widths("ppo", "critic_hidden", &self.critic_hidden)
    }
}

/// Columns of `metrics.csv`.
pub const COLUMNS: &[&str] = &[
    "iteration",
    "env_steps",
    "wall_time_s",
    "episode_return",
    "episodes",
    "eval_return",
    "eval_return_std",
    "policy_loss",
    "value_loss",
    "entropy",
    "approx_kl",
    "clip_fraction",
    "explained_variance",
    "learning_rate",
];

/// Trains `ctx`'s policy (`mlp` or an `ncap` variant) with PPO.
pub fn train(ctx: &TrainContext, cfg: &PpoConfig, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    cfg.validate()?;
    let dev = Device::Cpu;
    let threads = resolve_threads(cfg.threads);
    let mut venv = VecEnv::make(&ctx.run.env, cfg.num_envs, ctx.env_config.as_ref(), AutoresetMode::SameStep)?.with_threads(threads)?;
    let spec = venv.spec().clone();
    let action_box = spec.action_space.as_box().filter(|b| b.is_bounded());
    if action_box.is_none() && !matches!(spec.action_space, envs::Space::Discrete { .. }) {
        return Err(AgentError::invalid(format!("agent `ppo` needs a bounded Box or a Discrete action space; {} has {}", spec.id, spec.action_space)));
    }
    let (d, a, n) = (spec.obs_dim(), spec.act_dim(), cfg.num_envs);
    let mut init_rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[10]));
    let policy_table = ctx.policy_config.as_ref();

    // Actor, log-std and critic.
    let PpoNets { actor, log_std, critic, all_vars } = PpoNets::build(cfg, &ctx.run.policy, policy_table, &spec, &mut init_rng)?;
    let mut adam = TensorAdam::new(all_vars.clone(), cfg.learning_rate, cfg.adam_epsilon)?;
    let mut run = Run::new(ctx, "ppo", COLUMNS, actor.n_params(), Some(threads), resume)?;

    let mut obs_rms = RunningMeanStd::new(d);
    let mut ret_rms = RunningMeanStd::new(1);
    let mut discounted = vec![0.0_f64; n];
    let mut episode_step = vec![0usize; n];
    let period = actor.oscillator_period();
    let batch = n * cfg.num_steps;
    let iterations = ctx.run.steps.div_ceil(batch as u64).max(1);

    // Normalise observations as Gymnasium's NormalizeObservation: update, then scale and clip.
    let normalize = |rms: &RunningMeanStd, raw: &[f32]| -> Vec<f32> {
        if !cfg.normalize_obs {
            return raw.to_vec();
        }
        let std = rms.std();
        raw.iter()
            .enumerate()
            .map(|(k, &x)| (((x as f64 - rms.mean[k % d]) / std[k % d]).clamp(-cfg.clip_obs, cfg.clip_obs)) as f32)
            .collect()
    };
    let osc_tensors = |steps: &[usize]| -> candle_core::Result<(Tensor, Tensor)> {
        let (od, ov): (Vec<f32>, Vec<f32>) = steps.iter().map(|&k| oscillator(period, k)).unzip();
        Ok((Tensor::from_vec(od, steps.len(), &dev)?, Tensor::from_vec(ov, steps.len(), &dev)?))
    };
    // The deterministic policy for evaluation and for `policy.safetensors`.
    let eval_policy = |actor: &Actor, obs_rms: &RunningMeanStd| {
        let normalizer = cfg.normalize_obs.then(|| {
            (obs_rms.mean.iter().map(|&m| m as f32).collect(), obs_rms.std().iter().map(|&s| s as f32).collect(), cfg.clip_obs as f32)
        });
        actor.to_policy(&spec, normalizer)
    };

    // A new run resets the envs; a resumed one restores everything the checkpoint holds.
    let mut iteration = 0u64;
    if let Some((mut t, saved)) = run.resume::<PpoState>()? {
        t.take_vars("actor", &actor.vars())?;
        t.take_vars("log_std", std::slice::from_ref(&log_std))?;
        t.take_vars("critic", &critic.vars())?;
        t.take_adam("adam", &mut adam, saved.adam_t)?;
        if saved.discounted.len() != n || saved.episode_step.len() != n || saved.obs_rms.mean.len() != d {
            return Err(AgentError::invalid(format!("{}: the learner state is for another number of envs or observation size", t.path().display())));
        }
        venv.restore(&saved.venv)?;
        (obs_rms, ret_rms, discounted, episode_step, iteration) = (saved.obs_rms, saved.ret_rms, saved.discounted, saved.episode_step, saved.iteration);
    } else {
        venv.reset(Some(seeds::mix(ctx.run.seed, &[11])))?;
    }
    run.begin(iteration as usize)?;
    while iteration < iterations && !run.stop_requested() {
        iteration += 1;
        if cfg.anneal_lr {
            adam.learning_rate = cfg.learning_rate * (1.0 - (iteration - 1) as f64 / iterations as f64);
        }
        // ---- Rollout ----
        let mut noise_rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[12, iteration]));
        let (mut b_obs, mut b_raw, mut b_steps) = (Vec::with_capacity(batch * d), Vec::with_capacity(batch * d), Vec::with_capacity(batch));
        let (mut b_act, mut b_logp, mut b_val) = (Vec::with_capacity(batch * a), Vec::with_capacity(batch), Vec::with_capacity(batch));
        let (mut b_rew, mut b_done) = (Vec::with_capacity(batch), Vec::with_capacity(batch));
        let mut finished = Vec::new();
        let std: Vec<f32> = log_std.exp()?.to_vec1::<f32>()?;
        let log_std_sum: f64 = std.iter().map(|s| (*s as f64).ln()).sum();
        for _ in 0..cfg.num_steps {
            let raw = venv.observations().to_vec();
            if cfg.normalize_obs {
                obs_rms.update(&raw);
            }
            let obs = normalize(&obs_rms, &raw);
            let obs_t = Tensor::from_slice(&obs, (n, d), &dev)?;
            let raw_t = Tensor::from_slice(&raw, (n, d), &dev)?;
            let (od, ov) = osc_tensors(&episode_step)?;
            let mean = actor.forward(&obs_t, &raw_t, &od, &ov)?.to_vec2::<f32>()?;
            let values = critic.forward(&obs_t)?.flatten_all()?.to_vec1::<f32>()?;
            let mut actions = vec![0.0_f32; n * a];
            for i in 0..n {
                if actor.is_categorical() {
                    // Sample the softmax of the logits by inverting its CDF at one uniform draw.
                    let logits = &mean[i];
                    if logits.iter().any(|z| !z.is_finite()) {
                        return Err(AgentError::invalid(format!("agent `ppo`: the policy's logits became non-finite at iteration {iteration}")));
                    }
                    let top = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                    let weights: Vec<f64> = logits.iter().map(|&z| ((z - top) as f64).exp()).collect();
                    let total: f64 = weights.iter().sum();
                    // u in [0, total): the first index whose cumulative weight exceeds u (never a
                    // zero-weight one).
                    let u: f64 = noise_rng.random::<f64>() * total;
                    let (mut k, mut acc) = (0, weights[0]);
                    while acc <= u && k + 1 < weights.len() {
                        k += 1;
                        acc += weights[k];
                    }
                    actions[i] = k as f32;
                    b_logp.push((weights[k] / total).ln() as f32);
                    continue;
                }
                let mut logp = -log_std_sum - 0.5 * a as f64 * (2.0 * std::f64::consts::PI).ln();
                for j in 0..a {
                    let eps: f32 = StandardNormal.sample(&mut noise_rng);
                    actions[i * a + j] = mean[i][j] + std[j] * eps;
                    logp -= 0.5 * (eps as f64).powi(2);
                }
                b_logp.push(logp as f32);
            }
            let mut clipped = actions.clone();
            if let Some(action_box) = action_box {
                for chunk in clipped.chunks_mut(a) {
                    action_box.clip(chunk);
                }
            }
            venv.step(&clipped)?;
            finished.extend(venv.drain_episodes());
            // Rewards: normalised as Gymnasium's NormalizeReward (by the std of the discounted
            // return), then truncated episodes bootstrapped from their final observation's value
            // (already in the critic's, i.e. normalised, units).
            let dones: Vec<bool> = (0..n).map(|i| venv.terminated()[i] || venv.truncated()[i]).collect();
            let mut rewards: Vec<f64> = venv.rewards().to_vec();
            if cfg.normalize_reward {
                for i in 0..n {
                    discounted[i] = discounted[i] * cfg.gamma + rewards[i];
                }
                ret_rms.update(&discounted.iter().map(|&x| x as f32).collect::<Vec<_>>());
                let scale = ret_rms.std()[0];
                for (i, r) in rewards.iter_mut().enumerate() {
                    *r = (*r / scale).clamp(-cfg.clip_reward, cfg.clip_reward);
                    if dones[i] {
                        discounted[i] = 0.0;
                    }
                }
            }
            let truncated: Vec<usize> = (0..n).filter(|&i| venv.truncated()[i] && !venv.terminated()[i]).collect();
            if !truncated.is_empty() {
                let finals: Vec<f32> = truncated.iter().flat_map(|&i| normalize(&obs_rms, &venv.final_observations()[i * d..(i + 1) * d])).collect();
                let finals = Tensor::from_vec(finals, (truncated.len(), d), &dev)?;
                let v = critic.forward(&finals)?.flatten_all()?.to_vec1::<f32>()?;
                for (k, &i) in truncated.iter().enumerate() {
                    rewards[i] += cfg.gamma * v[k] as f64;
                }
            }
            b_obs.extend_from_slice(&obs);
            b_raw.extend_from_slice(&raw);
            b_steps.extend_from_slice(&episode_step);
            b_act.extend_from_slice(&actions);
            b_val.extend_from_slice(&values);
            b_rew.extend(rewards.iter().map(|&r| r as f32));
            b_done.extend(dones.iter().map(|&x| if x { 1.0_f32 } else { 0.0 }));
            for i in 0..n {
                episode_step[i] = if dones[i] { 0 } else { episode_step[i] + 1 };
            }
        }
        run.progress.env_steps += batch as u64;
        for ep in &finished {
            run.log_episode(ep.episode_return, ep.length as u64)?;
        }

        // ---- GAE ----
        let raw = venv.observations().to_vec();
        let next_obs = Tensor::from_vec(normalize(&obs_rms, &raw), (n, d), &dev)?;
        let next_value = critic.forward(&next_obs)?.flatten_all()?.to_vec1::<f32>()?;
        let mut advantages = vec![0.0_f32; batch];
        let mut last_gae = vec![0.0_f32; n];
        for t in (0..cfg.num_steps).rev() {
            for i in 0..n {
                let k = t * n + i;
                let not_done = 1.0 - b_done[k];
                let next_v = if t + 1 == cfg.num_steps { next_value[i] } else { b_val[k + n] };
                let delta = b_rew[k] + cfg.gamma as f32 * next_v * not_done - b_val[k];
                last_gae[i] = delta + (cfg.gamma * cfg.gae_lambda) as f32 * not_done * last_gae[i];
                advantages[k] = last_gae[i];
            }
        }
        let returns: Vec<f32> = advantages.iter().zip(&b_val).map(|(adv, v)| adv + v).collect();

        // ---- Update ----
        let (t_od, t_ov) = osc_tensors(&b_steps)?;
        let rollout = Batch {
            obs: Tensor::from_vec(b_obs, (batch, d), &dev)?,
            raw: Tensor::from_vec(b_raw, (batch, d), &dev)?,
            osc_d: t_od,
            osc_v: t_ov,
            actions: Tensor::from_vec(b_act, (batch, a), &dev)?,
            log_probs: Tensor::from_vec(b_logp, batch, &dev)?,
            advantages: Tensor::from_vec(advantages, batch, &dev)?,
            returns: Tensor::from_vec(returns.clone(), batch, &dev)?,
            values: Tensor::from_vec(b_val.clone(), batch, &dev)?,
        };
        let net = Networks { actor: &actor, log_std: &log_std, critic: &critic, all_vars: &all_vars };
        let stats = update(cfg, &net, &mut adam, &rollout, ctx.run.seed, iteration)?;
        let var_y = variance(&returns);
        let residual: Vec<f32> = returns.iter().zip(&b_val).map(|(r, v)| r - v).collect();
        let explained = if var_y == 0.0 { f64::NAN } else { 1.0 - variance(&residual) / var_y };

        // ---- Evaluate, log, save ----
        // Evaluation rows fall on fixed iterations, so an interrupted and resumed run writes the
        // same rows as an uninterrupted one.
        let (_, flat, buffers) = eval_policy(&actor, &obs_rms)?;
        let eval = if iteration % cfg.eval_interval == 0 || iteration >= iterations { Some(run.evaluate(&flat, &buffers, cfg.eval_episodes)?) } else { None };
        let episode_returns: Vec<f64> = finished.iter().map(|ep| ep.episode_return).collect();
        let recent = if episode_returns.is_empty() { f64::NAN } else { mean_std(&episode_returns).0 };
        let row = [
            iteration as f64,
            run.progress.env_steps as f64,
            run.wall_time(),
            recent,
            episode_returns.len() as f64,
            eval.map_or(f64::NAN, |v| v.0),
            eval.map_or(f64::NAN, |v| v.1),
            stats.policy_loss,
            stats.value_loss,
            stats.entropy,
            stats.approx_kl,
            stats.clip_fraction,
            explained,
            adam.learning_rate,
        ];
        run.write_row(&row)?;
        run.save_policy(&flat, &buffers)?;
        // The resumable state, every iteration (a few hundred kB: the envs' Rapier worlds).
        let state = PpoState {
            iteration,
            adam_t: adam.t,
            obs_rms: obs_rms.clone(),
            ret_rms: ret_rms.clone(),
            discounted: discounted.clone(),
            episode_step: episode_step.clone(),
            venv: venv.snapshot()?,
        };
        let mut tensors = TensorList::default();
        tensors.vars("actor", &actor.vars())?.vars("log_std", std::slice::from_ref(&log_std))?.vars("critic", &critic.vars())?.adam("adam", &adam)?;
        run.save_checkpoint(&tensors, &state)?;
        on_progress(&Progress { iteration, env_steps: run.progress.env_steps, recent_return: recent, eval_return: eval.map(|v| v.0) });
    }

    // A completed run evaluated at its last iteration; a stopped one is evaluated now (for the
    // summary only, so that the metrics stay those of an uninterrupted run).
    let (_, flat, buffers) = eval_policy(&actor, &obs_rms)?;
    run.finish(iteration, iteration >= iterations, |run| run.score(&flat, &buffers, cfg.eval_episodes))
}

/// Everything besides the tensors that a resumed run needs to retrace an uninterrupted one.
#[derive(Serialize, Deserialize)]
struct PpoState {
    iteration: u64,
    adam_t: u64,
    obs_rms: RunningMeanStd,
    ret_rms: RunningMeanStd,
    /// Each env's discounted return so far (for reward normalisation).
    discounted: Vec<f64>,
    /// Each env's step in its episode (the NCAP oscillator's phase).
    episode_step: Vec<usize>,
    /// The VecEnv mid-rollout: every env's body, random stream and episode counters.
    #[serde(with = "envs::snapshot::bytes")]
    venv: Vec<u8>,
}

fn variance(x: &[f32]) -> f64 {
    let n = x.len().max(1) as f64;
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n
}

/// PPO's networks: the actor (the Gaussian's mean), its state-independent log-std, the critic.
struct PpoNets {
    actor: Actor,
    log_std: Var,
    critic: Mlp,
    /// Every trainable variable, actor first.
    all_vars: Vec<Var>,
}

impl PpoNets {
    /// A Gaussian actor for a bounded Box action space, a categorical one for a Discrete space (its
    /// `log_std` then stays unused and untrained, kept so that checkpoints have one layout).
    fn build(cfg: &PpoConfig, policy: &str, policy_table: Option<&toml::Table>, spec: &envs::EnvSpec, rng: &mut Xoshiro256PlusPlus) -> Result<Self, AgentError> {
        let dev = Device::Cpu;
        let actor = match &spec.action_space {
            envs::Space::Discrete { n } => Actor::build_categorical("ppo", policy, policy_table, spec, *n, rng)?,
            envs::Space::Box(action_box) => Actor::build("ppo", policy, policy_table, spec, action_box, rng)?,
        };
        let log_std = Var::from_tensor(&Tensor::full(cfg.init_log_std as f32, spec.act_dim(), &dev)?)?;
        let mut critic_sizes = vec![spec.obs_dim()];
        critic_sizes.extend(&cfg.critic_hidden);
        critic_sizes.push(1);
        let critic = Mlp::new(&critic_sizes, Activation::Tanh, 1.0, rng, &dev)?;
        let mut all_vars = actor.vars();
        if !actor.is_categorical() {
            all_vars.push(log_std.clone());
        }
        all_vars.extend(critic.vars());
        Ok(Self { actor, log_std, critic, all_vars })
    }
}

/// One rollout, flattened: `B = num_envs × num_steps` samples.
pub(crate) struct Batch {
    pub obs: Tensor,
    pub raw: Tensor,
    pub osc_d: Tensor,
    pub osc_v: Tensor,
    pub actions: Tensor,
    pub log_probs: Tensor,
    pub advantages: Tensor,
    pub returns: Tensor,
    pub values: Tensor,
}

pub(crate) struct Networks<'a> {
    pub actor: &'a Actor,
    pub log_std: &'a Var,
    pub critic: &'a Mlp,
    pub all_vars: &'a [Var],
}

/// Mean losses and diagnostics of one update phase.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UpdateStats {
    pub policy_loss: f64,
    pub value_loss: f64,
    pub entropy: f64,
    pub approx_kl: f64,
    pub clip_fraction: f64,
}

/// The update phase: `update_epochs` shuffled passes of minibatch steps over `rollout`, the
/// clipped surrogate, the (clipped) value loss and the entropy bonus, global-norm clipped Adam.
pub(crate) fn update(cfg: &PpoConfig, net: &Networks, adam: &mut TensorAdam, rollout: &Batch, seed: u64, iteration: u64) -> candle_core::Result<UpdateStats> {
    let dev = Device::Cpu;
    let batch = rollout.obs.dim(0)?;
    let a = rollout.actions.dim(1)?;
    let minibatch = batch / cfg.num_minibatches;
    let (mut pg_losses, mut v_losses, mut entropies, mut kls, mut clipfracs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut order: Vec<u32> = (0..batch as u32).collect();
    'epochs: for epoch in 0..cfg.update_epochs {
        let mut shuffle = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(seed, &[13, iteration, epoch as u64]));
        for k in (1..batch).rev() {
            order.swap(k, shuffle.random_range(0..=k));
        }
        for start in (0..batch).step_by(minibatch) {
            let idx = Tensor::from_slice(&order[start..start + minibatch], minibatch, &dev)?;
            let pick = |t: &Tensor| t.index_select(&idx, 0);
            let (obs, raw, od, ov) = (pick(&rollout.obs)?, pick(&rollout.raw)?, pick(&rollout.osc_d)?, pick(&rollout.osc_v)?);
            let (act, old_logp, adv, ret, old_v) = (pick(&rollout.actions)?, pick(&rollout.log_probs)?, pick(&rollout.advantages)?, pick(&rollout.returns)?, pick(&rollout.values)?);
            let (new_logp, entropy) = log_prob_and_entropy(net, &obs, &raw, &od, &ov, &act, a)?;
            let log_ratio = (&new_logp - &old_logp)?;
            let ratio = log_ratio.exp()?;
            let approx_kl = ((&ratio - 1.0)? - &log_ratio)?.mean_all()?.to_scalar::<f32>()?;
            let clipfrac = (&ratio - 1.0)?.abs()?.gt(cfg.clip_coef)?.to_dtype(DType::F32)?.mean_all()?.to_scalar::<f32>()?;
            let adv = if cfg.norm_adv {
                let m = adv.mean_all()?;
                let s = adv.broadcast_sub(&m)?.sqr()?.mean_all()?.affine(minibatch as f64 / (minibatch as f64 - 1.0).max(1.0), 0.0)?.sqrt()?;
                adv.broadcast_sub(&m)?.broadcast_div(&(s + 1e-8)?)?
            } else {
                adv.clone()
            };
            let pg1 = (adv.neg()? * &ratio)?;
            let pg2 = (adv.neg()? * ratio.clamp(1.0 - cfg.clip_coef, 1.0 + cfg.clip_coef)?)?;
            let pg_loss = pg1.maximum(&pg2)?.mean_all()?;
            let new_v = net.critic.forward(&obs)?.flatten_all()?;
            let v_loss = if cfg.clip_vloss {
                let unclipped = (&new_v - &ret)?.sqr()?;
                let clipped_v = (&old_v + (&new_v - &old_v)?.clamp(-cfg.clip_coef, cfg.clip_coef)?)?;
                let clipped = (clipped_v - &ret)?.sqr()?;
                (unclipped.maximum(&clipped)?.mean_all()? * 0.5)?
            } else {
                ((&new_v - &ret)?.sqr()?.mean_all()? * 0.5)?
            };
            let loss = ((&pg_loss - (&entropy * cfg.ent_coef)?)? + (&v_loss * cfg.vf_coef)?)?;
            let mut grads = loss.backward()?;
            clip_grad_norm(&mut grads, net.all_vars, cfg.max_grad_norm)?;
            adam.step(&grads)?;
            pg_losses.push(pg_loss.to_scalar::<f32>()? as f64);
            v_losses.push(v_loss.to_scalar::<f32>()? as f64);
            entropies.push(entropy.to_scalar::<f32>()? as f64);
            kls.push(approx_kl as f64);
            clipfracs.push(clipfrac as f64);
            if cfg.target_kl > 0.0 && approx_kl as f64 > cfg.target_kl {
                break 'epochs;
            }
        }
    }
    let avg = |x: &[f64]| if x.is_empty() { f64::NAN } else { x.iter().sum::<f64>() / x.len() as f64 };
    Ok(UpdateStats { policy_loss: avg(&pg_losses), value_loss: avg(&v_losses), entropy: avg(&entropies), approx_kl: avg(&kls), clip_fraction: avg(&clipfracs) })
}

/// The log-probability of each sampled action `[B]` under the current actor, and the mean entropy
/// of the policy: Gaussian (mean from the actor, state-independent `log_std`) or categorical
/// (softmax of the actor's logits; `act` holds the action indices).
fn log_prob_and_entropy(net: &Networks, obs: &Tensor, raw: &Tensor, od: &Tensor, ov: &Tensor, act: &Tensor, a: usize) -> candle_core::Result<(Tensor, Tensor)> {
    let out = net.actor.forward(obs, raw, od, ov)?;
    if net.actor.is_categorical() {
        let top = out.max_keepdim(1)?;
        let shifted = out.broadcast_sub(&top)?;
        let log_softmax = shifted.broadcast_sub(&shifted.exp()?.sum_keepdim(1)?.log()?)?;
        let logp = log_softmax.gather(&act.to_dtype(DType::U32)?, 1)?.squeeze(1)?;
        let entropy = (log_softmax.exp()? * &log_softmax)?.sum(1)?.mean_all()?.neg()?;
        return Ok((logp, entropy));
    }
    let log_std = net.log_std;
    let batch = out.dim(0)?;
    let z = act.broadcast_sub(&out)?.broadcast_div(&log_std.exp()?)?;
    let log_2pi = (2.0 * std::f64::consts::PI).ln();
    let logp = ((z.sqr()? * -0.5)?.sum(1)? - log_std.sum_all()?.broadcast_as(batch)?)?.affine(1.0, -0.5 * a as f64 * log_2pi)?;
    let entropy = (log_std.sum_all()? + a as f64 * (0.5 + 0.5 * log_2pi))?;
    Ok((logp, entropy))
}

/// Wall time (s) of PPO's update phase on a synthetic rollout of `spec`'s shapes with an `mlp`
/// policy (`cfg`'s batch, epochs and minibatches; 64×64 tanh networks by default), once per
/// repeat after a warm-up: the figure to compare with another library's update on the same batch.
pub fn time_update_phase(spec: &envs::EnvSpec, cfg: &PpoConfig, repeats: usize) -> Result<Vec<f64>, AgentError> {
    cfg.validate()?;
    let dev = Device::Cpu;
    if spec.action_space.as_box().filter(|b| b.is_bounded()).is_none() {
        return Err(AgentError::invalid(format!("{} has no bounded Box action space", spec.id)));
    }
    let (d, a, batch) = (spec.obs_dim(), spec.act_dim(), cfg.num_envs * cfg.num_steps);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let PpoNets { actor, log_std, critic, all_vars } = PpoNets::build(cfg, "mlp", None, spec, &mut rng)?;
    let mut adam = TensorAdam::new(all_vars.clone(), cfg.learning_rate, cfg.adam_epsilon)?;
    let mut normal = |n: usize| -> Vec<f32> { (0..n).map(|_| StandardNormal.sample(&mut rng)).collect() };
    let obs = Tensor::from_vec(normal(batch * d), (batch, d), &dev)?;
    let actions = Tensor::from_vec(normal(batch * a), (batch, a), &dev)?.clamp(-1.0, 1.0)?;
    let advantages = Tensor::from_vec(normal(batch), batch, &dev)?;
    let returns = Tensor::from_vec(normal(batch), batch, &dev)?;
    let zeros = Tensor::zeros(batch, DType::F32, &dev)?;
    // Old log-probabilities and values from the initial networks, as a real rollout has them.
    let mean = actor.forward(&obs, &obs, &zeros, &zeros)?;
    let z = actions.broadcast_sub(&mean)?.broadcast_div(&log_std.exp()?)?;
    let log_probs = (z.sqr()? * -0.5)?.sum(1)?.detach();
    let values = critic.forward(&obs)?.flatten_all()?.detach();
    let rollout = Batch { obs: obs.clone(), raw: obs, osc_d: zeros.clone(), osc_v: zeros, actions, log_probs, advantages, returns, values };
    let net = Networks { actor: &actor, log_std: &log_std, critic: &critic, all_vars: &all_vars };
    let mut times = Vec::with_capacity(repeats);
    for k in 0..=repeats {
        let start = Instant::now();
        update(cfg, &net, &mut adam, &rollout, 0, k as u64)?;
        if k > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    Ok(times)
}
