//! What an env reports about a whole episode: the keys of the last step's `info` that summarise
//! the episode (a tracking error, an energy), each with its SI unit and which direction is better.
//! [`EnvSpec::episode_metrics`](crate::EnvSpec::episode_metrics) lists them, so that evaluation
//! and benchmark reports can name, check and rank any env's metrics without knowing the env.

use serde::Serialize;

/// One episode metric: read from the `info` of an episode's last step under `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EpisodeMetric {
    /// The info key, e.g. `rmse`, `settling_time`.
    pub name: &'static str,
    /// Its SI unit, e.g. `m`, `s`, `J`; `1` for a dimensionless quantity (a fraction).
    pub unit: String,
    /// Whether a smaller value is the better one (an error, a time, an energy).
    pub lower_is_better: bool,
}

impl EpisodeMetric {
    pub fn lower(name: &'static str, unit: &str) -> Self {
        Self { name, unit: unit.to_string(), lower_is_better: true }
    }

    pub fn higher(name: &'static str, unit: &str) -> Self {
        Self { name, unit: unit.to_string(), lower_is_better: false }
    }
}

/// A tracking task's metrics ([`crate::tracking`]) for a tracked quantity in `unit`: the RMSE
/// and steady-state error in that unit, the overshoot as a fraction of the jump, times in s.
/// Each is reported once a hold of its kind has closed (RMSE always).
pub fn tracking(unit: &str) -> Vec<EpisodeMetric> {
    vec![
        EpisodeMetric::lower("rmse", unit),
        EpisodeMetric::lower("overshoot", "1"),
        EpisodeMetric::lower("rise_time", "s"),
        EpisodeMetric::lower("settling_time", "s"),
        EpisodeMetric::lower("steady_state_error", unit),
    ]
}

/// The metric of `metrics` named `name`, if the env reports it.
pub fn find<'a>(metrics: &'a [EpisodeMetric], name: &str) -> Option<&'a EpisodeMetric> {
    metrics.iter().find(|m| m.name == name)
}
