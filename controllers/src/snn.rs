//! A spiking controller in the manner of Burgers, Stroobants & de Croon (2023): a fast PD-like
//! network and a slow integral-like network of LIF neurons ([`crate::lif`]) whose outputs add.
//!
//! Inputs (per control step, from named observation entries): the error `e = r − y` (m) and the
//! negative measured rate `−ẏ` (m/s; derivative on the measurement, as the PID teacher uses),
//! passed through a first-order synaptic filter of time constant `rate_filter_tau` (backward
//! Euler per control step, `d ← d + (−ẏ − d)·Δt/(τ + Δt)`, the PID's own derivative filter: a
//! differentiated altimeter is too noisy to use raw). Each control step runs `ticks_per_step`
//! neuron ticks with the inputs held.
//!
//! | network | encoding (input current of neuron j) | decoder |
//! |---|---|---|
//! | PD (`pd_neurons`) | `I_j = a_j e + c_j d + b_j` | leaky spike trace `x_j ← λ_pd x_j + (1 − λ_pd) s_j` (a firing rate in [0, 1]); `u_pd = Σ_j w_j x_j` |
//! | I (`i_neurons`) | `I_k = a_k e + b_k` | accumulating trace `z_k ← λ_i z_k + s_k · dt_tick` (spike-seconds: an integral of the firing rate); `u_i = Σ_k w_k z_k` |
//!
//! The command is `clamp(u_pd + u_i, −1, 1)` (the PD-only variant drops `u_i`). Every neuron has
//! its own leak α and threshold θ. Parameters, in order: PD `a, c, b, α, θ, w` (each
//! `pd_neurons` long), I `a, b, α, θ, w` (each `i_neurons` long), then `λ_pd, λ_i`. Leaks and
//! trace decays are clamped to [0, 0.9999] at use, thresholds to ≥ 1e-3.
//!
//! Work per control step ([`Policy::work`]): spikes; synaptic operations (one per spike per
//! decoder weight it reaches: 1), what event-driven neuromorphic hardware pays for; and the
//! dense arithmetic a conventional processor pays for (MACs): encoding currents, decoders, and
//! every neuron's membrane and trace update on every tick.

use envs::EnvSpec;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::lif::{LifLayer, MAX_LEAK};
use crate::policy::{check_parameters, observation_entry, Activity, ActivityKind, Policy, PolicyError, Work};

/// Options of the `snn` controller (every key optional; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SnnConfig {
    /// Neurons of the PD-like network.
    pub pd_neurons: usize,
    /// Neurons of the integral-like network; 0 makes the PD-only controller.
    pub i_neurons: usize,
    /// Neuron ticks per control step.
    pub ticks_per_step: usize,
    /// Refractory period after a spike (ticks).
    pub refractory_ticks: u32,
    /// Time constant of the rate input's synaptic filter (s); 0: unfiltered.
    pub rate_filter_tau: f64,
    /// Seed of the random initial parameters.
    pub init_seed: u64,
    /// Observation entries: the measurement, the reference, and the measurement's rate.
    pub measurement: String,
    pub reference: String,
    pub measurement_rate: String,
}

impl Default for SnnConfig {
    fn default() -> Self {
        Self {
            pd_neurons: 120,
            i_neurons: 40,
            ticks_per_step: 4,
            refractory_ticks: 0,
            rate_filter_tau: 0.3,
            init_seed: 0,
            measurement: "measured_altitude".into(),
            reference: "reference_altitude".into(),
            measurement_rate: "measured_climb_rate".into(),
        }
    }
}

impl SnnConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.pd_neurons == 0 {
            return Err("`pd_neurons` = 0: expected at least 1 neuron".into());
        }
        if self.ticks_per_step == 0 {
            return Err("`ticks_per_step` = 0: expected at least 1 neuron tick per control step".into());
        }
        if !(self.rate_filter_tau.is_finite() && self.rate_filter_tau >= 0.0) {
            return Err(format!("`rate_filter_tau` = {}: expected a time constant ≥ 0 s", self.rate_filter_tau));
        }
        if self.pd_neurons + self.i_neurons > 100_000 {
            return Err(format!("{} neurons: expected at most 100000", self.pd_neurons + self.i_neurons));
        }
        Ok(())
    }

    /// Length of the flat parameter vector.
    pub fn n_parameters(&self) -> usize {
        6 * self.pd_neurons + 5 * self.i_neurons + 2
    }
}

/// The two-network spiking controller.
#[derive(Debug, Clone)]
pub struct SnnController {
    name: String,
    config: SnnConfig,
    params: Vec<f32>,
    /// Observation entries of the measurement, reference and rate; `None` for a network whose
    /// inputs its owner computes ([`SnnController::detached`]).
    obs_index: Option<[usize; 3]>,
    /// Seconds per neuron tick.
    tick_dt: f32,
    pd: LifLayer,
    integral: LifLayer,
    pd_trace: Vec<f32>,
    i_trace: Vec<f32>,
    current: Vec<f32>,
    labels: Vec<String>,
    /// Per neuron: spiked during the latest control step (0/1), PD first.
    spiked: Vec<f32>,
    /// Per neuron: membrane potential after the latest control step, PD first.
    potentials: Vec<f32>,
    work: Work,
    last: f32,
    /// The filtered rate input, and the filter's gain Δt/(τ + Δt).
    rate: f32,
    rate_gain: f32,
}

impl SnnController {
    pub fn new(name: &str, spec: &EnvSpec, config: SnnConfig) -> Result<Self, PolicyError> {
        config.validate().map_err(|message| PolicyError::Config { controller: name.into(), message })?;
        let incompatible = |reason: String| PolicyError::Incompatible { controller: name.into(), env: spec.id.clone(), reason };
        if spec.act_dim() != 1 {
            return Err(incompatible(format!("it drives one actuator; the env has {} actions", spec.act_dim())));
        }
        let find = |key: &str| observation_entry(name, spec, key);
        let obs_index = [find(&config.measurement)?, find(&config.reference)?, find(&config.measurement_rate)?];
        let mut snn = Self::detached(name, spec.dt, config)?;
        snn.obs_index = Some(obs_index);
        Ok(snn)
    }

    /// A network stepped by its owner through [`SnnController::step`] (e.g. the speed loop of
    /// [`crate::spiking_cascade::SpikingCascade`]); `dt` is the control period (s). Its `act`
    /// holds 0, having no observation entries to read.
    pub fn detached(name: &str, dt: f64, config: SnnConfig) -> Result<Self, PolicyError> {
        config.validate().map_err(|message| PolicyError::Config { controller: name.into(), message })?;
        let (np, ni) = (config.pd_neurons, config.i_neurons);
        let labels = (0..np).map(|j| format!("pd_{j}")).chain((0..ni).map(|k| format!("i_{k}"))).collect();
        let params = initial_parameters(&config);
        Ok(Self {
            name: name.into(),
            tick_dt: (dt / config.ticks_per_step as f64) as f32,
            pd: LifLayer::new(np, config.refractory_ticks),
            integral: LifLayer::new(ni, config.refractory_ticks),
            pd_trace: vec![0.0; np],
            i_trace: vec![0.0; ni],
            current: vec![0.0; np.max(ni)],
            labels,
            spiked: vec![0.0; np + ni],
            potentials: vec![0.0; np + ni],
            work: Work::default(),
            last: 0.0,
            rate: 0.0,
            rate_gain: (dt / (config.rate_filter_tau + dt)) as f32,
            params,
            obs_index: None,
            config,
        })
    }

    pub fn config(&self) -> &SnnConfig {
        &self.config
    }

    /// Neurons in all.
    pub fn n_neurons(&self) -> usize {
        self.config.pd_neurons + self.config.i_neurons
    }

    /// The decoders' traces after the latest step: the PD network's `x` and the integral network's `z`.
    pub fn traces(&self) -> (&[f32], &[f32]) {
        (&self.pd_trace, &self.i_trace)
    }

    /// Membrane potentials after the latest step, PD network first.
    pub fn potentials(&self) -> &[f32] {
        &self.potentials
    }

    /// The two networks' outputs `(u_pd, u_i)` for the error `e` and the negative measured rate
    /// `neg_rate` (before the synaptic filter); advances the state one control step.
    pub fn step(&mut self, e: f32, neg_rate: f32) -> (f32, f32) {
        self.rate += (neg_rate - self.rate) * self.rate_gain;
        let d = self.rate;
        let (np, ni) = (self.config.pd_neurons, self.config.i_neurons);
        let p = &self.params;
        let (a, rest) = p.split_at(np);
        let (c, rest) = rest.split_at(np);
        let (b, rest) = rest.split_at(np);
        let (alpha, rest) = rest.split_at(np);
        let (theta, rest) = rest.split_at(np);
        let (w, rest) = rest.split_at(np);
        let (ia, rest) = rest.split_at(ni);
        let (ib, rest) = rest.split_at(ni);
        let (ialpha, rest) = rest.split_at(ni);
        let (itheta, rest) = rest.split_at(ni);
        let (iw, rest) = rest.split_at(ni);
        let lambda_pd = rest[0].clamp(0.0, MAX_LEAK);
        let lambda_i = rest[1].clamp(0.0, MAX_LEAK);

        self.spiked.fill(0.0);
        let mut spikes = 0u64;
        for j in 0..np {
            self.current[j] = a[j] * e + c[j] * d + b[j];
        }
        for _ in 0..self.config.ticks_per_step {
            spikes += self.pd.tick(&self.current[..np], alpha, theta) as u64;
            for j in 0..np {
                let s = self.pd.spikes[j];
                self.pd_trace[j] = lambda_pd * self.pd_trace[j] + (1.0 - lambda_pd) * s;
                self.spiked[j] = self.spiked[j].max(s);
            }
        }
        for k in 0..ni {
            self.current[k] = ia[k] * e + ib[k];
        }
        for _ in 0..self.config.ticks_per_step {
            spikes += self.integral.tick(&self.current[..ni], ialpha, itheta) as u64;
            for k in 0..ni {
                let s = self.integral.spikes[k];
                self.i_trace[k] = lambda_i * self.i_trace[k] + s * self.tick_dt;
                self.spiked[np + k] = self.spiked[np + k].max(s);
            }
        }
        let u_pd: f32 = w.iter().zip(&self.pd_trace).map(|(w, x)| w * x).sum();
        let u_i: f32 = iw.iter().zip(&self.i_trace).map(|(w, z)| w * z).sum();
        self.potentials[..np].copy_from_slice(&self.pd.potential);
        self.potentials[np..].copy_from_slice(&self.integral.potential);
        // Per control step: encoding 2 MACs per PD neuron and 1 per I neuron, decoders one per
        // neuron, the rate filter 1; per neuron tick: the membrane update (2) and the trace (1).
        let macs = (3 * np + 2 * ni + 1 + 3 * (np + ni) * self.config.ticks_per_step) as u64;
        self.work = Work { spikes, synaptic_ops: spikes, macs };
        (u_pd, u_i)
    }

    /// The command `clamp(u_pd + u_i, −1, 1)` for the error `e` and the negative rate `neg_rate`;
    /// advances the state one control step ([`SnnController::step`]).
    pub fn command(&mut self, e: f32, neg_rate: f32) -> f32 {
        let (u_pd, u_i) = self.step(e, neg_rate);
        (u_pd + u_i).clamp(-1.0, 1.0)
    }
}

/// Random initial parameters. PD network: encoding gains of either sign, so that the population
/// spans positive and negative errors and rates; thresholds spread over (0.1, 1); small decoder
/// weights. Integral network: alternately positive and negative error gains of magnitude
/// log-uniform in [2, 50] with no bias, so that it is silent at zero error and resolves the
/// centimetre errors that integral action must remove; its trace barely leaks (λ_i = 0.9999 per
/// tick).
fn initial_parameters(config: &SnnConfig) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.init_seed);
    let (np, ni) = (config.pd_neurons, config.i_neurons);
    let mut p = Vec::with_capacity(config.n_parameters());
    let normal = |n: usize, scale: f32, p: &mut Vec<f32>, rng: &mut Xoshiro256PlusPlus| {
        p.extend((0..n).map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            scale * z as f32
        }))
    };
    normal(np, 4.0, &mut p, &mut rng);
    normal(np, 4.0, &mut p, &mut rng);
    normal(np, 0.2, &mut p, &mut rng);
    p.extend((0..np).map(|_| rng.random_range(0.0..0.9)));
    p.extend((0..np).map(|_| rng.random_range(0.1..1.0)));
    normal(np, 0.02, &mut p, &mut rng);
    p.extend((0..ni).map(|k| {
        let magnitude = (rng.random_range(2f32.ln()..50f32.ln())).exp();
        if k % 2 == 0 { magnitude } else { -magnitude }
    }));
    p.extend((0..ni).map(|_| 0.0));
    p.extend((0..ni).map(|_| rng.random_range(0.0..0.9)));
    p.extend((0..ni).map(|_| rng.random_range(0.1..1.0)));
    normal(ni, 0.02, &mut p, &mut rng);
    p.extend([0.8, MAX_LEAK]);
    p
}

impl Policy for SnnController {
    fn name(&self) -> &str {
        &self.name
    }

    fn reset(&mut self, _seed: Option<u64>) {
        self.pd.reset();
        self.integral.reset();
        self.pd_trace.fill(0.0);
        self.i_trace.fill(0.0);
        self.spiked.fill(0.0);
        self.potentials.fill(0.0);
        self.work = Work::default();
        self.last = 0.0;
        self.rate = 0.0;
    }

    /// A NaN or infinite input (a failed sensor upstream) holds the previous command and leaves
    /// the networks' state untouched.
    fn act(&mut self, obs: &[f32], action: &mut [f32]) {
        let Some(index) = self.obs_index else {
            action[0] = self.last;
            return;
        };
        let [y, r, rate] = index.map(|i| obs[i]);
        let (e, d) = (r - y, -rate);
        if e.is_finite() && d.is_finite() {
            self.last = self.command(e, d);
        }
        action[0] = self.last;
    }

    fn parameters(&self) -> Option<&[f32]> {
        Some(&self.params)
    }

    fn set_parameters(&mut self, params: &[f32]) -> Result<(), PolicyError> {
        check_parameters(&self.name, self.params.len(), params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    fn parameter_names(&self) -> Vec<String> {
        let (np, ni) = (self.config.pd_neurons, self.config.i_neurons);
        let mut names = Vec::with_capacity(self.params.len());
        for key in ["a", "c", "b", "leak", "threshold", "w"] {
            names.extend((0..np).map(|j| format!("pd_{j}.{key}")));
        }
        for key in ["a", "b", "leak", "threshold", "w"] {
            names.extend((0..ni).map(|k| format!("i_{k}.{key}")));
        }
        names.extend(["pd_trace_decay".into(), "i_trace_decay".into()]);
        names
    }

    fn activity(&self) -> Option<Activity<'_>> {
        Some(Activity { labels: &self.labels, values: &self.spiked, kind: ActivityKind::Spikes, potentials: Some(&self.potentials) })
    }

    fn work(&self) -> Option<Work> {
        Some(self.work)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blimp() -> EnvSpec {
        envs::make("BlimpAltitude-v0").unwrap().spec().clone()
    }

    #[test]
    fn default_is_160_neurons_and_parameters_round_trip() {
        let mut snn = SnnController::new("snn", &blimp(), SnnConfig::default()).unwrap();
        assert_eq!(snn.n_neurons(), 160);
        let n = snn.parameters().unwrap().len();
        assert_eq!(n, 6 * 120 + 5 * 40 + 2);
        assert_eq!(snn.parameter_names().len(), n);
        let p: Vec<f32> = (0..n).map(|i| i as f32 * 1e-3).collect();
        snn.set_parameters(&p).unwrap();
        assert_eq!(snn.parameters().unwrap(), &p[..]);
        assert!(snn.set_parameters(&p[1..]).is_err());
    }

    /// One PD neuron with gain a on the error, no leak, threshold 0.5, decoder weight 1, trace
    /// decay 0: it fires on every tick where a·e ≥ 0.5, and the output is its last tick's spike.
    #[test]
    fn a_hand_set_network_computes_what_the_equations_say() {
        let cfg = SnnConfig { pd_neurons: 1, i_neurons: 1, ticks_per_step: 2, rate_filter_tau: 0.0, ..Default::default() };
        let mut snn = SnnController::new("snn", &blimp(), cfg).unwrap();
        // PD: a, c, b, α, θ, w; I: a, b, α, θ, w; λ_pd, λ_i.
        snn.set_parameters(&[2.0, 0.0, 0.0, 0.0, 0.5, 1.0, 10.0, 0.0, 0.0, 0.5, 2.0, 0.0, 1.0]).unwrap();
        let mut u = [0.0];
        // e = 0.3: PD current 0.6 ≥ 0.5 fires both ticks; I current 3 fires both ticks, each adding
        // tick_dt = 0.025 s to the trace (λ_i clamped to 0.9999): u_i = 2 · (0.025·0.9999 + 0.025).
        snn.act(&[1.0, 1.3, 0.0, 0.0], &mut u);
        let expected = 1.0 + 2.0 * (0.025 * 0.9999 + 0.025);
        assert!((snn.step_output_for_test() - expected).abs() < 1e-5);
        assert_eq!(u[0], 1.0, "clamped to the action range");
        assert_eq!(snn.work().unwrap().spikes, 4);
        // e = 0.2: PD current 0.4 < 0.5 → silent; I current 2 fires.
        snn.act(&[1.0, 1.2, 0.0, 0.0], &mut u);
        let activity = snn.activity().unwrap();
        assert_eq!(activity.values, &[0.0, 1.0]);
        assert_eq!(activity.labels, &["pd_0".to_string(), "i_0".to_string()]);
        assert_eq!(activity.kind, ActivityKind::Spikes);
        // NaN holds the last command.
        let before = u[0];
        snn.act(&[f32::NAN, 1.2, 0.0, 0.0], &mut u);
        assert_eq!(u[0], before);
    }

    #[test]
    fn bad_configs_and_envs_are_named() {
        let err = SnnController::new("snn", &blimp(), SnnConfig { pd_neurons: 0, ..Default::default() }).unwrap_err().to_string();
        assert!(err.contains("pd_neurons"), "{err}");
        let err = SnnController::new("snn", &blimp(), SnnConfig { ticks_per_step: 0, ..Default::default() }).unwrap_err().to_string();
        assert!(err.contains("ticks_per_step"), "{err}");
        let swimmer = envs::make("Swimmer6-v0").unwrap().spec().clone();
        assert!(SnnController::new("snn", &swimmer, SnnConfig::default()).unwrap_err().to_string().contains("one actuator"));
    }

    impl SnnController {
        /// The unclamped output of the latest step, recomputed from the traces.
        fn step_output_for_test(&self) -> f32 {
            let (np, ni) = (self.config.pd_neurons, self.config.i_neurons);
            let w = &self.params[5 * np..6 * np];
            let iw = &self.params[6 * np + 4 * ni..6 * np + 5 * ni];
            w.iter().zip(&self.pd_trace).map(|(w, x)| w * x).sum::<f32>() + iw.iter().zip(&self.i_trace).map(|(w, z)| w * z).sum::<f32>()
        }
    }
}
