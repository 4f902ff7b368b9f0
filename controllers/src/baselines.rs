//! Baselines that need no training: zero, uniform random, and an open-loop travelling wave.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::policy::{check_parameters, Policy, PolicyError};

/// Always outputs zero.
#[derive(Debug, Clone, Default)]
pub struct Zero;

impl Policy for Zero {
    fn name(&self) -> &str {
        "zero"
    }
    fn reset(&mut self, _seed: Option<u64>) {}
    fn act(&mut self, _obs: &[f32], action: &mut [f32]) {
        action.fill(0.0);
    }
}

/// Options of the `constant` controller.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantConfig {
    /// The action, one entry per action dimension.
    pub action: Vec<f32>,
}

/// Holds one action: the open-loop test a drive engineer runs against a datasheet or another
/// simulator. Entries outside the env's action box are clipped by the env, as any action is.
#[derive(Debug, Clone)]
pub struct Constant {
    action: Vec<f32>,
}

impl Constant {
    /// Checks the action's length against `spec` and that every entry is finite.
    pub fn new(config: ConstantConfig, spec: &envs::EnvSpec) -> Result<Self, PolicyError> {
        let err = |message: String| PolicyError::Config { controller: "constant".into(), message };
        if config.action.len() != spec.act_dim() {
            return Err(err(format!("`action` has {} entries; {} takes {}", config.action.len(), spec.id, spec.act_dim())));
        }
        if let Some(v) = config.action.iter().find(|v| !v.is_finite()) {
            return Err(err(format!("`action` entry {v} is not a finite number")));
        }
        Ok(Self { action: config.action })
    }
}

impl Policy for Constant {
    fn name(&self) -> &str {
        "constant"
    }
    fn reset(&mut self, _seed: Option<u64>) {}
    fn act(&mut self, _obs: &[f32], action: &mut [f32]) {
        action.copy_from_slice(&self.action);
    }
}

/// Options of the `replay` controller.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayConfig {
    /// A CSV file of actions: one row per step, one column per action dimension (a header row of
    /// names is allowed). After the last row the last action is held.
    pub file: std::path::PathBuf,
}

/// Replays a recorded action sequence (open loop), e.g. the same varying actions given to another
/// simulator. Restarts from the first row at every reset.
#[derive(Debug, Clone)]
pub struct Replay {
    actions: Vec<f32>,
    dim: usize,
    step: usize,
}

impl Replay {
    /// Reads `config.file`; errors name the file, the row and what was wrong.
    pub fn new(config: ReplayConfig, spec: &envs::EnvSpec) -> Result<Self, PolicyError> {
        let path = config.file.display().to_string();
        let err = |message: String| PolicyError::Config { controller: "replay".into(), message: format!("{path}: {message}") };
        let text = std::fs::read_to_string(&config.file).map_err(|e| err(e.to_string()))?;
        let dim = spec.act_dim();
        let mut actions = Vec::new();
        for (k, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let values: Result<Vec<f32>, _> = fields.iter().map(|f| f.parse::<f32>()).collect();
            match values {
                Ok(v) if v.len() == dim && v.iter().all(|x| x.is_finite()) => actions.extend(v),
                Ok(v) if v.len() != dim => return Err(err(format!("row {}: {} values, {} takes {dim}", k + 1, v.len(), spec.id))),
                Ok(_) => return Err(err(format!("row {}: a value is not finite", k + 1))),
                Err(_) if k == 0 => {} // a header
                Err(e) => return Err(err(format!("row {}: {e}", k + 1))),
            }
        }
        if actions.is_empty() {
            return Err(err("no actions".into()));
        }
        Ok(Self { actions, dim, step: 0 })
    }
}

impl Policy for Replay {
    fn name(&self) -> &str {
        "replay"
    }
    fn reset(&mut self, _seed: Option<u64>) {
        self.step = 0;
    }
    fn act(&mut self, _obs: &[f32], action: &mut [f32]) {
        let rows = self.actions.len() / self.dim;
        let row = self.step.min(rows - 1);
        action.copy_from_slice(&self.actions[row * self.dim..(row + 1) * self.dim]);
        self.step += 1;
    }
}

/// Independent uniform samples in the action box (or uniform switching states) at every step.
#[derive(Debug, Clone)]
pub struct UniformRandom {
    low: Vec<f32>,
    high: Vec<f32>,
    /// `Some(n)`: a uniform index in `0..n` (a `Discrete(n)` space) instead of the box.
    choices: Option<usize>,
    rng: Xoshiro256PlusPlus,
}

impl UniformRandom {
    /// `low`/`high`: the action box's bounds (finite).
    pub fn new(low: Vec<f32>, high: Vec<f32>) -> Self {
        Self { low, high, choices: None, rng: Xoshiro256PlusPlus::seed_from_u64(0) }
    }

    /// Uniform over the `n` elements of a `Discrete(n)` space (n ≥ 1).
    pub fn discrete(n: usize) -> Self {
        Self { low: Vec::new(), high: Vec::new(), choices: Some(n.max(1)), rng: Xoshiro256PlusPlus::seed_from_u64(0) }
    }
}

impl Policy for UniformRandom {
    fn name(&self) -> &str {
        "random"
    }
    fn reset(&mut self, seed: Option<u64>) {
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
    }
    fn act(&mut self, _obs: &[f32], action: &mut [f32]) {
        if let Some(n) = self.choices {
            action[0] = self.rng.random_range(0..n) as f32;
            return;
        }
        for ((a, l), h) in action.iter_mut().zip(&self.low).zip(&self.high) {
            *a = l + (h - l) * self.rng.random::<f32>();
        }
    }
}

/// A travelling wave, the classic open-loop central-pattern-generator baseline:
/// `u_i = A · sin(2π t / T − φ · i)` for hinge `i` at time `t` (s) since reset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TravellingWaveConfig {
    /// Amplitude A (action units; the action is clipped to [−1, 1] by the env).
    pub amplitude: f32,
    /// Period T (s).
    pub period: f32,
    /// Phase lag φ between neighbouring hinges (rad).
    pub phase_lag: f32,
}

impl Default for TravellingWaveConfig {
    /// A = 1, T = 1.8 s (NCAP's oscillator: 60 steps of 0.03 s), φ = 2π/5 (one wavelength over Swimmer6's five hinges).
    fn default() -> Self {
        Self { amplitude: 1.0, period: 1.8, phase_lag: std::f32::consts::TAU / 5.0 }
    }
}

/// The travelling-wave controller; its parameters are `[A, T, φ]`.
#[derive(Debug, Clone)]
pub struct TravellingWave {
    params: [f32; 3],
    dt: f32,
    step: usize,
}

impl TravellingWave {
    /// `dt`: the env's control period (s).
    pub fn new(config: TravellingWaveConfig, dt: f32) -> Result<Self, PolicyError> {
        let p = [config.amplitude, config.period, config.phase_lag];
        check_parameters("travelling-wave", 3, &p)?;
        if config.period <= 0.0 {
            return Err(PolicyError::Config {
                controller: "travelling-wave".into(),
                message: format!("period = {}: expected seconds > 0", config.period),
            });
        }
        Ok(Self { params: p, dt, step: 0 })
    }
}

impl Policy for TravellingWave {
    fn name(&self) -> &str {
        "travelling-wave"
    }
    fn reset(&mut self, _seed: Option<u64>) {
        self.step = 0;
    }
    fn act(&mut self, _obs: &[f32], action: &mut [f32]) {
        let [amp, period, lag] = self.params;
        let t = self.step as f32 * self.dt;
        let omega = std::f32::consts::TAU / period.abs().max(1e-3);
        for (i, a) in action.iter_mut().enumerate() {
            *a = amp * (omega * t - lag * i as f32).sin();
        }
        self.step += 1;
    }
    fn parameters(&self) -> Option<&[f32]> {
        Some(&self.params)
    }
    fn set_parameters(&mut self, params: &[f32]) -> Result<(), PolicyError> {
        check_parameters("travelling-wave", 3, params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }
    fn parameter_names(&self) -> Vec<String> {
        ["amplitude", "period", "phase_lag"].map(String::from).to_vec()
    }
}
