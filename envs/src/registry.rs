//! Env ids and their typed configurations: `make("Swimmer6-v0")`.

use crate::env::{Env, EnvError};
use crate::tasks::blimp_altitude::{BlimpAltitudeConfig, BlimpAltitudeEnv};
use crate::tasks::motor::{self, MotorConfig, MotorEnv};
use crate::tasks::pendulum::{PendulumConfig, PendulumEnv};
use crate::tasks::swimmer::{SwimmerConfig, SwimmerEnv};
use crate::time_limit::TimeLimit;

/// Range of N for which `Swimmer{N}-v0` is registered.
pub const SWIMMER_LINKS: std::ops::RangeInclusive<usize> = 3..=13;

/// One registered env.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvEntry {
    pub id: String,
    /// One line saying what the task is.
    pub summary: String,
}

/// Every registered env, in a stable order.
pub fn registry() -> Vec<EnvEntry> {
    let mut entries: Vec<EnvEntry> = SWIMMER_LINKS
        .map(|n| EnvEntry {
            id: format!("Swimmer{n}-v0"),
            summary: format!("{n}-link swimmer in viscous fluid (dm_control), swim forward; {} hinges", n - 1),
        })
        .collect();
    entries.push(EnvEntry { id: "BlimpAltitude-v0".into(), summary: "indoor blimp, 1 g heavy: hold an altitude reference with a lagged vertical thruster".into() });
    entries.push(EnvEntry { id: "BlimpAltitudeDisturbed-v0".into(), summary: "BlimpAltitude-v0 with vertical gusts and 1 g of ballast taken on at 30 s".into() });
    for (id, gem) in motor::ids() {
        entries.push(EnvEntry { id, summary: format!("gym-electric-motor's {gem}") });
    }
    entries.push(EnvEntry { id: "Pendulum-v1".into(), summary: "Gymnasium's inverted pendulum swing-up (learners' test task)".into() });
    entries
}

/// Every registered id.
pub fn ids() -> Vec<String> {
    registry().into_iter().map(|e| e.id).collect()
}

/// Makes a registered env with its default configuration, wrapped in its time limit.
pub fn make(id: &str) -> Result<Box<dyn Env>, EnvError> {
    make_with(id, None)
}

/// Makes a registered env; `config` overrides its defaults key by key (unknown keys are errors).
pub fn make_with(id: &str, config: Option<&toml::Table>) -> Result<Box<dyn Env>, EnvError> {
    if let Some(n) = swimmer_links(id)? {
        let mut cfg: SwimmerConfig = parse_config(id, config)?;
        if config.is_some_and(|c| c.contains_key("n_links")) && cfg.n_links != n {
            return Err(EnvError::Config {
                env: id.to_string(),
                message: format!("`n_links` = {} contradicts the id, which says {n}", cfg.n_links),
            });
        }
        cfg.n_links = n;
        let max_steps = cfg.max_episode_steps;
        return Ok(Box::new(TimeLimit::new(SwimmerEnv::new(cfg)?, max_steps)));
    }
    if id == "BlimpAltitude-v0" || id == "BlimpAltitudeDisturbed-v0" {
        let base = if id == "BlimpAltitude-v0" { BlimpAltitudeConfig::default() } else { BlimpAltitudeConfig::disturbed() };
        let cfg = parse_config_over(id, base, config)?;
        let max_steps = cfg.max_episode_steps;
        return Ok(Box::new(TimeLimit::new(BlimpAltitudeEnv::new(id, cfg)?, max_steps)));
    }
    if let Some((m, t, finite)) = motor::parse_id(id) {
        let cfg = parse_config_over(id, MotorConfig::gem(m, t, finite), config)?;
        let max_steps = cfg.max_episode_steps;
        return Ok(Box::new(TimeLimit::new(MotorEnv::new(id, cfg)?, max_steps)));
    }
    if id == "Pendulum-v1" {
        let cfg: PendulumConfig = parse_config(id, config)?;
        let max_steps = cfg.max_episode_steps;
        return Ok(Box::new(TimeLimit::new(PendulumEnv::new(cfg)?, max_steps)));
    }
    Err(EnvError::UnknownEnv { id: id.to_string(), valid: ids() })
}

/// `Some(N)` for `Swimmer{N}-v0` with N in range, an error naming the range for N outside it.
fn swimmer_links(id: &str) -> Result<Option<usize>, EnvError> {
    let Some(n) = id.strip_prefix("Swimmer").and_then(|r| r.strip_suffix("-v0")) else {
        return Ok(None);
    };
    let Ok(n) = n.parse::<usize>() else {
        return Ok(None);
    };
    if SWIMMER_LINKS.contains(&n) {
        Ok(Some(n))
    } else {
        Err(EnvError::Config {
            env: id.to_string(),
            message: format!(
                "N = {n} links is out of range: Swimmer{{N}}-v0 is registered for N in {}..={}",
                SWIMMER_LINKS.start(),
                SWIMMER_LINKS.end()
            ),
        })
    }
}

/// Reads a typed config from a TOML table, starting from the defaults.
fn parse_config<T: serde::de::DeserializeOwned + Default>(id: &str, config: Option<&toml::Table>) -> Result<T, EnvError> {
    match config {
        None => Ok(T::default()),
        Some(table) => toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| EnvError::Config { env: id.to_string(), message: e.message().to_string() }),
    }
}

/// Reads a typed config from a TOML table on top of `base` (nested tables merge key by key).
fn parse_config_over<T: serde::Serialize + serde::de::DeserializeOwned>(id: &str, base: T, config: Option<&toml::Table>) -> Result<T, EnvError> {
    let Some(table) = config else { return Ok(base) };
    let err = |message: String| EnvError::Config { env: id.to_string(), message };
    let mut merged = toml::Table::try_from(&base).map_err(|e| err(e.to_string()))?;
    merge(&mut merged, table);
    toml::Value::Table(merged).try_into().map_err(|e: toml::de::Error| err(e.message().to_string()))
}

/// Merges `over` into `base` key by key; a nested table whose `type` (a tagged enum's variant)
/// changes replaces the base's table instead, since the other variant's keys do not apply.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) if o.get("type").is_none_or(|t| Some(t) == b.get("type")) => merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}
