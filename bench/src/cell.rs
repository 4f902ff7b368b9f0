//! Running one cell, and what it leaves on disk.
//!
//! `cells/<key>/` holds `spec.json` (what the key hashes), `record.json` once the cell is
//! finished (written last and atomically: its presence is what "finished" means), and for a
//! learner its ordinary run directory `run/` (what `nerve train` writes: `config.toml`, metrics,
//! checkpoint, `policy.safetensors`) and `points/<i>.json`, the evaluation at each learning-curve
//! point as it is reached. A stopped learner resumes from its checkpoint and from the points
//! already evaluated, so an interrupted cell ends as an uninterrupted one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::grid::{Cell, CellKind, Grid};
use crate::scenario::{EntryKind, Scenario};
use crate::BenchError;

/// One evaluation episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    pub seed: u64,
    #[serde(rename = "return")]
    pub episode_return: f64,
    pub length: u64,
    /// The env's episode metrics that this episode reports (a tracking metric is reported once
    /// its hold has closed).
    pub metrics: BTreeMap<String, f64>,
    /// Spikes, synaptic operations and MACs over the episode, if the policy counts them.
    pub work: Option<[u64; 3]>,
}

/// The evaluation episodes of a policy after `env_steps` of training (0 for a fixed controller).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRecord {
    pub env_steps: u64,
    pub episodes: Vec<EpisodeRecord>,
}

/// A finished cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellRecord {
    pub key: String,
    pub spec: serde_json::Value,
    /// Evaluations in increasing env steps: one for a controller or transfer, one per
    /// learning-curve point for a learner.
    pub points: Vec<PointRecord>,
    /// Seconds the cell took, summed over interrupted attempts (provenance only: never in a
    /// report's results).
    pub wall_time_s: f64,
}

/// How a cell ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done(CellRecord),
    /// The stop flag was raised: a learner checkpointed, nothing final was written.
    Stopped,
}

/// Where the cells of a bench live.
#[derive(Debug, Clone)]
pub struct CellStore {
    pub dir: PathBuf,
}

impl CellStore {
    pub fn new(out: &Path) -> Self {
        Self { dir: out.join("cells") }
    }

    pub fn cell_dir(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }

    /// The finished record of `cell`, if there is one for its key.
    pub fn finished(&self, cell: &Cell) -> Result<Option<CellRecord>, BenchError> {
        let path = self.cell_dir(&cell.key).join("record.json");
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| BenchError(format!("{}: cannot read: {e}", path.display())))?;
        let record: CellRecord = serde_json::from_str(&text).map_err(|e| BenchError(format!("{}: not a cell record: {e}", path.display())))?;
        if record.key != cell.key || record.spec != cell.spec {
            return Err(BenchError(format!("{}: holds cell {} with another spec than its key says; delete the folder to rerun it", path.display(), record.key)));
        }
        Ok(Some(record))
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), BenchError> {
    let text = serde_json::to_string_pretty(value).expect("plain records serialise");
    agents::write_atomic(path, format!("{text}\n").as_bytes()).map_err(|e| BenchError(e.to_string()))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|e| BenchError(format!("{}: cannot read: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| BenchError(format!("{}: {e}", path.display())))
}

/// Evaluates `policy` on `env` for one episode per seed; `None` if stopped between episodes.
fn evaluate(
    env: &mut dyn envs::Env,
    policy: &mut dyn controllers::Policy,
    seeds: &[u64],
    metric_names: &[String],
    stop: &AtomicBool,
    on_steps: &mut dyn FnMut(u64),
) -> Result<Option<Vec<EpisodeRecord>>, BenchError> {
    let mut out = Vec::with_capacity(seeds.len());
    for &seed in seeds {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let ep = controllers::run_episode(env, policy, seed, |_| {}).map_err(|e| BenchError(format!("episode with seed {seed}: {e}")))?;
        on_steps(ep.length as u64);
        if !ep.episode_return.is_finite() {
            return Err(BenchError(format!("episode with seed {seed}: the return is {}: expected a finite number (a reward that diverged)", ep.episode_return)));
        }
        let metrics = metric_names
            .iter()
            .filter_map(|m| ep.final_info.iter().find(|(k, _)| k == m).map(|(_, v)| (m.clone(), *v)))
            .filter(|(_, v)| v.is_finite())
            .collect();
        out.push(EpisodeRecord {
            seed,
            episode_return: ep.episode_return,
            length: ep.length as u64,
            metrics,
            work: ep.work.map(|w| [w.spikes, w.synaptic_ops, w.macs]),
        });
    }
    Ok(Some(out))
}

/// Runs cell `index` of `grid` (its source, for a transfer, must be finished), writing its files
/// under `store`. `on_steps` is told of env steps as they are taken.
pub fn run_cell(
    scenario: &Scenario,
    grid: &Grid,
    index: usize,
    store: &CellStore,
    stop: &Arc<AtomicBool>,
    on_steps: &mut dyn FnMut(u64),
) -> Result<Outcome, BenchError> {
    let cell = &grid.cells[index];
    let variant = &scenario.variants[cell.variant];
    let entry = &scenario.entries[cell.entry];
    let dir = store.cell_dir(&cell.key);
    let at = |e: BenchError| BenchError(format!("cell {} ({} on {}): {}", cell.key, entry.name, variant.label, e.0));
    std::fs::create_dir_all(&dir).map_err(|e| at(BenchError(format!("{}: cannot create: {e}", dir.display()))))?;
    write_json(&dir.join("spec.json"), &cell.spec).map_err(at)?;
    let metric_names: Vec<String> = variant.metrics.iter().map(|m| m.0.clone()).collect();
    let env_config = (!variant.config.is_empty()).then_some(&variant.config);
    let started = Instant::now();
    let wall_before: f64 = match std::fs::read_to_string(dir.join("wall_time_s")) {
        Ok(s) => s.trim().parse().unwrap_or(0.0),
        Err(_) => 0.0,
    };
    let save_wall = |extra: f64| {
        let _ = agents::write_atomic(&dir.join("wall_time_s"), format!("{}\n", wall_before + extra).as_bytes());
    };

    let points = match (&cell.kind, &entry.kind) {
        (CellKind::Controller, EntryKind::Controller { controller, config }) => {
            let mut env = envs::make_with(&variant.id, env_config).map_err(|e| at(BenchError(e.to_string())))?;
            let mut policy = controllers::make(controller, env.spec(), (!config.is_empty()).then_some(config)).map_err(|e| at(BenchError(e.to_string())))?;
            match evaluate(env.as_mut(), policy.as_mut(), &scenario.eval_seeds, &metric_names, stop, on_steps).map_err(at)? {
                Some(episodes) => vec![PointRecord { env_steps: 0, episodes }],
                None => return Ok(Outcome::Stopped),
            }
        }
        (CellKind::Learner { seed, points }, EntryKind::Learner { agent, policy, policy_config, .. }) => {
            match train_and_evaluate(cell, variant, agent, policy, policy_config, *seed, points, &scenario.eval_seeds, &metric_names, &dir, stop, on_steps).map_err(at)? {
                Some(p) => p,
                None => {
                    save_wall(started.elapsed().as_secs_f64());
                    return Ok(Outcome::Stopped);
                }
            }
        }
        (CellKind::Transfer { source, .. }, EntryKind::Transfer { .. }) => {
            let src = &grid.cells[*source];
            let Some(src_record) = store.finished(src).map_err(at)? else {
                return Err(at(BenchError(format!("its source cell {} is not finished: run it first", src.key))));
            };
            let trained = agents::run::trained::TrainedRun::load(&store.cell_dir(&src.key).join("run")).map_err(|e| at(BenchError(e.to_string())))?;
            let mut env = envs::make_with(&variant.id, env_config).map_err(|e| at(BenchError(e.to_string())))?;
            let mut policy = trained.policy_for(env.spec()).map_err(|e| at(BenchError(e.to_string())))?;
            let env_steps = src_record.points.last().map_or(0, |p| p.env_steps);
            match evaluate(env.as_mut(), policy.as_mut(), &scenario.eval_seeds, &metric_names, stop, on_steps).map_err(at)? {
                Some(episodes) => vec![PointRecord { env_steps, episodes }],
                None => return Ok(Outcome::Stopped),
            }
        }
        _ => unreachable!("Grid::expand makes cells of their entry's kind"),
    };
    let record = CellRecord { key: cell.key.clone(), spec: cell.spec.clone(), points, wall_time_s: wall_before + started.elapsed().as_secs_f64() };
    write_json(&dir.join("record.json"), &record).map_err(at)?;
    Ok(Outcome::Done(record))
}

/// Trains the learner cell in `dir/run` to each point in turn, evaluating `policy.safetensors`
/// there on the evaluation seeds (`dir/points/<i>.json`); `None` if stopped.
#[allow(clippy::too_many_arguments)]
fn train_and_evaluate(
    cell: &Cell,
    variant: &crate::scenario::Variant,
    agent: &str,
    policy: &str,
    policy_config: &toml::Table,
    seed: u64,
    points: &[u64],
    eval_seeds: &[u64],
    metric_names: &[String],
    dir: &Path,
    stop: &Arc<AtomicBool>,
    on_steps: &mut dyn FnMut(u64),
) -> Result<Option<Vec<PointRecord>>, BenchError> {
    let run_dir = dir.join("run");
    let points_dir = dir.join("points");
    std::fs::create_dir_all(&points_dir).map_err(|e| BenchError(format!("{}: cannot create: {e}", points_dir.display())))?;
    let agent_table: toml::Table = serde_json::from_value(cell.spec["agent_config"].clone()).map_err(|e| BenchError(format!("agent config: {e}")))?;
    let mut out = Vec::with_capacity(points.len());
    let budget = *points.last().expect("a learner cell has its budget as a point");
    let never = AtomicBool::new(false);
    for (i, &point) in points.iter().enumerate() {
        let point_path = points_dir.join(format!("{i}.json"));
        if point_path.exists() {
            let record: PointRecord = read_json(&point_path)?;
            out.push(record);
            continue;
        }
        // A run directory without a checkpoint was cut off before its first one: start afresh.
        if run_dir.exists() && !run_dir.join("checkpoint.safetensors").exists() {
            std::fs::remove_dir_all(&run_dir).map_err(|e| BenchError(format!("{}: cannot remove a run cut off before its first checkpoint: {e}", run_dir.display())))?;
        }
        // One run with the whole budget (a learning-rate schedule sees the budget), paused at
        // each point to evaluate its policy, then resumed exactly.
        let mut prepared = if run_dir.exists() {
            agents::learners::resume(&run_dir, None, stop.clone())
        } else {
            let run = agents::RunSpec { env: variant.id.clone(), policy: policy.to_string(), agent: agent.to_string(), steps: budget, seed };
            // The scenario was checked at its full budget when it was parsed; a run scaled down
            // for a smoke test (`--scale 0.01`) may end before `learning_starts`, and that is fine.
            let options = agents::learners::StartOptions { preset: None, check_budget: false };
            agents::learners::start_with(run, variant.config.clone(), policy_config.clone(), Some(&agent_table), &run_dir, stop.clone(), options)
        }
        .map_err(|e| BenchError(e.to_string()))?;
        prepared.ctx.pause_at = (point < budget).then_some(point);
        let mut last = out.last().map_or(0, |p: &PointRecord| p.env_steps);
        let summary = agents::learners::train(&prepared, |p| {
            on_steps(p.env_steps.saturating_sub(last));
            last = p.env_steps;
        })
        .map_err(|e| BenchError(e.to_string()))?;
        if summary.env_steps < point {
            if stop.load(Ordering::Relaxed) {
                // Stopped (Ctrl-C) before the point: the checkpoint resumes it.
                return Ok(None);
            }
            return Err(BenchError(format!(
                "the learner ended at {} env steps, before the curve point {point} (budget {budget}) and without being stopped",
                summary.env_steps
            )));
        }
        // At the point (paused, or stopped there): evaluate now, whatever the stop flag says, so
        // that the point's policy is the one the uninterrupted run has there.
        let trained = agents::run::trained::TrainedRun::load(&run_dir).map_err(|e| BenchError(e.to_string()))?;
        let mut env = trained.make_env(None).map_err(|e| BenchError(e.to_string()))?;
        let mut pol = trained.policy_for(env.spec()).map_err(|e| BenchError(e.to_string()))?;
        let episodes = evaluate(env.as_mut(), pol.as_mut(), eval_seeds, metric_names, &never, on_steps)?.expect("never stopped");
        let record = PointRecord { env_steps: summary.env_steps, episodes };
        write_json(&point_path, &record)?;
        out.push(record);
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
    }
    Ok(Some(out))
}
