//! Scoring a policy: episodes on given seeds, serially or in parallel.

use controllers::{run_episode, Episode, Policy};
use envs::Env;
use rayon::prelude::*;

use crate::run::{mean_std, TrainContext};
use crate::{seeds, AgentError};

/// One episode per seed, the policy reset with the episode's seed.
pub fn episodes(env: &mut dyn Env, policy: &mut dyn Policy, seeds: &[u64]) -> Result<Vec<Episode>, AgentError> {
    seeds.iter().map(|&s| Ok(run_episode(env, policy, s, |_| {})?)).collect()
}

/// Runs `score` on every item in parallel on `pool`, each rayon task with an env and a policy
/// of `ctx` built once and reused; the results keep the items' order whatever the scheduling.
fn on_pool<I, T>(
    pool: &rayon::ThreadPool,
    ctx: &TrainContext,
    items: I,
    score: impl Fn(&mut dyn Policy, &mut dyn Env, I::Item) -> Result<T, AgentError> + Sync + Send,
) -> Result<Vec<T>, AgentError>
where
    I: IndexedParallelIterator,
    T: Send,
{
    let results: Vec<Result<T, AgentError>> = pool.install(|| {
        items
            .map_init(
                || ctx.make_env().and_then(|env| Ok((ctx.make_policy(env.spec())?, env))),
                |built, item| {
                    let (policy, env) = built.as_mut().map_err(|e| AgentError::invalid(e.to_string()))?;
                    score(policy.as_mut(), env.as_mut(), item)
                },
            )
            .collect()
    });
    results.into_iter().collect()
}

/// Mean and sample std of the return of the policy with parameters `params` (and `buffers`)
/// over `count` held-out seeds, one episode per task on `pool`.
pub fn parallel(pool: &rayon::ThreadPool, ctx: &TrainContext, params: &[f32], buffers: &[(&str, Vec<f32>)], count: usize) -> Result<(f64, f64), AgentError> {
    let returns: Vec<f64> = parallel_episodes(pool, ctx, params, buffers, count)?.iter().map(|e| e.episode_return).collect();
    Ok(mean_std(&returns))
}

/// The episodes behind [`parallel`]: one per held-out seed `eval_seed(0..count)`, in seed order,
/// each with its final info (a goal task's `is_success`, a tracking task's errors).
pub fn parallel_episodes(pool: &rayon::ThreadPool, ctx: &TrainContext, params: &[f32], buffers: &[(&str, Vec<f32>)], count: usize) -> Result<Vec<Episode>, AgentError> {
    on_pool(pool, ctx, (0..count).into_par_iter(), |policy, env, k| {
        policy.set_parameters(params)?;
        for (name, values) in buffers {
            policy.set_buffer(name, values)?;
        }
        Ok(run_episode(env, policy, seeds::eval_seed(k), |_| {})?)
    })
}

/// The mean over `episodes` of each of `keys` in their final info (NaN where no episode reports it).
pub fn final_info_means(episodes: &[Episode], keys: &[&'static str]) -> Vec<f64> {
    keys.iter()
        .map(|key| {
            let values: Vec<f64> = episodes.iter().filter_map(|e| e.final_info.iter().find(|(k, _)| k == key).map(|(_, v)| *v)).collect();
            if values.is_empty() {
                f64::NAN
            } else {
                values.iter().sum::<f64>() / values.len() as f64
            }
        })
        .collect()
}

/// Mean return and env steps of each candidate parameter vector, every candidate scored on the
/// same `episode_seeds`, in parallel on `pool`, in candidate order.
pub fn population(pool: &rayon::ThreadPool, ctx: &TrainContext, candidates: &[Vec<f32>], episode_seeds: &[u64]) -> Result<Vec<(f64, u64)>, AgentError> {
    on_pool(pool, ctx, candidates.par_iter(), |policy, env, params| {
        policy.set_parameters(params)?;
        let eps = episodes(env, policy, episode_seeds)?;
        let steps: u64 = eps.iter().map(|e| e.length as u64).sum();
        Ok((eps.iter().map(|e| e.episode_return).sum::<f64>() / eps.len() as f64, steps))
    })
}
