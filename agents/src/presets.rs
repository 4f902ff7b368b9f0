//! Tuned hyperparameters per learner and env family (`agents/presets/<learner>.toml`), as
//! rl-baselines3-zoo ships them: so that `nerve train` with no config learns at a zoo-like
//! budget. A preset names the env ids it is for (`*` matches any run of characters), where its
//! values come from, and `[agent]` (and, for an `mlp` policy, `[policy]`) keys laid over the
//! learner's defaults; a user's own keys win over the preset's.

use serde::{Deserialize, Serialize};

use crate::AgentError;

/// The preset files, one per learner that has any.
const FILES: &[(&str, &str)] = &[
    ("ppo", include_str!("../presets/ppo.toml")),
    ("sac", include_str!("../presets/sac.toml")),
    ("td3", include_str!("../presets/td3.toml")),
    ("ddpg", include_str!("../presets/ddpg.toml")),
];

/// One preset of one learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Unique within its learner's file.
    pub name: String,
    /// Env id patterns (`*`: any run of characters).
    pub envs: Vec<String>,
    /// Where the values come from.
    pub source: String,
    #[serde(default)]
    pub agent: toml::Table,
    /// Options of an `mlp` policy.
    #[serde(default)]
    pub policy: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    preset: Vec<Preset>,
}

/// Which preset a run was trained with, as `config.toml` records it (`[preset]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetRecord {
    /// `learner/name`, e.g. `sac/pendulum`.
    pub name: String,
    pub source: String,
}

/// Every preset of `agent` (none for a learner without a preset file), in file order.
pub fn of(agent: &str) -> Result<Vec<Preset>, AgentError> {
    let Some((_, text)) = FILES.iter().find(|(a, _)| *a == agent) else {
        return Ok(Vec::new());
    };
    let file: File = toml::from_str(text).map_err(|e| AgentError::invalid(format!("agents/presets/{agent}.toml: {e}")))?;
    Ok(file.preset)
}

/// Learners with a preset file.
pub fn learners() -> Vec<&'static str> {
    FILES.iter().map(|(a, _)| *a).collect()
}

/// Whether `id` matches `pattern`, where `*` matches any run of characters (none included).
pub fn matches(pattern: &str, id: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == id;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !id.starts_with(first) || id.len() < first.len() + last.len() || !id.ends_with(last) {
        return false;
    }
    let mut rest = &id[first.len()..id.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(k) => rest = &rest[k + part.len()..],
            None => return false,
        }
    }
    true
}

/// The preset `choice` selects for `agent` on env `env_id`: `auto` the first whose patterns
/// match (none if none does), `none` none, anything else the preset of that name (an error,
/// listing the learner's presets, if it has none of that name).
pub fn select(agent: &str, env_id: &str, choice: &str) -> Result<Option<Preset>, AgentError> {
    let presets = of(agent)?;
    match choice {
        "none" => Ok(None),
        "auto" => Ok(presets.into_iter().find(|p| p.envs.iter().any(|pat| matches(pat, env_id)))),
        name => {
            let names: Vec<String> = presets.iter().map(|p| p.name.clone()).collect();
            presets.into_iter().find(|p| p.name == name).map(Some).ok_or_else(|| {
                AgentError::invalid(format!(
                    "--preset {name}: agent `{agent}` has no such preset; expected auto, none{}{}",
                    if names.is_empty() { "" } else { " or one of " },
                    names.join(", ")
                ))
            })
        }
    }
}

/// `user`'s keys laid over `preset`'s (nested tables key by key: `envs::config::merge`, as any
/// config override).
pub fn layer(preset: &toml::Table, user: &toml::Table) -> toml::Table {
    let mut out = preset.clone();
    envs::config::merge(&mut out, user);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_globs() {
        assert!(matches("Pendulum-v1", "Pendulum-v1"));
        assert!(!matches("Pendulum-v1", "Pendulum-v0"));
        assert!(matches("Swimmer*-v0", "Swimmer6-v0"));
        assert!(matches("Swimmer*-v0", "Swimmer-v0"));
        assert!(!matches("Swimmer*-v0", "Swimmer6-v1"));
        assert!(matches("*Speed*", "DcSeriesSpeed-v0"));
        assert!(!matches("Dc*Current-v0", "DcSeriesSpeed-v0"));
    }

    /// Every shipped preset parses, names only hyperparameters its learner has (with valid
    /// values), has a unique name, and matches at least one registered env.
    #[test]
    fn every_preset_is_valid_for_its_learner() {
        let ids = envs::ids();
        for agent in learners() {
            let presets = of(agent).unwrap();
            assert!(!presets.is_empty(), "{agent}: an empty preset file");
            let mut names = std::collections::HashSet::new();
            for p in &presets {
                assert!(names.insert(p.name.clone()), "{agent}/{}: a duplicate name", p.name);
                crate::learners::AgentConfig::parse(agent, Some(&p.agent)).unwrap_or_else(|e| panic!("{agent}/{}: {e}", p.name));
                controllers::MlpConfig::parse(Some(&p.policy)).unwrap_or_else(|e| panic!("{agent}/{}: policy: {e}", p.name));
                assert!(p.envs.iter().any(|pat| ids.iter().any(|id| matches(pat, id))), "{agent}/{}: matches no registered env", p.name);
            }
        }
    }

    #[test]
    fn selection_is_by_env_or_by_name() {
        assert_eq!(select("sac", "Pendulum-v1", "auto").unwrap().unwrap().name, "pendulum");
        assert!(select("sac", "Pendulum-v1", "none").unwrap().is_none());
        assert!(select("sac", "BlimpAltitude-v0", "auto").unwrap().is_none());
        assert!(select("es", "Pendulum-v1", "auto").unwrap().is_none());
        let err = select("td3", "Pendulum-v1", "fast").unwrap_err().to_string();
        assert!(err.contains("--preset fast") && err.contains("pendulum, swimmer"), "{err}");
        let user: toml::Table = toml::from_str("gamma = 0.9").unwrap();
        let preset: toml::Table = toml::from_str("gamma = 0.98\nlearning_starts = 1000").unwrap();
        let merged = layer(&preset, &user);
        assert_eq!(merged["gamma"].as_float(), Some(0.9));
        assert_eq!(merged["learning_starts"].as_integer(), Some(1000));
    }
}
