//! The registry: one table of env ids, from which `make`, `nerve list`, the Python package and
//! the benchmark scenarios expand their ids (Gymnasium's `register(id=…, entry_point=…,
//! kwargs=…)`).
//!
//! Each task file has a `register(&mut Registry)` that adds its entries; [`TASKS`] lists those
//! functions. A new task is one file and one line in [`TASKS`]. An entry carries its id, its
//! family, a one-line summary, its typed config's defaults (what a config table overrides, key
//! by key; unknown keys are errors) and its constructor; a composite entry (a task family that
//! samples one of several ids per episode, [`crate::task_family`]) also lists its members. An
//! env's signals (names, units, limits, references) are in the spec of the env it makes
//! ([`EnvEntry::spec`]).

use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::{parse_over, to_table};
use crate::env::{Env, EnvError, EnvSpec};
use crate::task_family::{TaskFamily, TaskFamilyConfig};
use crate::tasks::{blimp_altitude, hand_manipulate, hand_pose, hand_reach, motor, pendulum, point_reach, swimmer};

/// Every task file's registration, in the order `nerve list` shows them.
pub const TASKS: &[fn(&mut Registry)] = &[swimmer::register, blimp_altitude::register, hand_reach::register, hand_pose::register, hand_manipulate::register, motor::register, pendulum::register, point_reach::register];

type Maker = Arc<dyn Fn(&str, Option<&toml::Table>) -> Result<Box<dyn Env>, EnvError> + Send + Sync>;

/// One registered env id.
#[derive(Clone)]
pub struct EnvEntry {
    pub id: String,
    /// The task family, e.g. `swimmer`, `blimp`, `motor`, `classic`.
    pub family: &'static str,
    /// One line saying what the task is.
    pub summary: String,
    /// The config of this id with every key at its default (the table a config overrides).
    pub defaults: toml::Table,
    /// For a composite env (a task family), the ids it samples from; empty otherwise.
    pub members: Vec<String>,
    make: Maker,
}

impl std::fmt::Debug for EnvEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvEntry").field("id", &self.id).field("family", &self.family).field("members", &self.members).finish()
    }
}

impl EnvEntry {
    /// An entry whose config is `C`, read over `base` (this id's defaults); `build` makes the env
    /// (time limit included) from the config read.
    pub fn new<C>(id: impl Into<String>, family: &'static str, summary: impl Into<String>, base: C, build: fn(&str, C) -> Result<Box<dyn Env>, EnvError>) -> Self
    where
        C: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let defaults = to_table(&base);
        let make: Maker = Arc::new(move |id: &str, table: Option<&toml::Table>| {
            let config = parse_over(id, base.clone(), table).map_err(|e| EnvError::config(id, e))?;
            build(id, config)
        });
        Self { id: id.into(), family, summary: summary.into(), defaults, members: Vec::new(), make }
    }

    /// A task family ([`crate::task_family`]): one env sampling one of `members` (registered ids
    /// with the same spaces) per episode; its config ([`TaskFamilyConfig`]) may change the members,
    /// their weights and configs.
    pub fn task_family(id: impl Into<String>, family: &'static str, summary: impl Into<String>, members: &[&str]) -> Self {
        let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        let base = TaskFamilyConfig { members: members.clone(), ..TaskFamilyConfig::default() };
        let mut entry = Self::new(id, family, summary, base, build_family);
        entry.members = members;
        entry
    }

    /// Makes this env; `config` overrides its defaults key by key (unknown keys are errors).
    pub fn make(&self, config: Option<&toml::Table>) -> Result<Box<dyn Env>, EnvError> {
        (self.make)(&self.id, config)
    }

    /// The spec of this env with its default config (spaces, timing, signals).
    pub fn spec(&self) -> Result<EnvSpec, EnvError> {
        Ok(self.make(None)?.spec().clone())
    }

    /// Whether this env samples one of several member envs per episode.
    pub fn is_composite(&self) -> bool {
        !self.members.is_empty()
    }
}

fn build_family(id: &str, config: TaskFamilyConfig) -> Result<Box<dyn Env>, EnvError> {
    if let Some(key) = config.member_config.keys().find(|k| !config.members.contains(k)) {
        return Err(EnvError::Config { env: id.to_string(), message: format!("`member_config` names `{key}`, which is not a member ({})", config.members.join(", ")) });
    }
    let mut members = Vec::with_capacity(config.members.len());
    for m in &config.members {
        if entry(m)?.is_composite() {
            return Err(EnvError::Config { env: id.to_string(), message: format!("member `{m}` is itself a task family; families do not nest") });
        }
        let table = match config.member_config.get(m) {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => return Err(EnvError::Config { env: id.to_string(), message: format!("`member_config.\"{m}\"` must be a table") }),
        };
        members.push(make_with(m, table)?);
    }
    Ok(Box::new(TaskFamily::new(id, members, &config)?))
}

/// What the task files fill in.
#[derive(Default)]
pub struct Registry {
    entries: Vec<EnvEntry>,
    hints: Vec<fn(&str) -> Option<EnvError>>,
}

impl Registry {
    /// Adds `entry`. Ids are unique (a duplicate is a bug in a task file: it panics at start-up,
    /// and the registry's tests catch it).
    pub fn add(&mut self, entry: EnvEntry) {
        assert!(self.entries.iter().all(|e| e.id != entry.id), "env id {} registered twice", entry.id);
        self.entries.push(entry);
    }

    /// Adds a check that explains an unregistered id better than the list of valid ids (e.g.
    /// `Swimmer99-v0`: "N is out of range").
    pub fn hint(&mut self, hint: fn(&str) -> Option<EnvError>) {
        self.hints.push(hint);
    }
}

fn table() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = Registry::default();
        for register in TASKS {
            register(&mut r);
        }
        r
    })
}

/// Every registered env, in a stable order.
pub fn registry() -> &'static [EnvEntry] {
    &table().entries
}

/// Every registered id.
pub fn ids() -> Vec<String> {
    registry().iter().map(|e| e.id.clone()).collect()
}

/// The entry of `id`; an unknown id's error lists the registered ones (or says what is wrong
/// with an id that looks like a family's).
pub fn entry(id: &str) -> Result<&'static EnvEntry, EnvError> {
    let r = table();
    if let Some(e) = r.entries.iter().find(|e| e.id == id) {
        return Ok(e);
    }
    if let Some(err) = r.hints.iter().find_map(|h| h(id)) {
        return Err(err);
    }
    Err(EnvError::UnknownEnv { id: id.to_string(), valid: ids() })
}

/// Makes a registered env with its default configuration, wrapped in its time limit.
pub fn make(id: &str) -> Result<Box<dyn Env>, EnvError> {
    make_with(id, None)
}

/// Makes a registered env; `config` overrides its defaults key by key (unknown keys are errors).
pub fn make_with(id: &str, config: Option<&toml::Table>) -> Result<Box<dyn Env>, EnvError> {
    entry(id)?.make(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_entry_makes_its_env() {
        let ids = ids();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        for e in registry() {
            let spec = e.spec().unwrap_or_else(|err| panic!("{}: {err}", e.id));
            assert_eq!(spec.id, e.id);
            for m in &e.members {
                assert!(entry(m).is_ok(), "{}: member {m} is not registered", e.id);
            }
        }
    }
}
