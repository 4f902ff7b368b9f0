//! A scenario expanded into cells: the units of work `nerve bench` runs, skips when finished, and
//! reports on.
//!
//! | entry kind | cells | one cell's runs |
//! |---|---|---|
//! | controller | one per env variant | one per evaluation seed (an episode each) |
//! | learner | one per env variant and training seed | one: the mean over the evaluation episodes, at each `eval_at` point |
//! | transfer | one per source cell and target variant | one: the source's final policy, evaluated zero-shot |
//!
//! A cell's key is a hash (blake3) of the canonical JSON of everything that determines its
//! result: the kind, the env id and full config, the controller or learner with every
//! hyperparameter, the training seed, the evaluation seeds, the learning-curve points (the budget
//! is the last), a transfer's source key, and the build. A finished cell whose key matches is
//! reused; a change of any of these, or of the build, makes a new key and a new cell.

use serde_json::{json, Value};

use crate::scenario::{EntryKind, Scenario};
use crate::BenchError;

/// What a cell runs.
#[derive(Debug, Clone, PartialEq)]
pub enum CellKind {
    /// Controller entry `entry`'s fixed controller, one episode per evaluation seed.
    Controller,
    /// A learner trained with `seed`; its policy evaluated at each of `points` (env steps,
    /// increasing; the last is the budget).
    Learner { seed: u64, points: Vec<u64> },
    /// The final policy of learner cell `source` (an index into [`Grid::cells`]) evaluated on
    /// this cell's variant.
    Transfer { source: usize, seed: u64 },
}

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Hex digest (20 characters) of [`Cell::spec`]: the folder under `cells/`.
    pub key: String,
    /// Index into [`Scenario::entries`].
    pub entry: usize,
    /// Index into [`Scenario::variants`].
    pub variant: usize,
    pub kind: CellKind,
    /// Everything that determines the cell's result, as canonical JSON (object keys sorted).
    pub spec: Value,
    /// Env steps the cell costs: training plus evaluation episodes at their longest.
    pub budget_env_steps: u64,
}

impl Cell {
    /// A cell that another cell's result is needed for (transfers run after their source).
    pub fn phase(&self) -> usize {
        match self.kind {
            CellKind::Transfer { .. } => 1,
            _ => 0,
        }
    }
}

/// The scenario's cells.
#[derive(Debug, Clone)]
pub struct Grid {
    pub cells: Vec<Cell>,
    /// The budget multiplier the grid was expanded with (`--scale`).
    pub scale: f64,
    /// The build the cells are keyed by.
    pub build: String,
}

/// A learner's budget and eval points at `scale`: each scaled and rounded (at least 1 env step),
/// points past the budget dropped, the budget itself the last point.
pub fn scaled_points(steps: u64, eval_at: &[u64], scale: f64) -> Vec<u64> {
    let s = |x: u64| ((x as f64 * scale).round() as u64).max(1);
    let budget = s(steps);
    let mut points: Vec<u64> = eval_at.iter().map(|&p| s(p)).filter(|&p| p < budget).collect();
    points.dedup();
    points.push(budget);
    points
}

/// A string digest of `spec`'s canonical JSON: serde_json's maps are sorted by key, so equal
/// specs serialise to equal bytes.
pub fn key_of(spec: &Value) -> String {
    let text = serde_json::to_string(spec).expect("a JSON value serialises");
    blake3::hash(text.as_bytes()).to_hex()[..20].to_string()
}

fn toml_json(t: &toml::Table) -> Value {
    serde_json::to_value(t).expect("a TOML table is JSON-representable")
}

impl Grid {
    /// Expands `scenario` at budget multiplier `scale` (> 0) for `build` (a commit or a binary's hash).
    pub fn expand(scenario: &Scenario, scale: f64, build: &str) -> Result<Self, BenchError> {
        if !(scale.is_finite() && scale > 0.0 && scale <= 1000.0) {
            return Err(BenchError(format!("--scale {scale}: expected a budget multiplier in (0, 1000] (e.g. 0.01 for a smoke run)")));
        }
        let eval_seeds = &scenario.eval_seeds;
        let eval_cost = |v: usize| eval_seeds.len() as u64 * scenario.variants[v].max_episode_steps;
        let env_json = |v: usize| -> Result<Value, BenchError> {
            let variant = &scenario.variants[v];
            let entry = envs::entry(&variant.id).map_err(|e| BenchError(e.to_string()))?;
            let mut full = entry.defaults.clone();
            envs::config::merge(&mut full, &variant.config);
            Ok(json!({"id": variant.id, "config": toml_json(&full)}))
        };
        let mut cells: Vec<Cell> = Vec::new();
        for (e, entry) in scenario.entries.iter().enumerate() {
            for &v in &entry.variants {
                match &entry.kind {
                    EntryKind::Controller { controller, config } => {
                        let spec = json!({"kind": "controller", "env": env_json(v)?, "controller": controller,
                            "config": toml_json(config), "eval_seeds": eval_seeds, "build": build});
                        cells.push(Cell { key: key_of(&spec), entry: e, variant: v, kind: CellKind::Controller, spec, budget_env_steps: eval_cost(v) });
                    }
                    EntryKind::Learner { agent, policy, steps, agent_config, policy_config } => {
                        // mimic-pid's stages are not paused mid-way: its curve is its final point.
                        let eval_at: &[u64] = if agent == "mimic-pid" { &[] } else { &scenario.report.eval_at };
                        let points = scaled_points(*steps, eval_at, scale);
                        let agent_table = learner_agent_table(agent, agent_config)?;
                        for &seed in &entry.train_seeds {
                            let spec = json!({"kind": "learner", "env": env_json(v)?, "agent": agent, "policy": policy,
                                "agent_config": toml_json(&agent_table), "policy_config": toml_json(policy_config),
                                "seed": seed, "points": points, "eval_seeds": eval_seeds, "build": build});
                            let budget = points.last().copied().unwrap_or(0) + points.len() as u64 * eval_cost(v);
                            cells.push(Cell { key: key_of(&spec), entry: e, variant: v, kind: CellKind::Learner { seed, points: points.clone() }, spec, budget_env_steps: budget });
                        }
                    }
                    EntryKind::Transfer { source } => {
                        let src_entry = scenario.entries.iter().position(|x| &x.name == source).expect("checked by Scenario::parse");
                        let sources: Vec<usize> = (0..cells.len()).filter(|&c| cells[c].entry == src_entry).collect();
                        for c in sources {
                            let CellKind::Learner { seed, .. } = cells[c].kind else { unreachable!("a transfer source is a learner") };
                            let spec = json!({"kind": "transfer", "env": env_json(v)?, "source": cells[c].key,
                                "eval_seeds": eval_seeds, "build": build});
                            cells.push(Cell { key: key_of(&spec), entry: e, variant: v, kind: CellKind::Transfer { source: c, seed }, spec, budget_env_steps: eval_cost(v) });
                        }
                    }
                }
            }
        }
        Ok(Grid { cells, scale, build: build.to_string() })
    }

    /// The cell with `key`, if the grid has it.
    pub fn find(&self, key: &str) -> Option<usize> {
        self.cells.iter().position(|c| c.key == key)
    }

    /// Env steps of the whole grid.
    pub fn budget_env_steps(&self) -> u64 {
        self.cells.iter().fold(0u64, |a, c| a.saturating_add(c.budget_env_steps))
    }
}

/// The agent's full hyperparameters (defaults filled in) as a cell trains it: one thread, since
/// cells run side by side, one per core.
pub fn learner_agent_table(agent: &str, overrides: &toml::Table) -> Result<toml::Table, BenchError> {
    let full = agents::learners::AgentConfig::parse(agent, Some(overrides)).map_err(|e| BenchError(e.to_string()))?.to_table();
    let mut table = full;
    if table.contains_key("threads") {
        table.insert("threads".into(), toml::Value::Integer(1));
    }
    Ok(table)
}
