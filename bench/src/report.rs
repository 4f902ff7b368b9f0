//! The report of a finished grid: every number computed from the cells' records with
//! [`crate::stats`], seeded, so that the same cells give the same `report.json` bit for bit
//! (the `provenance` object aside).
//!
//! | section | what |
//! |---|---|
//! | `per_variant` | per metric, env variant and entry: runs, mean and IQM with 95 % stratified-bootstrap intervals |
//! | `aggregate` | on returns normalised by each env's `reference` (0 = random, 1 = best known): IQM, median, mean and optimality gap over the variants an entry runs on |
//! | `profiles` | performance profiles on the normalised returns: the fraction of runs above each τ, with intervals |
//! | `improvement` | probability of improvement of each named pair on the primary metric, with its interval |
//! | `curves` | learners: IQM of the primary metric (and the return) over training seeds at each `eval_at` point |
//! | `steps_to_reach` | learners: per threshold, each seed's first point that reaches it (`null`: not reached, counted) |
//! | `work_per_step` | spikes, synaptic operations and MACs per control step, for policies that count them |
//! | `robustness` | for swept envs: each entry's IQM of each metric against the swept values |
//!
//! A run is one training seed of a learner (a transfer's runs are its source's seeds), scored by
//! the mean over the held-out evaluation episodes; a fixed controller has no training seed and is
//! one run, scored the same way. The intervals are over training seeds, as rliable's are; the
//! evaluation episodes are the same for every entry.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use crate::cell::{CellRecord, PointRecord};
use crate::grid::{CellKind, Grid};
use crate::scenario::{EntryKind, Scenario};
use crate::stats::{self, Bootstrap, Interval, ScoreMatrix};

/// Points of a performance profile.
const PROFILE_POINTS: usize = 101;
/// Resamples for each learning-curve point's interval (rliable's curves use a few thousand).
const CURVE_REPS: usize = 2000;

/// Where a report came from; everything here may differ between two runs of the same cells.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub nerve_version: String,
    pub git_commit: String,
    /// The build the cells are keyed by.
    pub build: String,
    pub scenario_file: String,
    /// blake3 of the scenario file's bytes.
    pub scenario_hash: String,
    pub machine: Machine,
    /// UTC, ISO 8601.
    pub date: String,
    /// Seconds the cells took, summed over cells (and interrupted attempts).
    pub cells_wall_time_s: f64,
    /// Seconds this invocation took, end to end.
    pub wall_time_s: f64,
    pub jobs: usize,
    pub scale: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub os: String,
}

impl Machine {
    /// This machine: the CPU model from `/proc/cpuinfo`, the cores rust sees, the OS name.
    pub fn this() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo.lines().find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_string())).unwrap_or_else(|| "unknown".into());
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let os = os_release
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()))
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        Self { cpu, cores: std::thread::available_parallelism().map_or(1, |c| c.get()), os }
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// One run's scores at one evaluation point: the metric's value per run (`None`: the run's
/// episodes do not report it).
#[derive(Debug, Clone)]
struct Runs {
    /// The run's seed: the evaluation seed of a controller's episode, the training seed of a learner.
    seeds: Vec<u64>,
    values: Vec<Option<f64>>,
}

/// One episode's value of `metric`.
fn episode_value(ep: &crate::cell::EpisodeRecord, metric: &str) -> Option<f64> {
    if metric == "return" {
        Some(ep.episode_return)
    } else {
        ep.metrics.get(metric).copied()
    }
}

/// The mean over a point's episodes of those that report `metric`.
fn point_value(p: &PointRecord, metric: &str) -> Option<f64> {
    let v: Vec<f64> = p.episodes.iter().filter_map(|e| episode_value(e, metric)).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Everything the report is computed from, indexed by (entry, variant).
struct Data<'a> {
    scenario: &'a Scenario,
    grid: &'a Grid,
    records: &'a [CellRecord],
}

impl Data<'_> {
    fn cells_of(&self, entry: usize, variant: usize) -> Vec<usize> {
        (0..self.grid.cells.len()).filter(|&c| self.grid.cells[c].entry == entry && self.grid.cells[c].variant == variant).collect()
    }

    /// Runs of `entry` on `variant` at evaluation point `point` (`None`: the last).
    fn runs(&self, entry: usize, variant: usize, metric: &str, point: Option<usize>) -> Runs {
        let mut seeds = Vec::new();
        let mut values = Vec::new();
        for c in self.cells_of(entry, variant) {
            let rec = &self.records[c];
            let p = match point {
                None => rec.points.last(),
                Some(i) => rec.points.get(i),
            };
            let Some(p) = p else { continue };
            // Every run is scored by the mean over the same evaluation episodes, so that runs of
            // any entry compare like with like; a fixed controller has no training seed, so it
            // is one run (seed 0 in the exports).
            let seed = match self.grid.cells[c].kind {
                CellKind::Controller => 0,
                CellKind::Learner { seed, .. } | CellKind::Transfer { seed, .. } => seed,
            };
            seeds.push(seed);
            values.push(point_value(p, metric));
        }
        Runs { seeds, values }
    }

    fn normalised(&self, variant: usize, x: f64) -> Option<f64> {
        self.scenario.variants[variant].reference.map(|(random, best)| (x - random) / (best - random))
    }
}

fn interval_json(i: &Interval) -> Value {
    json!({"point": i.point, "lo": i.lo, "hi": i.hi})
}

fn column(values: &[f64]) -> ScoreMatrix {
    ScoreMatrix::from_rows(&values.iter().map(|&v| vec![v]).collect::<Vec<_>>()).expect("finite, non-empty scores")
}

/// The report's results (no provenance): a JSON value, deterministic given the records.
pub fn results(scenario: &Scenario, grid: &Grid, records: &[CellRecord]) -> Value {
    let d = Data { scenario, grid, records };
    let spec = &scenario.report;
    let boot = Bootstrap { reps: spec.bootstrap_reps, confidence: 0.95, seed: 0 };
    let curve_boot = Bootstrap { reps: spec.bootstrap_reps.min(CURVE_REPS), ..boot };
    let entries = &scenario.entries;
    let variants = &scenario.variants;

    // Per variant.
    let mut per_variant = serde_json::Map::new();
    for metric in &spec.metrics {
        let mut by_variant = serde_json::Map::new();
        for (v, variant) in variants.iter().enumerate() {
            let mut by_entry = serde_json::Map::new();
            for (e, entry) in entries.iter().enumerate() {
                if !entry.variants.contains(&v) {
                    continue;
                }
                let runs = d.runs(e, v, metric, None);
                let present: Vec<f64> = runs.values.iter().flatten().copied().collect();
                let mut obj = json!({"runs": runs.values.len(), "reporting": present.len()});
                if !present.is_empty() {
                    let iv = stats::intervals(&column(&present), |m| vec![stats::mean(m), stats::iqm(m)], &boot);
                    obj["mean"] = interval_json(&iv[0]);
                    obj["iqm"] = interval_json(&iv[1]);
                    obj["std"] = json!(sample_std(&present));
                }
                by_entry.insert(entry.name.clone(), obj);
            }
            by_variant.insert(variant.label.clone(), Value::Object(by_entry));
        }
        per_variant.insert(metric.clone(), Value::Object(by_variant));
    }

    // Aggregates and profiles on normalised returns.
    let referenced: Vec<usize> = (0..variants.len()).filter(|&v| variants[v].reference.is_some()).collect();
    let mut aggregate = serde_json::Map::new();
    let mut profiles = serde_json::Map::new();
    let mut normalised_matrices: Vec<(usize, ScoreMatrix)> = Vec::new();
    for (e, entry) in entries.iter().enumerate() {
        let tasks: Vec<usize> = referenced.iter().copied().filter(|v| entry.variants.contains(v)).collect();
        if tasks.is_empty() {
            continue;
        }
        let columns: Vec<Vec<f64>> = tasks.iter().map(|&v| d.runs(e, v, "return", None).values.iter().map(|x| d.normalised(v, x.expect("returns are always reported")).expect("referenced")).collect()).collect();
        let n = columns[0].len();
        if n == 0 || columns.iter().any(|c| c.len() != n) {
            continue;
        }
        let rows: Vec<Vec<f64>> = (0..n).map(|r| columns.iter().map(|c| c[r]).collect()).collect();
        let m = ScoreMatrix::from_rows(&rows).expect("finite normalised returns");
        let iv = stats::intervals(&m, |s| vec![stats::iqm(s), stats::median(s), stats::mean(s), stats::optimality_gap(s, 1.0)], &boot);
        aggregate.insert(
            entry.name.clone(),
            json!({"tasks": tasks.iter().map(|&v| variants[v].label.clone()).collect::<Vec<_>>(), "runs": n,
                   "iqm": interval_json(&iv[0]), "median": interval_json(&iv[1]), "mean": interval_json(&iv[2]), "optimality_gap": interval_json(&iv[3])}),
        );
        normalised_matrices.push((e, m));
    }
    if !normalised_matrices.is_empty() {
        let (lo, hi) = normalised_matrices.iter().flat_map(|(_, m)| m.as_slice().iter().copied()).fold((0.0f64, 1.0f64), |(a, b), x| (a.min(x), b.max(x)));
        let taus: Vec<f64> = (0..PROFILE_POINTS).map(|k| lo + (hi - lo) * k as f64 / (PROFILE_POINTS - 1) as f64).collect();
        for (e, m) in &normalised_matrices {
            let iv = stats::intervals(m, |s| stats::performance_profile(s, &taus), &curve_boot);
            profiles.insert(entries[*e].name.clone(), json!({"tau": taus, "fraction": iv.iter().map(|i| i.point).collect::<Vec<_>>(),
                "lo": iv.iter().map(|i| i.lo).collect::<Vec<_>>(), "hi": iv.iter().map(|i| i.hi).collect::<Vec<_>>()}));
        }
    }

    // Probability of improvement on the primary metric (negated where lower is better).
    let sign = if scenario.lower_is_better(&spec.primary) { -1.0 } else { 1.0 };
    let mut improvement = Vec::new();
    for (x, y) in &spec.pairs {
        let (ex, ey) = (entries.iter().position(|e| &e.name == x).expect("checked"), entries.iter().position(|e| &e.name == y).expect("checked"));
        let tasks: Vec<usize> = entries[ex].variants.iter().copied().filter(|v| entries[ey].variants.contains(v)).collect();
        let matrix = |e: usize| -> Option<ScoreMatrix> {
            let cols: Vec<Vec<Option<f64>>> = tasks.iter().map(|&v| d.runs(e, v, &spec.primary, None).values).collect();
            let n = cols[0].len();
            let rows: Vec<Vec<f64>> = (0..n).filter_map(|r| cols.iter().map(|c| c.get(r).copied().flatten().map(|x| sign * x)).collect::<Option<Vec<f64>>>()).collect();
            ScoreMatrix::from_rows(&rows).ok()
        };
        let mut obj = json!({"x": x, "y": y, "metric": spec.primary, "tasks": tasks.iter().map(|&v| variants[v].label.clone()).collect::<Vec<_>>()});
        if let (Some(mx), Some(my)) = (matrix(ex), matrix(ey)) {
            let iv = stats::probability_of_improvement_interval(&mx, &my, &boot);
            obj["probability"] = interval_json(&iv);
            obj["runs"] = json!([mx.n_runs(), my.n_runs()]);
        }
        improvement.push(obj);
    }

    // Learning curves, steps to reach, work per step.
    let mut curve_metrics = vec![spec.primary.clone()];
    if spec.primary != "return" {
        curve_metrics.push("return".into());
    }
    let mut curves = serde_json::Map::new();
    let mut steps_to_reach = Vec::new();
    let mut work = serde_json::Map::new();
    for (e, entry) in entries.iter().enumerate() {
        let mut per_v = serde_json::Map::new();
        for &v in &entry.variants {
            let cells = d.cells_of(e, v);
            // Work per step, over the final point's episodes.
            let eps: Vec<&crate::cell::EpisodeRecord> = cells.iter().filter_map(|&c| records[c].points.last()).flat_map(|p| &p.episodes).collect();
            if !eps.is_empty() && eps.iter().all(|ep| ep.work.is_some()) {
                let steps = eps.iter().map(|ep| ep.length).sum::<u64>().max(1) as f64;
                let total = eps.iter().fold([0u64; 3], |acc, ep| {
                    let w = ep.work.expect("checked");
                    [acc[0] + w[0], acc[1] + w[1], acc[2] + w[2]]
                });
                work.entry(entry.name.clone()).or_insert_with(|| json!({})).as_object_mut().expect("an object").insert(
                    variants[v].label.clone(),
                    json!({"spikes": total[0] as f64 / steps, "synaptic_ops": total[1] as f64 / steps, "macs": total[2] as f64 / steps}),
                );
            }
            let EntryKind::Learner { .. } = entry.kind else { continue };
            let Some(CellKind::Learner { points, .. }) = cells.first().map(|&c| grid.cells[c].kind.clone()) else { continue };
            let mut by_metric = serde_json::Map::new();
            for metric in &curve_metrics {
                let mut iqm_pts = Vec::new();
                for i in 0..points.len() {
                    let present: Vec<f64> = d.runs(e, v, metric, Some(i)).values.into_iter().flatten().collect();
                    iqm_pts.push(if present.is_empty() { Value::Null } else { interval_json(&stats::interval(&column(&present), stats::iqm, &curve_boot)) });
                }
                // A learner evaluates at the first iteration boundary at or after a point: the
                // x value is the median over seeds of where it actually did (the lower middle).
                let actual: Vec<u64> = (0..points.len())
                    .map(|i| {
                        let mut s: Vec<u64> = cells.iter().filter_map(|&c| records[c].points.get(i).map(|p| p.env_steps)).collect();
                        s.sort_unstable();
                        s.get(s.len().saturating_sub(1) / 2).copied().unwrap_or(points[i])
                    })
                    .collect();
                by_metric.insert(metric.clone(), json!({"env_steps": actual, "nominal_env_steps": points, "iqm": iqm_pts}));
            }
            per_v.insert(variants[v].label.clone(), Value::Object(by_metric));
            for (metric, thresholds) in &spec.thresholds {
                let lower = scenario.lower_is_better(metric);
                for &t in thresholds {
                    let per_seed: Vec<Value> = cells
                        .iter()
                        .map(|&c| {
                            let CellKind::Learner { seed, .. } = grid.cells[c].kind else { unreachable!("learner cells") };
                            let reached = records[c].points.iter().find(|p| point_value(p, metric).is_some_and(|x| if lower { x <= t } else { x >= t }));
                            json!({"seed": seed, "env_steps": reached.map(|p| p.env_steps)})
                        })
                        .collect();
                    let mut steps: Vec<f64> = per_seed.iter().map(|s| s["env_steps"].as_u64().map_or(f64::INFINITY, |x| x as f64)).collect();
                    steps.sort_by(f64::total_cmp);
                    let reached = steps.iter().filter(|s| s.is_finite()).count();
                    // The median counts runs that never reached as infinitely slow.
                    let n = steps.len();
                    let median = match n {
                        0 => f64::INFINITY,
                        _ if n % 2 == 1 => steps[n / 2],
                        _ if steps[n / 2].is_finite() => (steps[n / 2 - 1] + steps[n / 2]) / 2.0,
                        _ => f64::INFINITY,
                    };
                    steps_to_reach.push(json!({"entry": entry.name, "variant": variants[v].label, "metric": metric, "threshold": t,
                        "reached": reached, "runs": steps.len(), "median_env_steps": median.is_finite().then_some(median), "per_seed": per_seed}));
                }
            }
        }
        if !per_v.is_empty() {
            curves.insert(entry.name.clone(), Value::Object(per_v));
        }
    }

    // Robustness against swept config keys.
    let mut robustness = Vec::new();
    let mut env_labels: Vec<&str> = Vec::new();
    for v in variants {
        if !v.sweep.is_empty() && !env_labels.contains(&v.env_label.as_str()) {
            env_labels.push(&v.env_label);
        }
    }
    for label in env_labels {
        let vs: Vec<usize> = (0..variants.len()).filter(|&v| variants[v].env_label == label).collect();
        let keys: Vec<String> = variants[vs[0]].sweep.iter().map(|(k, _)| k.clone()).collect();
        let points: Vec<Value> = vs.iter().map(|&v| json!({"variant": variants[v].label, "sweep": variants[v].sweep.iter().map(|(k, x)| (k.clone(), serde_json::to_value(x).expect("a TOML value"))).collect::<serde_json::Map<_, _>>()})).collect();
        let mut series = serde_json::Map::new();
        for metric in &spec.metrics {
            let mut by_entry = serde_json::Map::new();
            for entry in entries {
                if !vs.iter().any(|v| entry.variants.contains(v)) {
                    continue;
                }
                let pts: Vec<Value> = vs.iter().map(|&v| per_variant[metric][&variants[v].label].get(&entry.name).and_then(|o| o.get("iqm")).cloned().unwrap_or(Value::Null)).collect();
                by_entry.insert(entry.name.clone(), Value::Array(pts));
            }
            series.insert(metric.clone(), Value::Object(by_entry));
        }
        robustness.push(json!({"env": label, "keys": keys, "points": points, "iqm": series}));
    }

    let setup = json!({
        "scenario": scenario.name,
        "question": scenario.question,
        "train_seeds": scenario.train_seeds,
        "eval_seeds": scenario.eval_seeds,
        "scale": grid.scale,
        "bootstrap": {"reps": boot.reps, "curve_reps": curve_boot.reps, "confidence": boot.confidence, "seed": boot.seed},
        "metrics": spec.metrics.iter().map(|m| json!({"name": m, "lower_is_better": scenario.lower_is_better(m)})).collect::<Vec<_>>(),
        "primary": spec.primary,
        "variants": variants.iter().map(|v| json!({"label": v.label, "id": v.id, "reference": v.reference.map(|(r, b)| json!({"random": r, "best": b}))})).collect::<Vec<_>>(),
        "entries": entries.iter().map(|e| json!({"name": e.name, "kind": kind_label(&e.kind), "variants": e.variants.iter().map(|&v| variants[v].label.clone()).collect::<Vec<_>>(),
            "env_steps": match &e.kind { EntryKind::Learner { steps, .. } => Some(crate::grid::scaled_points(*steps, &[], grid.scale)[0]), _ => None }})).collect::<Vec<_>>(),
        "cells": grid.cells.len(),
    });
    let mut out = json!({
        "setup": setup,
        "per_variant": per_variant,
        "aggregate": aggregate,
        "profiles": profiles,
        "improvement": improvement,
        "curves": curves,
        "steps_to_reach": steps_to_reach,
        "work_per_step": work,
        "robustness": robustness,
    });
    out["answer"] = json!(answer(scenario, &out));
    out
}

fn kind_label(k: &EntryKind) -> String {
    match k {
        EntryKind::Controller { controller, .. } => format!("controller {controller}"),
        EntryKind::Learner { agent, policy, .. } => format!("{agent} training {policy}"),
        EntryKind::Transfer { source } => format!("zero-shot transfer of {source}"),
    }
}

fn sample_std(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    if x.len() < 2 {
        return 0.0;
    }
    let m = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// A number in a report: four significant figures, plain notation where it reads well.
pub fn fmt(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        return format!("{x:.3e}");
    }
    let digits = if a == 0.0 { 0 } else { (3 - a.log10().floor() as i32).clamp(0, 6) as usize };
    format!("{x:.digits$}")
}

fn fmt_interval(v: &Value) -> String {
    match (v["point"].as_f64(), v["lo"].as_f64(), v["hi"].as_f64()) {
        (Some(p), Some(l), Some(h)) => format!("{} [{}, {}]", fmt(p), fmt(l), fmt(h)),
        _ => "—".into(),
    }
}

/// The one-paragraph answer, drawn from the numbers: the ranking on the primary metric
/// (normalised aggregate if the envs have references, else per variant), and each pair's
/// probability of improvement with whether its interval excludes one half.
fn answer(scenario: &Scenario, r: &Value) -> String {
    let spec = &scenario.report;
    let lower = scenario.lower_is_better(&spec.primary);
    let mut parts = Vec::new();
    let rank = |items: &mut Vec<(String, f64, String)>, lower: bool| {
        items.sort_by(|a, b| if lower { a.1.total_cmp(&b.1) } else { b.1.total_cmp(&a.1) });
        items.iter().map(|(n, _, s)| format!("{n} {s}")).collect::<Vec<_>>().join(", ")
    };
    if let Some(agg) = r["aggregate"].as_object().filter(|a| !a.is_empty()) {
        // Entries are ranked only against entries on the same envs: an aggregate over other
        // tasks is another question.
        let mut groups: Vec<(Vec<String>, Vec<(String, f64, String)>)> = Vec::new();
        for (n, o) in agg {
            let tasks: Vec<String> = o["tasks"].as_array().into_iter().flatten().filter_map(|t| t.as_str().map(String::from)).collect();
            let item = (n.clone(), o["iqm"]["point"].as_f64().unwrap_or(f64::NAN), fmt_interval(&o["iqm"]));
            match groups.iter_mut().find(|g| g.0 == tasks) {
                Some(g) => g.1.push(item),
                None => groups.push((tasks, vec![item])),
            }
        }
        groups.sort_by(|a, b| b.0.len().cmp(&a.0.len()));
        for (i, (tasks, items)) in groups.iter_mut().enumerate() {
            let on = if tasks.len() == 1 { tasks[0].clone() } else { format!("the {} envs {}", tasks.len(), tasks.join(", ")) };
            let lead = if i == 0 { "On returns normalised by each env's reference scores (0 = random, 1 = best known), on" } else { "On" };
            parts.push(format!("{lead} {on}, the IQM ranks: {}.", rank(items, false)));
        }
    } else {
        for v in &scenario.variants {
            let Some(by_entry) = r["per_variant"][&spec.primary][&v.label].as_object() else { continue };
            let mut items: Vec<(String, f64, String)> =
                by_entry.iter().filter(|(_, o)| o.get("iqm").is_some()).map(|(n, o)| (n.clone(), o["iqm"]["point"].as_f64().unwrap_or(f64::NAN), fmt_interval(&o["iqm"]))).collect();
            if items.is_empty() {
                continue;
            }
            parts.push(format!("On {}, the IQM {} ({}) ranks: {}.", v.label, spec.primary, if lower { "lower is better" } else { "higher is better" }, rank(&mut items, lower)));
        }
    }
    for p in r["improvement"].as_array().into_iter().flatten() {
        let (x, y) = (p["x"].as_str().unwrap_or(""), p["y"].as_str().unwrap_or(""));
        let Some(prob) = p.get("probability") else { continue };
        let (lo, hi) = (prob["lo"].as_f64().unwrap_or(0.5), prob["hi"].as_f64().unwrap_or(0.5));
        let verdict = if lo > 0.5 {
            format!("{x} is better than {y} (the 95% interval excludes 0.5)")
        } else if hi < 0.5 {
            format!("{y} is better than {x} (the 95% interval excludes 0.5)")
        } else {
            "the interval includes 0.5: no significant difference at these seeds".into()
        };
        parts.push(format!("P({x} > {y}) on {} = {}: {verdict}.", spec.primary, fmt_interval(prob)));
    }
    parts.join(" ")
}

/// The report as Markdown.
pub fn markdown(scenario: &Scenario, r: &Value, provenance: &Provenance) -> String {
    let spec = &scenario.report;
    let mut md = String::new();
    let mut line = |s: String| {
        md.push_str(&s);
        md.push('\n');
    };
    line(format!("# Benchmark: {}", scenario.name));
    line(String::new());
    line(format!("**Question.** {}", scenario.question));
    line(String::new());
    line(format!("**Answer.** {}", r["answer"].as_str().unwrap_or("")));
    line(String::new());
    if !scenario.description.is_empty() {
        line(scenario.description.clone());
        line(String::new());
    }
    let n_train = scenario.train_seeds.len();
    line(format!(
        "Setup: {} cells; {} training seeds, {} held-out evaluation seeds (one episode each); budgets ×{}. \
         Intervals are 95% stratified-bootstrap percentile intervals ({} resamples; curves and profiles {}), as rliable computes them. \
         A run is one training seed of a learner, scored by the mean over the evaluation episodes; a fixed controller has no training seed and is one run scored the same way (its interval is a point).",
        r["setup"]["cells"],
        n_train,
        scenario.eval_seeds.len(),
        r["setup"]["scale"].as_f64().unwrap_or(1.0),
        r["setup"]["bootstrap"]["reps"],
        r["setup"]["bootstrap"]["curve_reps"]
    ));
    line(String::new());
    line("| entry | kind | envs | training budget (env steps) |".into());
    line("|---|---|---|---|".into());
    for e in r["setup"]["entries"].as_array().into_iter().flatten() {
        let envs: Vec<&str> = e["variants"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
        line(format!("| {} | {} | {} | {} |", e["name"].as_str().unwrap_or(""), e["kind"].as_str().unwrap_or(""), envs.join(", "), e["env_steps"].as_u64().map_or("—".into(), |s| s.to_string())));
    }
    line(String::new());

    for metric in &spec.metrics {
        let dir = if scenario.lower_is_better(metric) { "lower is better" } else { "higher is better" };
        line(format!("## {metric} ({dir})"));
        line(String::new());
        line("| env | entry | runs | mean [95% CI] | IQM [95% CI] | std |".into());
        line("|---|---|---|---|---|---|".into());
        for v in &scenario.variants {
            let Some(by_entry) = r["per_variant"][metric][&v.label].as_object() else { continue };
            for (name, o) in by_entry {
                let runs = if o["reporting"] == o["runs"] { format!("{}", o["runs"]) } else { format!("{} of {}", o["reporting"], o["runs"]) };
                line(format!("| {} | {} | {} | {} | {} | {} |", v.label, name, runs, fmt_interval(&o["mean"]), fmt_interval(&o["iqm"]), o["std"].as_f64().map_or("—".into(), fmt)));
            }
        }
        line(String::new());
    }

    if let Some(agg) = r["aggregate"].as_object().filter(|a| !a.is_empty()) {
        line("## Aggregate over envs (normalised return: 0 = random, 1 = best known)".into());
        line(String::new());
        line("| entry | envs | runs | IQM | median | mean | optimality gap |".into());
        line("|---|---|---|---|---|---|---|".into());
        for (name, o) in agg {
            line(format!("| {name} | {} | {} | {} | {} | {} | {} |", o["tasks"].as_array().map_or(0, Vec::len), o["runs"], fmt_interval(&o["iqm"]), fmt_interval(&o["median"]), fmt_interval(&o["mean"]), fmt_interval(&o["optimality_gap"])));
        }
        line(String::new());
    }
    if let Some(pairs) = r["improvement"].as_array().filter(|p| !p.is_empty()) {
        line(format!("## Probability of improvement ({})", spec.primary));
        line(String::new());
        line("| X | Y | envs | runs (X, Y) | P(X > Y) [95% CI] |".into());
        line("|---|---|---|---|---|".into());
        for p in pairs {
            line(format!("| {} | {} | {} | {} | {} |", p["x"].as_str().unwrap_or(""), p["y"].as_str().unwrap_or(""), p["tasks"].as_array().map_or(0, Vec::len), p["runs"], p.get("probability").map_or("—".into(), fmt_interval)));
        }
        line(String::new());
    }
    if let Some(curves) = r["curves"].as_object().filter(|c| !c.is_empty()) {
        line(format!("## Learning curves (IQM {} over training seeds)", spec.primary));
        line(String::new());
        line("| entry | env | env steps → IQM [95% CI] |".into());
        line("|---|---|---|".into());
        for (name, per_v) in curves {
            for (v, by_metric) in per_v.as_object().into_iter().flatten() {
                let c = &by_metric[&spec.primary];
                let pts: Vec<String> = c["env_steps"].as_array().into_iter().flatten().zip(c["iqm"].as_array().into_iter().flatten()).map(|(s, i)| format!("{s}: {}", fmt_interval(i))).collect();
                line(format!("| {name} | {v} | {} |", pts.join("; ")));
            }
        }
        line(String::new());
    }
    if let Some(reach) = r["steps_to_reach"].as_array().filter(|p| !p.is_empty()) {
        line("## Steps to reach (learners; runs that never reach count as infinitely slow)".into());
        line(String::new());
        line("| entry | env | threshold | reached | median env steps |".into());
        line("|---|---|---|---|---|".into());
        for s in reach {
            line(format!(
                "| {} | {} | {} {} {} | {} of {} | {} |",
                s["entry"].as_str().unwrap_or(""),
                s["variant"].as_str().unwrap_or(""),
                s["metric"].as_str().unwrap_or(""),
                if scenario.lower_is_better(s["metric"].as_str().unwrap_or("")) { "≤" } else { "≥" },
                fmt(s["threshold"].as_f64().unwrap_or(f64::NAN)),
                s["reached"],
                s["runs"],
                s["median_env_steps"].as_f64().map_or("not reached".into(), |m| fmt(m))
            ));
        }
        line(String::new());
    }
    if let Some(work) = r["work_per_step"].as_object().filter(|w| !w.is_empty()) {
        line("## Work per control step".into());
        line(String::new());
        line("| entry | env | spikes | synaptic ops | MACs |".into());
        line("|---|---|---|---|---|".into());
        for (name, per_v) in work {
            for (v, w) in per_v.as_object().into_iter().flatten() {
                line(format!("| {name} | {v} | {} | {} | {} |", fmt(w["spikes"].as_f64().unwrap_or(0.0)), fmt(w["synaptic_ops"].as_f64().unwrap_or(0.0)), fmt(w["macs"].as_f64().unwrap_or(0.0))));
            }
        }
        line(String::new());
    }
    let mut figures = Vec::new();
    if r["aggregate"].as_object().is_some_and(|a| !a.is_empty()) || !scenario.variants.is_empty() {
        figures.push(("aggregate", "interval estimates per entry"));
    }
    if r["profiles"].as_object().is_some_and(|p| !p.is_empty()) {
        figures.push(("profile", "performance profiles"));
    }
    if r["curves"].as_object().is_some_and(|c| !c.is_empty()) {
        figures.push(("curves", "learning curves"));
    }
    let robustness: Vec<String> = r["robustness"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(k, x)| {
            let env = x["env"].as_str().unwrap_or("env");
            (if k == 0 { format!("robustness-{env}") } else { format!("robustness-{env}-{k}") }).replace(['/', ' '], "_")
        })
        .collect();
    line("## Figures".into());
    line(String::new());
    for (stem, what) in &figures {
        line(format!("![{what}]({stem}.svg)"));
        line(String::new());
    }
    for stem in &robustness {
        line(format!("![robustness to the swept config]({stem}.svg)"));
        line(String::new());
    }
    line("## Files".into());
    line(String::new());
    line("`report.json` (every number here), `scores.csv` and `scores.json` (one row per run: feed them to rliable), `curves.csv` (each learner run at each evaluation point), `cells/` (each cell's record and run directory).".into());
    line(String::new());
    line("## Provenance".into());
    line(String::new());
    line(format!(
        "nerve {} (commit {}, build {}); scenario `{}` (blake3 {}); {} × {} on {}; {}; wall time {:.0} s for this invocation, {:.0} s summed over cells; --jobs {}, --scale {}.",
        provenance.nerve_version,
        provenance.git_commit,
        &provenance.build[..provenance.build.len().min(16)],
        provenance.scenario_file,
        &provenance.scenario_hash[..16.min(provenance.scenario_hash.len())],
        provenance.machine.cores,
        provenance.machine.cpu,
        provenance.machine.os,
        provenance.date,
        provenance.wall_time_s,
        provenance.cells_wall_time_s,
        provenance.jobs,
        provenance.scale
    ));
    md
}

/// `scores.csv` (one row per run at its final point, a column per metric) and `scores.json`
/// (`{metric: {variant: {entry: [score per run]}}}`, `null` where a run does not report the metric).
pub fn score_exports(scenario: &Scenario, grid: &Grid, records: &[CellRecord]) -> (String, Value, String) {
    let d = Data { scenario, grid, records };
    let metrics = &scenario.report.metrics;
    let mut csv = format!("entry,env,env_id,run_seed,env_steps,{}\n", metrics.join(","));
    let mut curves = format!("entry,env,run_seed,env_steps,{}\n", metrics.join(","));
    let mut json_out: BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<Option<f64>>>>> = BTreeMap::new();
    for (e, entry) in scenario.entries.iter().enumerate() {
        for &v in &entry.variants {
            let variant = &scenario.variants[v];
            let per_metric: Vec<Runs> = metrics.iter().map(|m| d.runs(e, v, m, None)).collect();
            let steps: Vec<u64> = d.cells_of(e, v).iter().flat_map(|&c| {
                std::iter::once(records[c].points.last().map_or(0, |p| p.env_steps))
            }).collect();
            for r in 0..per_metric[0].seeds.len() {
                let values: Vec<String> = per_metric.iter().map(|runs| runs.values[r].map_or(String::new(), |x| format!("{x}"))).collect();
                csv.push_str(&format!("{},{},{},{},{},{}\n", csv_field(&entry.name), csv_field(&variant.label), variant.id, per_metric[0].seeds[r], steps.get(r).copied().unwrap_or(0), values.join(",")));
            }
            for (m, runs) in metrics.iter().zip(&per_metric) {
                json_out.entry(m.clone()).or_default().entry(variant.label.clone()).or_default().insert(entry.name.clone(), runs.values.clone());
            }
            for c in d.cells_of(e, v) {
                let CellKind::Learner { seed, .. } = grid.cells[c].kind else { continue };
                for p in &records[c].points {
                    let values: Vec<String> = metrics.iter().map(|m| point_value(p, m).map_or(String::new(), |x| format!("{x}"))).collect();
                    curves.push_str(&format!("{},{},{},{},{}\n", csv_field(&entry.name), csv_field(&variant.label), seed, p.env_steps, values.join(",")));
                }
            }
        }
    }
    (csv, serde_json::to_value(json_out).expect("plain maps"), curves)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
