//! What an env's named physical state means: each signal's name, SI unit, limits, and which
//! signal it is the reference of. [`EnvSpec::signals`](crate::EnvSpec::signals) lists them in
//! the order of [`Env::physical_state`](crate::Env::physical_state), so that traces, the viewer's
//! scope and reports label and scale any env's signals without knowing the env.

use serde::{Deserialize, Serialize};

/// One signal of an env's physical state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// The name `physical_state` reports it under, e.g. `omega`, `joint_0_angle`.
    pub name: String,
    /// Its SI unit, e.g. `rad/s`, `N·m`, `A`, `m`; `1` for a dimensionless quantity.
    pub unit: String,
    /// The range the task allows (a joint range, a current limit, the floor and ceiling), if any.
    pub limits: Option<(f64, f64)>,
    /// The name of the signal this one is the reference (set point) of, if it is one.
    pub reference_of: Option<String>,
}

impl Signal {
    pub fn new(name: impl Into<String>, unit: &str) -> Self {
        Self { name: name.into(), unit: unit.to_string(), limits: None, reference_of: None }
    }

    /// The same signal with the allowed range `[low, high]`.
    pub fn with_limits(mut self, low: f64, high: f64) -> Self {
        self.limits = Some((low, high));
        self
    }

    /// The same signal, declared the reference of signal `of`.
    pub fn reference_for(mut self, of: &str) -> Self {
        self.reference_of = Some(of.to_string());
        self
    }
}

/// `(reference, signal)` name pairs of `signals`: which signal each reference is for.
pub fn reference_pairs(signals: &[Signal]) -> Vec<(&str, &str)> {
    signals.iter().filter_map(|s| s.reference_of.as_deref().map(|of| (s.name.as_str(), of))).collect()
}
