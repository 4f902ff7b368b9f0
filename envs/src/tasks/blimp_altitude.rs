//! `BlimpAltitude-v0` and `BlimpAltitudeDisturbed-v0`: hold a small indoor blimp on an altitude
//! reference with its vertical thruster (the SNN-PID paper's task, Burgers et al. 2023).
//!
//! | | |
//! |---|---|
//! | Body | [`bodies::blimp::Blimp`]: 1 m envelope, 0.18 kg, net lift −0.01 N (1 g heavy), thrust +0.05/−0.03 N with a 0.1 s lag and a 5 % dead-zone |
//! | Action | `Box(-1, 1, (1,))`: the thrust command. Out-of-range values are clipped; NaN or infinite values are an error. |
//! | Observation | `Box(-inf, inf, (4,))`: what the onboard controller has. `measured_altitude` (m): the altimeter's reading, `sensor.latency` late, with `sensor.noise_std` noise; a lost reading repeats the last one. `reference_altitude` (m). `measured_climb_rate` (m/s): the difference of the last two readings over `control_dt`. `reference_rate` (m/s): the reference's slope (zero on holds and across steps). |
//! | Reward | `−|r − z|` (m) after each step, with the true altitude `z` |
//! | Termination | the blimp leaves the flight envelope [`floor`, `ceiling`]: it hit the floor or the ceiling. That step's reward also subtracts `(ceiling − floor)` for every step left, more than staying in the envelope could ever cost, so crashing never pays. |
//! | Truncation | after `max_episode_steps` (1200 steps = 60 s) |
//! | Reset | a reference drawn from `reference` (random steps between 1 and 3 m by default); the blimp at rest, upright, at the reference's first value, thrust zero |
//! | Step | 0.05 s (20 Hz control), physics at 0.025 s (`substeps` = 2) |
//! | Info | every step: `altitude`, `reference` (m), `measured_altitude` (m, what the observation shows), `thrust` (N), `sensor_dropout` (1 if the reading was lost), `disturbance_force` (N, vertical), `net_lift` (N); as holds of the reference close ([`crate::tracking`]): `rmse` (m), `overshoot` (fraction of the jump), `rise_time`, `settling_time` (s), `steady_state_error` (m); `crashed` on termination |
//!
//! `BlimpAltitudeDisturbed-v0` is the same task with `disturbances` on: vertical gusts (a Poisson
//! process at `gust_rate` per second, each a force of ±`gust_force` N held for `gust_duration` s)
//! and a ballast change at `ballast_time` that changes the net lift by `ballast_change` N (the
//! blimp takes on 1 g: what a controller without integral action cannot hold).

use bodies::altimeter::{Altimeter, AltimeterParams};
use bodies::blimp::{Blimp, BlimpParams, BlimpState};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::env::{check_action, check_observation, Env, EnvError, EnvSpec, Info, Step};
use crate::registry::{EnvEntry, Registry};
use crate::signal::Signal;
use crate::time_limit::TimeLimit;
use crate::reference::{ReferenceConfig, ReferenceProfile};
use crate::render::{RenderBody, RenderState, Shape};
use crate::snapshot;

/// Registers `BlimpAltitude-v0` and `BlimpAltitudeDisturbed-v0`.
pub fn register(r: &mut Registry) {
    let nominal = "indoor blimp, 1 g heavy: hold an altitude reference with a lagged vertical thruster";
    let disturbed = "BlimpAltitude-v0 with vertical gusts and 1 g of ballast taken on at 30 s";
    r.add(EnvEntry::new("BlimpAltitude-v0", "blimp", nominal, BlimpAltitudeConfig::default(), build));
    r.add(EnvEntry::new("BlimpAltitudeDisturbed-v0", "blimp", disturbed, BlimpAltitudeConfig::disturbed(), build));
    let mixed = "BlimpAltitude-v0 or BlimpAltitudeDisturbed-v0 per episode, the task's one-hot in the observation (train for robustness)";
    r.add(EnvEntry::task_family("BlimpAltitudeMixed-v0", "blimp", mixed, &["BlimpAltitude-v0", "BlimpAltitudeDisturbed-v0"]));
}

fn build(id: &str, config: BlimpAltitudeConfig) -> Result<Box<dyn Env>, EnvError> {
    let max_steps = config.max_episode_steps;
    Ok(Box::new(TimeLimit::new(BlimpAltitudeEnv::new(id, config)?, max_steps)))
}
use crate::space::{BoxSpace, Space};
use crate::tracking::TrackingMetrics;

/// Gusts and a ballast change (`BlimpAltitudeDisturbed-v0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisturbanceConfig {
    /// Mean number of gusts per second (a Poisson process); 0: none.
    pub gust_rate: f64,
    /// Range of a gust's vertical force magnitude (N); its sign is drawn fair.
    pub gust_force: [f64; 2],
    /// Range of a gust's duration (s).
    pub gust_duration: [f64; 2],
    /// When the ballast changes (s from reset); `ballast_change` 0: never.
    pub ballast_time: f64,
    /// Change of net lift at `ballast_time` (N): negative takes ballast on.
    pub ballast_change: f64,
}

impl DisturbanceConfig {
    /// No disturbances: `BlimpAltitude-v0`.
    pub fn none() -> Self {
        Self { gust_rate: 0.0, gust_force: [0.005, 0.015], gust_duration: [1.0, 3.0], ballast_time: 30.0, ballast_change: 0.0 }
    }

    /// `BlimpAltitudeDisturbed-v0`'s: a gust every 10 s on average of 0.005–0.015 N for 1–3 s,
    /// and 1 g of ballast taken on at 30 s.
    pub fn disturbed() -> Self {
        Self { gust_rate: 0.1, ballast_change: -0.01, ..Self::none() }
    }

    fn validate(&self) -> Result<(), String> {
        if !(self.gust_rate.is_finite() && self.gust_rate >= 0.0) {
            return Err(format!("`disturbances.gust_rate` = {}: expected gusts per second ≥ 0", self.gust_rate));
        }
        for (key, r) in [("gust_force", self.gust_force), ("gust_duration", self.gust_duration)] {
            if !(r[0].is_finite() && r[1].is_finite() && 0.0 <= r[0] && r[0] <= r[1]) {
                return Err(format!("`disturbances.{key}` = {r:?}: expected [min, max] with 0 ≤ min ≤ max"));
            }
        }
        if !(self.ballast_time.is_finite() && self.ballast_time >= 0.0 && self.ballast_change.is_finite()) {
            return Err(format!("`disturbances.ballast_time` = {}, `ballast_change` = {}: expected a time ≥ 0 s and a finite force (N)", self.ballast_time, self.ballast_change));
        }
        Ok(())
    }
}

impl Default for DisturbanceConfig {
    fn default() -> Self {
        Self::none()
    }
}

/// Configuration of the blimp altitude tasks (every key optional; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlimpAltitudeConfig {
    /// Control period (s).
    pub control_dt: f64,
    /// Physics steps per control period.
    pub substeps: usize,
    /// Steps per episode before truncation.
    pub max_episode_steps: usize,
    /// The flight envelope (m): leaving it ends the episode.
    pub floor: f64,
    pub ceiling: f64,
    pub reference: ReferenceConfig,
    pub sensor: AltimeterParams,
    pub disturbances: DisturbanceConfig,
    /// The blimp's physical parameters (`physics_dt` is set from `control_dt / substeps`).
    pub blimp: BlimpParams,
    /// Settling band, a fraction of the jump, and its least width (m); the steady-state window
    /// (s) ([`crate::tracking`]).
    pub settle_band: f64,
    pub settle_floor: f64,
    pub steady_window: f64,
}

impl Default for BlimpAltitudeConfig {
    fn default() -> Self {
        Self {
            control_dt: 0.05,
            substeps: 2,
            max_episode_steps: 1200,
            floor: 0.0,
            ceiling: 5.0,
            reference: ReferenceConfig::default(),
            sensor: AltimeterParams::default(),
            disturbances: DisturbanceConfig::none(),
            blimp: BlimpParams::default(),
            settle_band: 0.05,
            settle_floor: 0.03,
            steady_window: 2.0,
        }
    }
}

impl BlimpAltitudeConfig {
    /// `BlimpAltitudeDisturbed-v0`'s defaults.
    pub fn disturbed() -> Self {
        Self { disturbances: DisturbanceConfig::disturbed(), ..Self::default() }
    }

    fn validate(&self) -> Result<(BlimpParams, Altimeter), String> {
        if !(self.control_dt.is_finite() && self.control_dt > 0.0) {
            return Err(format!("`control_dt` = {}: expected a number of seconds > 0", self.control_dt));
        }
        if self.substeps == 0 {
            return Err("`substeps` = 0: expected an integer ≥ 1".into());
        }
        if self.max_episode_steps == 0 {
            return Err("`max_episode_steps` = 0: expected an integer ≥ 1".into());
        }
        if !(self.floor.is_finite() && self.ceiling.is_finite() && self.floor < self.ceiling) {
            return Err(format!("flight envelope `floor` = {}, `ceiling` = {}: expected finite altitudes (m) with floor < ceiling", self.floor, self.ceiling));
        }
        self.reference.validate()?;
        if self.reference.low <= self.floor || self.reference.high >= self.ceiling {
            return Err(format!(
                "reference [{}, {}] m leaves the flight envelope ({}, {}) m: expected `reference.low` > `floor` and `reference.high` < `ceiling`",
                self.reference.low, self.reference.high, self.floor, self.ceiling
            ));
        }
        self.disturbances.validate()?;
        if !(self.settle_band.is_finite() && self.settle_band > 0.0 && self.steady_window.is_finite() && self.steady_window > 0.0 && self.settle_floor.is_finite() && self.settle_floor >= 0.0) {
            return Err(format!(
                "`settle_band` = {}, `settle_floor` = {}, `steady_window` = {}: expected numbers > 0 (the floor ≥ 0)",
                self.settle_band, self.settle_floor, self.steady_window
            ));
        }
        let params = BlimpParams { physics_dt: self.control_dt / self.substeps as f64, ..self.blimp.clone() };
        params.validate().map_err(|e| format!("blimp: {e}"))?;
        let ballasted = BlimpParams { net_lift: params.net_lift + self.disturbances.ballast_change, ..params.clone() };
        ballasted.validate().map_err(|e| format!("blimp after the ballast change: {e}"))?;
        let altimeter = Altimeter::new(self.sensor.clone(), self.control_dt).map_err(|e| format!("sensor: {e}"))?;
        Ok((params, altimeter))
    }
}

/// Everything that changes within an episode (snapshotted as a whole).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Episode {
    /// Control ticks since reset.
    k: usize,
    reference: ReferenceProfile,
    /// Vertical disturbance force (N) over each control period.
    gusts: Vec<f64>,
    /// The last two readings the controller saw (m).
    reading: f64,
    previous_reading: f64,
    dropout: bool,
    metrics: TrackingMetrics,
    done: bool,
}

/// The altitude-hold task (without the time limit, which the registry adds).
pub struct BlimpAltitudeEnv {
    spec: EnvSpec,
    config: BlimpAltitudeConfig,
    /// Net lift at reset (N); the ballast change moves away from it.
    net_lift: f64,
    body: Blimp,
    altimeter: Altimeter,
    rng: Xoshiro256PlusPlus,
    episode: Episode,
    action: Vec<f32>,
}

/// What `physical_state` reports: position (the altitude within the flight envelope), velocity,
/// thrust (within its saturation), the forces acting, the reference and the altimeter's reading.
fn signals(config: &BlimpAltitudeConfig, params: &BlimpParams) -> Vec<Signal> {
    vec![
        Signal::new("x", "m"),
        Signal::new("y", "m"),
        Signal::new("altitude", "m").with_limits(config.floor, config.ceiling),
        Signal::new("vx", "m/s"),
        Signal::new("vy", "m/s"),
        Signal::new("climb_rate", "m/s"),
        Signal::new("thrust", "N").with_limits(-params.max_thrust_down, params.max_thrust_up),
        Signal::new("net_lift", "N"),
        Signal::new("disturbance_force", "N"),
        Signal::new("reference", "m").with_limits(config.floor, config.ceiling).reference_for("altitude"),
        Signal::new("measured_altitude", "m"),
    ]
}

impl BlimpAltitudeEnv {
    /// Builds the task; `id` is the registered id it goes by.
    pub fn new(id: &str, config: BlimpAltitudeConfig) -> Result<Self, EnvError> {
        let cfg_err = |message: String| EnvError::Config { env: id.to_string(), message };
        let (params, altimeter) = config.validate().map_err(cfg_err)?;
        let net_lift = params.net_lift;
        let signals = signals(&config, &params);
        let body = Blimp::new(params).map_err(|e| cfg_err(e.to_string()))?;
        let spec = EnvSpec {
            id: id.to_string(),
            observation_space: Space::Box(BoxSpace::uniform(4, f32::NEG_INFINITY, f32::INFINITY)),
            action_space: Space::Box(BoxSpace::uniform(1, -1.0, 1.0)),
            dt: config.control_dt,
            max_episode_steps: Some(config.max_episode_steps),
            attrs: vec![("floor", config.floor), ("ceiling", config.ceiling)],
            observation_names: ["measured_altitude", "reference_altitude", "measured_climb_rate", "reference_rate"].map(String::from).to_vec(),
            signals,
            episode_metrics: crate::metric::tracking("m"),
            goal: None,
        };
        let episode = Episode { metrics: TrackingMetrics::new(config.control_dt, config.settle_band, config.settle_floor, config.steady_window), done: true, ..Default::default() };
        Ok(Self { spec, net_lift, body, altimeter, rng: Xoshiro256PlusPlus::seed_from_u64(0), episode, action: Vec::with_capacity(1), config })
    }

    pub fn body(&self) -> &Blimp {
        &self.body
    }

    pub fn config(&self) -> &BlimpAltitudeConfig {
        &self.config
    }

    /// The current episode's reference, `r_k` for every tick.
    pub fn reference(&self) -> &[f64] {
        &self.episode.reference.values
    }

    fn observe(&self, obs: &mut [f32]) {
        let e = &self.episode;
        let k = e.k.min(e.reference.values.len() - 1);
        obs[0] = e.reading as f32;
        obs[1] = e.reference.values[k] as f32;
        obs[2] = ((e.reading - e.previous_reading) / self.config.control_dt) as f32;
        obs[3] = e.reference.slopes[k] as f32;
    }

    /// Reads the altimeter; a lost reading repeats the last one.
    fn read_sensor(&mut self) {
        let e = &mut self.episode;
        e.previous_reading = e.reading;
        match self.altimeter.read(self.body.altitude()) {
            Some(r) => {
                e.reading = r;
                e.dropout = false;
            }
            None => e.dropout = true,
        }
    }


    /// Draws the gusts over `n` control periods into `gusts` (N per period).
    fn draw_gusts(&mut self) {
        let d = &self.config.disturbances;
        let (n, dt) = (self.config.max_episode_steps, self.config.control_dt);
        let gusts = &mut self.episode.gusts;
        gusts.clear();
        gusts.resize(n, 0.0);
        if d.gust_rate <= 0.0 {
            return;
        }
        // Poisson arrivals: exponential gaps of mean 1/rate; each gust adds over its duration.
        let mut t = 0.0;
        loop {
            t += -(1.0 - self.rng.random::<f64>()).ln() / d.gust_rate;
            let start = (t / dt).round() as usize;
            if start >= n {
                break;
            }
            let magnitude = self.rng.random_range(d.gust_force[0]..=d.gust_force[1]);
            let force = if self.rng.random::<bool>() { magnitude } else { -magnitude };
            let len = ((self.rng.random_range(d.gust_duration[0]..=d.gust_duration[1]) / dt).round() as usize).max(1);
            for g in &mut gusts[start..(start + len).min(n)] {
                *g += force;
            }
        }
    }
}

impl Env for BlimpAltitudeEnv {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut Info) -> Result<(), EnvError> {
        check_observation(&self.spec, obs)?;
        if let Some(seed) = seed {
            self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        }
        let (n, dt) = (self.config.max_episode_steps, self.config.control_dt);
        self.episode.reference.generate(&self.config.reference, n, dt, &mut self.rng);
        self.draw_gusts();
        self.altimeter.reseed(self.rng.random());
        let z0 = self.episode.reference.values[0];
        self.body.set_state(&BlimpState { position: [0.0, 0.0, z0 as f32], rotation: [0.0, 0.0, 0.0, 1.0], ..Default::default() });
        self.body.set_net_lift(self.net_lift).map_err(|e| EnvError::Config { env: self.spec.id.clone(), message: e.to_string() })?;
        self.set_gust(0)?;
        self.altimeter.reset(z0);
        let e = &mut self.episode;
        e.k = 0;
        e.reading = z0;
        e.previous_reading = z0;
        e.dropout = false;
        e.done = false;
        e.metrics.reset(z0);
        self.read_sensor();
        self.episode.previous_reading = self.episode.reading;
        self.observe(obs);
        info.clear();
        self.fill_info(info);
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut Info) -> Result<Step, EnvError> {
        check_observation(&self.spec, obs)?;
        if self.episode.done {
            return Err(EnvError::NeedsReset { env: self.spec.id.clone() });
        }
        let mut scratch = std::mem::take(&mut self.action);
        let u = check_action(&self.spec, action, &mut scratch)?[0];
        self.action = scratch;
        let k = self.episode.k;
        if self.config.disturbances.ballast_change != 0.0 && k == (self.config.disturbances.ballast_time / self.config.control_dt).round() as usize {
            let ballasted = self.net_lift + self.config.disturbances.ballast_change;
            self.body.set_net_lift(ballasted).map_err(|e| EnvError::Config { env: self.spec.id.clone(), message: e.to_string() })?;
        }
        self.set_gust(k)?;
        self.body.step(u as f64, self.config.substeps);
        self.episode.k = k + 1;
        self.read_sensor();
        let (z, r) = (self.body.altitude(), self.episode.reference.values[k + 1]);
        let Episode { metrics, reference, .. } = &mut self.episode;
        metrics.record(z, r, &reference.holds);
        self.observe(obs);
        info.clear();
        self.fill_info(info);
        let mut reward = -(r - z).abs();
        let crashed = !(self.config.floor..=self.config.ceiling).contains(&z) || !z.is_finite();
        if crashed {
            let left = self.config.max_episode_steps.saturating_sub(k + 1);
            reward -= left as f64 * (self.config.ceiling - self.config.floor);
            info.set("crashed", 1.0);
            self.episode.done = true;
        }
        if self.episode.k >= self.config.max_episode_steps {
            self.episode.done = true;
        }
        Ok(Step { reward, terminated: crashed, truncated: false })
    }

    fn render_state(&self) -> RenderState {
        let s = self.body.state();
        let p = self.body.params();
        let envelope = RenderBody::solid("envelope", Shape::Ellipsoid { radii: p.envelope_semi_axes.map(|a| a as f32) }, s.position, s.rotation);
        let gondola = RenderBody::solid("gondola", Shape::Cuboid { half_extents: p.gondola_half_extents.map(|a| a as f32) }, self.body.gondola_centre(), s.rotation);
        // The reference altitude as a thin translucent-looking plate beside the blimp: what the
        // controller is tracking, visible in the viewer.
        let e = &self.episode;
        let target = e.reference.values.get(e.k).copied().unwrap_or(f64::NAN) as f32;
        let mut bodies = vec![envelope, gondola];
        if target.is_finite() {
            bodies.push(RenderBody::solid("reference", Shape::Cuboid { half_extents: [0.15, 0.15, 0.005] }, [s.position[0], s.position[1] + 0.8, target], [0.0, 0.0, 0.0, 1.0]));
        }
        RenderState { time: self.body.time(), bodies, floor: Some(self.config.floor as f32), camera_distance: None }
    }

    fn physical_state(&self, out: &mut Vec<(String, f64)>) {
        out.clear();
        let s = self.body.state();
        for (name, v) in ["x", "y", "altitude"].iter().zip(s.position) {
            out.push((name.to_string(), v as f64));
        }
        for (name, v) in ["vx", "vy", "climb_rate"].iter().zip(s.velocity) {
            out.push((name.to_string(), v as f64));
        }
        out.push(("thrust".into(), s.thrust));
        out.push(("net_lift".into(), self.body.params().net_lift));
        out.push(("disturbance_force".into(), self.body.disturbance_force()[2]));
        let e = &self.episode;
        out.push(("reference".into(), e.reference.values.get(e.k).copied().unwrap_or(f64::NAN)));
        out.push(("measured_altitude".into(), e.reading));
    }

    fn snapshot(&self) -> Result<Vec<u8>, EnvError> {
        Ok(snapshot::encode(&BlimpSnapshot {
            config: self.config.clone(),
            rng: self.rng.clone(),
            body: self.body.snapshot(),
            altimeter: self.altimeter.clone(),
            episode: self.episode.clone(),
        }))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let s: BlimpSnapshot = snapshot::decode(&self.spec.id, bytes)?;
        if s.config != self.config {
            return Err(EnvError::Snapshot { env: self.spec.id.clone(), message: format!("taken with config {:?}, not {:?}", s.config, self.config) });
        }
        self.body.restore(&s.body).map_err(|e| EnvError::Snapshot { env: self.spec.id.clone(), message: e.message })?;
        self.rng = s.rng;
        self.altimeter = s.altimeter;
        self.episode = s.episode;
        Ok(())
    }
}

impl BlimpAltitudeEnv {
    fn set_gust(&mut self, k: usize) -> Result<(), EnvError> {
        let force = self.episode.gusts.get(k).copied().unwrap_or(0.0);
        self.body.set_disturbance_force([0.0, 0.0, force]).map_err(|e| EnvError::Config { env: self.spec.id.clone(), message: e.to_string() })
    }

    fn fill_info(&self, info: &mut Info) {
        let e = &self.episode;
        info.set("altitude", self.body.altitude());
        info.set("reference", e.reference.values[e.k.min(e.reference.values.len() - 1)]);
        info.set("measured_altitude", e.reading);
        info.set("thrust", self.body.thrust());
        info.set("sensor_dropout", if e.dropout { 1.0 } else { 0.0 });
        info.set("disturbance_force", self.body.disturbance_force()[2]);
        info.set("net_lift", self.body.params().net_lift);
        let s = e.metrics.summary();
        info.set("rmse", s.rmse);
        for (key, value) in [("overshoot", s.overshoot), ("rise_time", s.rise_time), ("settling_time", s.settling_time), ("steady_state_error", s.steady_state_error)] {
            if let Some(v) = value {
                info.set(key, v);
            }
        }
    }
}

/// [`BlimpAltitudeEnv`]'s snapshot.
#[derive(Serialize, Deserialize)]
struct BlimpSnapshot {
    config: BlimpAltitudeConfig,
    rng: Xoshiro256PlusPlus,
    #[serde(with = "snapshot::bytes")]
    body: Vec<u8>,
    altimeter: Altimeter,
    episode: Episode,
}
