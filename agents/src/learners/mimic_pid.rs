//! Evolving a spiking controller to mimic a PID (Burgers, Stroobants & de Croon, 2023), end to end:
//!
//! 1. **Record** the teacher controlling the env closed loop over `flights + held_out_flights`
//!    episodes with varied references. Each step keeps the SNN's inputs (error `e`, negative
//!    measured rate `d`) and the teacher's terms: P + D and I. The teacher is
//!    * on the blimp, the PID (`teacher`); references `recording_reference` (`auto`: `mixed`,
//!      i.e. steps, random steps, ramps and sines); terms `K_p e + K_d D` (clamped to the
//!      action range) and `I`;
//!    * on a motor speed task, the drive's `cascaded-pi` with its default options (the
//!      student's own cascade), whose speed loop the SNN replaces
//!      ([`controllers::spiking_cascade`]); the env's own reference (GEM's Wiener process);
//!      inputs and terms in units of the torque limit: `e = (ω* − ω) K_p/T_max`, `d = 0`,
//!      P term `clamp(e, −1, 1)`, I term `I/T_max`.
//! 2. **Fit the PD-like network** to the teacher's P + D term, then **the integral-like network**
//!    to its I term, each with separable CMA-ES (`sep_cmaes`) minimising the mean squared error
//!    over the `flights` training recordings, the population scored in parallel; each stage ends
//!    with the best mean it saw on the training recordings. The held-out recordings' error is
//!    logged every generation (`metrics.csv`) and never used for selection.
//! 3. **Fly** the evolved SNN closed loop on the env's own evaluation seeds.
//!
//! The budget (`--steps`) counts SNN control steps simulated on recordings (each candidate's
//! pass over the training flights); `pd_share` of it goes to the first stage. Every
//! hyperparameter is in [`MimicPidConfig`] and printed in the run's `config.toml`.
//! Writes `metrics.csv`, `summary.json`, `policy.safetensors`, `mimic_error.png/.svg`
//! (training and held-out error per stage) and `flight.png/.svg` (reference, PID and SNN altitude
//! over one held-out flight, with the SNN's spike raster beneath). A stopped run cannot resume:
//! the fit takes minutes; start it again.

use std::time::Instant;

use controllers::{observation_entry, CascadedPiConfig, Policy, PidController, PidControllerConfig, SnnController, SpeedCascade};
use envs::{Env, Info};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::optim::SepCmaes;
use crate::run::checkpoint::{save_policy, PolicyHeader};
use crate::run::evaluate;
use crate::run::metrics::MetricsWriter;
use crate::run::plot::{flight_with_raster, learning_curve, FlightTrace, Series};
use crate::run::{resolve_threads, Progress, Summary, TrainContext};
use crate::{seeds, AgentError};

/// Hyperparameters of `--agent mimic-pid`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MimicPidConfig {
    /// The PID teacher's gains and observation entries (the blimp; a motor's teacher is its
    /// default `cascaded-pi`, the cascade the SNN is deployed in).
    pub teacher: PidControllerConfig,
    /// Recorded flights used for fitting, and held out for reporting.
    pub flights: usize,
    pub held_out_flights: usize,
    /// The env's `reference.kind` for the recordings: `"auto"` (the default) is `mixed` on the
    /// blimp and the env's own reference on a motor task; "" keeps the env's own; any other kind
    /// is the blimp's, refused on a motor (set its reference in the env config).
    pub recording_reference: String,
    /// Population size (0: 4 + ⌊3 ln n⌋) and initial step size (relative to each parameter's scale).
    pub population_size: usize,
    pub sigma0: f64,
    /// Fraction of the budget spent fitting the PD-like network (the rest fits the integral-like one).
    pub pd_share: f64,
    /// Start each stage from the least-squares decoder for the initial encoding.
    pub least_squares_readout: bool,
    /// Closed-loop evaluation episodes at the end.
    pub eval_episodes: usize,
    /// Threads scoring the population (0: all cores).
    pub threads: usize,
}

impl Default for MimicPidConfig {
    fn default() -> Self {
        Self {
            teacher: PidControllerConfig::default(),
            flights: 8,
            held_out_flights: 4,
            recording_reference: "auto".into(),
            population_size: 0,
            sigma0: 0.05,
            pd_share: 0.7,
            least_squares_readout: true,
            eval_episodes: 5,
            threads: 0,
        }
    }
}

impl MimicPidConfig {
    pub fn validate(&self) -> Result<(), AgentError> {
        let bad = |m: String| Err(AgentError::invalid(format!("agent `mimic-pid`: {m}")));
        if self.flights == 0 || self.held_out_flights == 0 || self.eval_episodes == 0 {
            return bad("`flights`, `held_out_flights` and `eval_episodes` must be ≥ 1".into());
        }
        if self.population_size == 1 {
            return bad("`population_size` = 1: expected 0 (default) or ≥ 2".into());
        }
        if !(self.sigma0.is_finite() && self.sigma0 > 0.0) {
            return bad(format!("`sigma0` = {}: expected a number > 0", self.sigma0));
        }
        if !(self.pd_share > 0.0 && self.pd_share < 1.0) {
            return bad(format!("`pd_share` = {}: expected a fraction in (0, 1)", self.pd_share));
        }
        Ok(())
    }
}

/// One recorded flight: the SNN's inputs and the teacher's terms at every step, and the traces to plot.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// The env seed the flight was flown on.
    seed: u64,
    error: Vec<f32>,
    rate: Vec<f32>,
    target_pd: Vec<f32>,
    target_i: Vec<f32>,
    /// The reference and the controlled quantity, in SI units (altitude, m; a drive's speed, rad/s).
    reference: Vec<f64>,
    measured: Vec<f64>,
}

pub const COLUMNS: &[&str] = &["generation", "stage", "env_steps", "wall_time_s", "train_mse", "held_out_mse", "sigma", "eval_return"];

/// The controller an SNN learns from, and how the SNN sees the task.
#[derive(Debug, Clone)]
pub enum Teacher {
    /// The blimp's PID; the SNN reads the measurement, reference and rate entries `[y, r, ẏ]`.
    Pid { pid: PidController, entries: [usize; 3] },
    /// A drive's cascaded PI; the SNN is its speed loop.
    Cascade(SpeedCascade),
}

impl Teacher {
    /// The teacher for `spec`: the cascade on motor tasks, else the PID, with the SNN's rate
    /// input read from entry `rate`.
    pub fn new(spec: &envs::EnvSpec, cfg: &MimicPidConfig, rate: &str) -> Result<Self, AgentError> {
        if SpeedCascade::is_motor(spec) {
            return Ok(Teacher::Cascade(SpeedCascade::new(spec, &CascadedPiConfig::default())?));
        }
        let pid = PidController::new("pid", spec, &cfg.teacher)?;
        let find = |key: &str| observation_entry("mimic-pid", spec, key);
        Ok(Teacher::Pid { pid, entries: [find(&cfg.teacher.measurement)?, find(&cfg.teacher.reference)?, find(rate)?] })
    }

    /// The teacher's name in titles and legends.
    fn label(&self) -> &'static str {
        match self {
            Teacher::Pid { .. } => "PID",
            Teacher::Cascade(_) => "cascaded PI",
        }
    }

    fn reset(&mut self) {
        match self {
            Teacher::Pid { pid, .. } => pid.reset(None),
            Teacher::Cascade(c) => c.policy().reset(None),
        }
    }

    /// Acts on `obs`; returns the SNN's inputs `(e, d)` and the teacher's terms `(P + D, I)`.
    fn act(&mut self, obs: &[f32], action: &mut [f32]) -> ((f32, f32), (f32, f32)) {
        match self {
            Teacher::Pid { pid, entries: [yi, ri, di] } => {
                let (e, d) = (obs[*ri] - obs[*yi], -obs[*di]);
                pid.act(obs, action);
                let p = pid.pid();
                let c = p.config();
                ((e, d), ((c.kp * e as f64 + c.kd * p.derivative()).clamp(-1.0, 1.0) as f32, p.integral() as f32))
            }
            Teacher::Cascade(c) => {
                let e = c.speed_loop().network_input(obs);
                c.policy().act(obs, action);
                ((e, 0.0), c.speed_loop().teacher_terms(obs))
            }
        }
    }
}

/// What a flight plot shows for `spec`: `(reference, controlled quantity)` in SI units, and the
/// quantity's axis label: the altitude (m) from the blimp's info, a drive's speed (rad/s) from
/// the observation.
fn plotted(spec: &envs::EnvSpec) -> (impl Fn(&[f32], &Info) -> (f64, f64), &'static str) {
    let speed = spec.observation_index("omega").zip(spec.observation_index("omega_ref")).zip(spec.attr("limit_omega"));
    let read = move |obs: &[f32], info: &Info| match speed {
        Some(((w, r), limit)) => (obs[r] as f64 * limit, obs[w] as f64 * limit),
        None => (info.get("reference").unwrap_or(f64::NAN), info.get("altitude").unwrap_or(f64::NAN)),
    };
    (read, if speed.is_some() { "speed (rad/s)" } else { "altitude (m)" })
}

/// Records `count` teacher runs on `env` from seeds `seeds::mix(seed, [7, k])`, k from `first`.
pub fn record(env: &mut dyn Env, teacher: &mut Teacher, seed: u64, first: usize, count: usize) -> Result<Vec<Recording>, AgentError> {
    let spec = env.spec().clone();
    let (obs_len, act_len) = (spec.obs_dim(), spec.act_dim());
    let (mut obs, mut info, mut action) = (vec![0.0; obs_len], Info::default(), vec![0.0; act_len]);
    let (read, _) = plotted(&spec);
    let mut out = Vec::with_capacity(count);
    for k in first..first + count {
        let flight_seed = seeds::mix(seed, &[7, k as u64]);
        env.reset(Some(flight_seed), &mut obs, &mut info)?;
        teacher.reset();
        let mut rec = Recording { seed: flight_seed, ..Recording::default() };
        loop {
            let (reference, measured) = read(&obs, &info);
            let ((e, d), (pd, i)) = teacher.act(&obs, &mut action);
            rec.error.push(e);
            rec.rate.push(d);
            rec.target_pd.push(pd);
            rec.target_i.push(i);
            rec.reference.push(reference);
            rec.measured.push(measured);
            if env.step(&action, &mut obs, &mut info)?.done() {
                break;
            }
        }
        out.push(rec);
    }
    Ok(out)
}

/// Which network a fit stage evolves, against which of the teacher's terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    Pd,
    Integral,
}

/// Mean squared error of the stage's network against the teacher's term over `recordings`.
pub fn mimic_mse(snn: &mut SnnController, params: &[f32], recordings: &[Recording], stage: Stage) -> Result<f64, AgentError> {
    snn.set_parameters(params)?;
    let (mut sum, mut count) = (0.0, 0usize);
    for rec in recordings {
        snn.reset(None);
        for t in 0..rec.error.len() {
            let (u_pd, u_i) = snn.step(rec.error[t], rec.rate[t]);
            let err = match stage {
                Stage::Pd => u_pd - rec.target_pd[t],
                Stage::Integral => u_i - rec.target_i[t],
            };
            sum += (err as f64) * (err as f64);
        }
        count += rec.error.len();
    }
    Ok(sum / count.max(1) as f64)
}

/// Each candidate parameter vector's [`mimic_mse`], in parallel on `pool` (one network clone per
/// rayon task), in candidate order.
pub fn score_population(pool: &rayon::ThreadPool, template: &SnnController, candidates: &[Vec<f32>], recordings: &[Recording], stage: Stage) -> Result<Vec<f64>, AgentError> {
    let losses: Vec<Result<f64, AgentError>> =
        pool.install(|| candidates.par_iter().map_init(|| template.clone(), |snn, p| mimic_mse(snn, p, recordings, stage)).collect());
    losses.into_iter().collect()
}

/// The least-squares decoder weights of the stage's network for its current encoding: the traces
/// over the training recordings are the regressors, the teacher's term the target (ridge
/// `1e-6 · trace(XᵀX)/n` keeps silent neurons at zero weight). Evolution starts from there.
fn fit_readout(snn: &mut SnnController, params: &[f32], recordings: &[Recording], stage: Stage) -> Result<Vec<f32>, AgentError> {
    snn.set_parameters(params)?;
    let n = match stage {
        Stage::Pd => snn.config().pd_neurons,
        Stage::Integral => snn.config().i_neurons,
    };
    let mut xtx = nalgebra::DMatrix::<f64>::zeros(n, n);
    let mut xty = nalgebra::DVector::<f64>::zeros(n);
    let mut x = nalgebra::DVector::<f64>::zeros(n);
    for rec in recordings {
        snn.reset(None);
        for t in 0..rec.error.len() {
            snn.step(rec.error[t], rec.rate[t]);
            let (pd, integral) = snn.traces();
            let (features, target) = match stage {
                Stage::Pd => (pd, rec.target_pd[t]),
                Stage::Integral => (integral, rec.target_i[t]),
            };
            for (xi, &f) in x.iter_mut().zip(features) {
                *xi = f as f64;
            }
            xtx.ger(1.0, &x, &x, 1.0);
            xty.axpy(target as f64, &x, 1.0);
        }
    }
    let ridge = 1e-6 * xtx.trace() / n as f64 + 1e-12;
    for i in 0..n {
        xtx[(i, i)] += ridge;
    }
    let w = xtx.cholesky().map(|c| c.solve(&xty)).ok_or_else(|| AgentError::invalid("agent `mimic-pid`: the decoder's least-squares system is singular"))?;
    Ok(w.iter().map(|&v| v as f32).collect())
}

/// Where the stage's decoder weights sit in the parameter vector.
fn readout_range(np: usize, ni: usize, stage: Stage) -> std::ops::Range<usize> {
    match stage {
        Stage::Pd => 5 * np..6 * np,
        Stage::Integral => 6 * np + 4 * ni..6 * np + 5 * ni,
    }
}

/// Indices of the parameters each stage evolves (see [`controllers::snn`]'s layout).
fn stage_indices(np: usize, ni: usize, stage: Stage) -> Vec<usize> {
    match stage {
        Stage::Pd => (0..6 * np).chain([6 * np + 5 * ni]).collect(),
        Stage::Integral => (6 * np..6 * np + 5 * ni).chain([6 * np + 5 * ni + 1]).collect(),
    }
}

pub fn train(ctx: &TrainContext, cfg: &MimicPidConfig, resume: bool, mut on_progress: impl FnMut(&Progress)) -> Result<Summary, AgentError> {
    cfg.validate()?;
    if resume {
        return Err(AgentError::invalid("agent `mimic-pid` does not resume (a fit takes minutes): start a new run"));
    }
    let started = Instant::now();
    let spec = ctx.make_env()?.spec().clone();
    let policy = ctx.make_policy(&spec)?;
    let snn_config = controllers::snn_config(&ctx.run.policy, ctx.policy_config.as_ref())?;
    let motor = SpeedCascade::is_motor(&spec);
    let template = if motor { SnnController::detached(&ctx.run.policy, spec.dt, snn_config.clone())? } else { SnnController::new(&ctx.run.policy, &spec, snn_config.clone())? };
    let mut params: Vec<f32> = policy.parameters().map(<[f32]>::to_vec).unwrap_or_default();
    let (np, ni) = (snn_config.pd_neurons, snn_config.i_neurons);

    // 1. Recordings, on the env with varied references.
    let mut env_table = ctx.env_config.clone().unwrap_or_default();
    let recording_reference = match (cfg.recording_reference.as_str(), motor) {
        ("auto" | "", true) => String::new(),
        (kind, true) => {
            return Err(AgentError::invalid(format!(
                "agent `mimic-pid`: `recording_reference` = \"{kind}\" is the blimp's; a motor task records on its own reference (set `[env.reference]`)"
            )))
        }
        ("auto", false) => "mixed".to_string(),
        (kind, false) => kind.to_string(),
    };
    if !recording_reference.is_empty() {
        let reference = env_table.entry("reference").or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(t) = reference {
            t.insert("kind".into(), toml::Value::String(recording_reference));
        }
    }
    let mut rec_env = envs::make_with(&ctx.run.env, Some(&env_table))?;
    let mut teacher = Teacher::new(&spec, cfg, &snn_config.measurement_rate)?;
    let train_recs = record(rec_env.as_mut(), &mut teacher, ctx.run.seed, 0, cfg.flights)?;
    let held_out = record(rec_env.as_mut(), &mut teacher, ctx.run.seed, cfg.flights, cfg.held_out_flights)?;
    let steps_per_pass: u64 = train_recs.iter().map(|r| r.error.len() as u64).sum();

    let pool = rayon::ThreadPoolBuilder::new().num_threads(resolve_threads(cfg.threads)).build().map_err(|e| AgentError::invalid(format!("thread pool: {e}")))?;
    let mut metrics = MetricsWriter::create(&ctx.dir.join("metrics.csv"), COLUMNS)?;
    let header = PolicyHeader { env: ctx.run.env.clone(), policy: ctx.run.policy.clone(), n_params: params.len() };
    let mut env_steps = 0u64;
    let mut generation = 0u64;
    let mut curves: Vec<(Stage, Vec<(f64, f64)>, Vec<(f64, f64)>)> = Vec::new();

    // 2. The two stages.
    let stages: Vec<(Stage, u64)> = if ni == 0 {
        vec![(Stage::Pd, ctx.run.steps)]
    } else {
        let pd_budget = (ctx.run.steps as f64 * cfg.pd_share) as u64;
        vec![(Stage::Pd, pd_budget), (Stage::Integral, ctx.run.steps - pd_budget)]
    };
    for (stage, budget) in stages {
        if cfg.least_squares_readout {
            let w = fit_readout(&mut template.clone(), &params, &train_recs, stage)?;
            params[readout_range(np, ni, stage)].copy_from_slice(&w);
        }
        let idx = stage_indices(np, ni, stage);
        let x0: Vec<f64> = idx.iter().map(|&i| params[i] as f64).collect();
        // Each parameter's initial spread is relative to its size; a trace decay's to its distance
        // from 1 (0.9999 and 0.95 are decoders of 125 s and 0.25 s).
        let decays = [6 * np + 5 * ni, 6 * np + 5 * ni + 1];
        let scales: Vec<f64> = idx.iter().zip(&x0).map(|(i, x)| if decays.contains(i) { (1.0 - x).max(1e-4) } else { x.abs().max(0.05) }).collect();
        let mut es = SepCmaes::new(x0, cfg.sigma0, &scales, cfg.population_size);
        // The stage keeps the best mean it has seen (by training error), starting from where it starts.
        let mut best = (mimic_mse(&mut template.clone(), &params, &train_recs, stage)?, params.clone());
        let mut train_curve = Vec::new();
        let mut held_curve = Vec::new();
        let stage_start = env_steps;
        let mut stage_gen = 0u64;
        while env_steps - stage_start < budget && !ctx.stop_requested() {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds::mix(ctx.run.seed, &[8, stage as u64, stage_gen]));
            let zs = es.ask(&mut rng);
            let candidates: Vec<Vec<f32>> = zs
                .iter()
                .map(|z| {
                    let mut full = params.clone();
                    for (&i, v) in idx.iter().zip(es.candidate(z)) {
                        full[i] = v as f32;
                    }
                    full
                })
                .collect();
            let losses = score_population(&pool, &template, &candidates, &train_recs, stage)?;
            es.tell(&zs, &losses);
            env_steps += steps_per_pass * es.lambda() as u64;
            for (&i, &v) in idx.iter().zip(&es.mean) {
                params[i] = v as f32;
            }
            let mut snn = template.clone();
            let train_mse = mimic_mse(&mut snn, &params, &train_recs, stage)?;
            let held_mse = mimic_mse(&mut snn, &params, &held_out, stage)?;
            if train_mse < best.0 {
                best = (train_mse, params.clone());
            }
            generation += 1;
            stage_gen += 1;
            train_curve.push((env_steps as f64, train_mse));
            held_curve.push((env_steps as f64, held_mse));
            let wall = started.elapsed().as_secs_f64();
            metrics.write(&[generation as f64, stage as u64 as f64, env_steps as f64, wall, train_mse, held_mse, es.sigma, f64::NAN])?;
            on_progress(&Progress { iteration: generation, env_steps, recent_return: -held_mse, eval_return: None });
        }
        params = best.1;
        save_policy(&ctx.dir.join("policy.safetensors"), &header, &params, &[])?;
        curves.push((stage, train_curve, held_curve));
    }

    // 3. Closed loop.
    let (eval_mean, eval_std) = evaluate::parallel(&pool, ctx, &params, &[], cfg.eval_episodes)?;
    let wall = started.elapsed().as_secs_f64();
    metrics.write(&[generation as f64, f64::NAN, env_steps as f64, wall, f64::NAN, f64::NAN, f64::NAN, eval_mean])?;
    save_policy(&ctx.dir.join("policy.safetensors"), &header, &params, &[])?;

    let mut series = Vec::new();
    let colors = [
        [plotters::style::RGBColor(31, 119, 180), plotters::style::RGBColor(140, 190, 230)],
        [plotters::style::RGBColor(214, 39, 40), plotters::style::RGBColor(240, 150, 150)],
    ];
    let labels = [["PD network, training flights", "PD network, held-out flights"], ["integral network, training flights", "integral network, held-out flights"]];
    for (stage, train_curve, held_curve) in &curves {
        let s = *stage as usize;
        series.push(Series { label: labels[s][0], points: train_curve.clone(), color: colors[s][0] });
        series.push(Series { label: labels[s][1], points: held_curve.clone(), color: colors[s][1] });
    }
    let teacher_name = teacher.label();
    let title = format!("{} · {} mimicking the {teacher_name} · seed {}", ctx.run.env, ctx.run.policy, ctx.run.seed);
    learning_curve(&ctx.dir.join("mimic_error"), &title, &format!("mean squared error to the {teacher_name}'s term"), &series)?;
    plot_flight(ctx, &params, &held_out[0], &env_table, teacher_name)?;

    Ok(Summary {
        env: ctx.run.env.clone(),
        policy: ctx.run.policy.clone(),
        agent: "mimic-pid".into(),
        seed: ctx.run.seed,
        n_params: params.len(),
        iterations: generation,
        env_steps,
        wall_time_s: wall,
        env_steps_per_s: env_steps as f64 / wall.max(1e-9),
        final_eval_return: eval_mean,
        final_eval_return_std: eval_std,
        best_eval_return: eval_mean,
        completed: !ctx.stop_requested(),
    })
}

/// Flies the SNN over the first held-out flight's seed (same reference as the teacher's
/// recording) and draws both traces with the spike raster.
fn plot_flight(ctx: &TrainContext, params: &[f32], teacher_run: &Recording, env_table: &toml::Table, teacher_name: &str) -> Result<(), AgentError> {
    let mut env = envs::make_with(&ctx.run.env, Some(env_table))?;
    let mut snn = ctx.make_policy(env.spec())?;
    snn.set_parameters(params)?;
    let spec = env.spec().clone();
    let (read, quantity) = plotted(&spec);
    let (mut obs, mut info, mut action) = (vec![0.0; spec.obs_dim()], Info::default(), vec![0.0; spec.act_dim()]);
    env.reset(Some(teacher_run.seed), &mut obs, &mut info)?;
    snn.reset(None);
    let mut trace = FlightTrace {
        dt: spec.dt,
        reference: teacher_run.reference.clone(),
        teacher: teacher_run.measured.clone(),
        quantity: quantity.into(),
        teacher_label: format!("{teacher_name} (teacher)"),
        ..Default::default()
    };
    loop {
        snn.act(&obs, &mut action);
        trace.student.push(read(&obs, &info).1);
        if let Some(a) = snn.activity() {
            trace.spikes.push(a.values.iter().enumerate().filter(|(_, &s)| s > 0.0).map(|(j, _)| j as u32).collect());
            trace.n_neurons = a.values.len();
        }
        if env.step(&action, &mut obs, &mut info)?.done() {
            break;
        }
    }
    flight_with_raster(&ctx.dir.join("flight"), &format!("{} · {teacher_name} teacher vs evolved {}", ctx.run.env, ctx.run.policy), &trace)
}
