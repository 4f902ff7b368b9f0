//! Learning curves over seeds (`nerve curves RUN_DIR…`): one evaluation metric of several run
//! directories against env steps, the runs grouped by what they trained (their `config.toml`
//! with the seed and the step budget left out), each group as the mean over its seeds with the
//! band from the worst to the best seed, and each seed as a thin line.
//!
//! A metric is read from `eval_metrics.csv` (an env's episode metrics, e.g. `is_success`, the
//! success rate of each evaluation) or else from `metrics.csv` (`eval_return`); rows without a
//! value are skipped. A group's mean is taken at the evaluation steps every one of its runs has
//! reached, so a run that is still going does not pull the mean down where the others are absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::run::directory::{read_run_file, RunFile};
use crate::run::metrics::read_metrics;
use crate::run::EVAL_METRICS_FILE;
use crate::AgentError;

/// One run's curve: (env step, metric) per evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedCurve {
    pub dir: PathBuf,
    pub seed: u64,
    pub points: Vec<(f64, f64)>,
}

/// One point of a group's curve: env step, mean over seeds, the worst and the best seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupPoint {
    pub env_steps: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

/// Runs that trained the same thing with different seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveGroup {
    /// `env · policy · agent`, then the config keys that tell this group from the others.
    pub label: String,
    pub runs: Vec<SeedCurve>,
    /// At every evaluation step all of the group's runs have.
    pub points: Vec<GroupPoint>,
}

/// The curves of `dirs` for `metric` (`None`: `is_success` where every run logs it, else
/// `eval_return`), grouped, in the order each group's first run was given. Returns the metric.
pub fn load_groups(dirs: &[PathBuf], metric: Option<&str>) -> Result<(String, Vec<CurveGroup>), AgentError> {
    if dirs.is_empty() {
        return Err(AgentError::invalid("no run directories given"));
    }
    let files: Vec<RunFile> = dirs.iter().map(|d| read_run_file(d)).collect::<Result<_, _>>()?;
    let metric = match metric {
        Some(m) => m.to_string(),
        None if dirs.iter().all(|d| column_in(&d.join(EVAL_METRICS_FILE), "is_success")) => "is_success".into(),
        None => "eval_return".into(),
    };
    let mut keys: Vec<String> = Vec::new();
    let mut members: Vec<Vec<SeedCurve>> = Vec::new();
    let mut firsts: Vec<usize> = Vec::new();
    for (i, (dir, file)) in dirs.iter().zip(&files).enumerate() {
        let curve = SeedCurve { dir: dir.clone(), seed: file.run.seed, points: read_curve(dir, &metric)? };
        let key = group_key(file)?;
        match keys.iter().position(|k| *k == key) {
            Some(g) => {
                if let Some(twin) = members[g].iter().find(|c| c.seed == curve.seed) {
                    return Err(AgentError::invalid(format!(
                        "{} and {}: the same run (seed {}) given twice; a group's band is over different seeds",
                        twin.dir.display(),
                        dir.display(),
                        curve.seed
                    )));
                }
                members[g].push(curve);
            }
            None => {
                keys.push(key);
                members.push(vec![curve]);
                firsts.push(i);
            }
        }
    }
    let labels = labels(&firsts.iter().map(|&i| (&dirs[i], &files[i])).collect::<Vec<_>>());
    let groups = members.into_iter().zip(labels).map(|(runs, label)| CurveGroup { points: aggregate(&runs), label, runs }).collect();
    Ok((metric, groups))
}

/// The first evaluation step at which `points` reach `threshold` (at or above it; at or below
/// if `lower_is_better`).
pub fn steps_to_reach(points: impl IntoIterator<Item = (f64, f64)>, threshold: f64, lower_is_better: bool) -> Option<f64> {
    points.into_iter().find(|&(_, y)| if lower_is_better { y <= threshold } else { y >= threshold }).map(|(x, _)| x)
}

fn column_in(path: &Path, column: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.lines().next().is_some_and(|h| h.split(',').any(|c| c == column)))
}

/// `metric` of run `dir` per evaluation, from `eval_metrics.csv` or else `metrics.csv`.
fn read_curve(dir: &Path, metric: &str) -> Result<Vec<(f64, f64)>, AgentError> {
    let mut seen = Vec::new();
    for file in [EVAL_METRICS_FILE, "metrics.csv"] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let (header, rows) = read_metrics(&path)?;
        let (Some(x), Some(y)) = (header.iter().position(|h| h == "env_steps"), header.iter().position(|h| h == metric)) else {
            seen.push(format!("{file}: {}", header.join(", ")));
            continue;
        };
        return Ok(rows.iter().filter(|r| r.len() > x.max(y) && r[x].is_finite() && r[y].is_finite()).map(|r| (r[x], r[y])).collect());
    }
    Err(AgentError::invalid(format!(
        "{}: no column `{metric}` to plot ({}); pass --metric with one of these",
        dir.display(),
        if seen.is_empty() { "it has neither eval_metrics.csv nor metrics.csv".to_string() } else { seen.join("; ") }
    )))
}

/// What makes two runs the same experiment: the config without the seed and the budget.
fn group_key(file: &RunFile) -> Result<String, AgentError> {
    let mut f = file.clone();
    f.run.seed = 0;
    f.run.steps = 0;
    toml::to_string(&f).map_err(|e| AgentError::invalid(format!("config.toml: {e}")))
}

/// `table.key = value` for every key of the config's env, policy and agent tables.
fn flat_config(file: &RunFile) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, table) in [("env", &file.env), ("policy", &file.policy), ("agent", &file.agent)] {
        for (k, v) in table {
            out.insert(format!("{name}.{k}"), v.to_string());
        }
    }
    out
}

/// Each group's label, from its first run: `env · policy · agent` (with several groups, only
/// the parts that differ), then the config keys whose values differ between groups; a group
/// that differs only outside those (e.g. in its preset) is named by its first directory.
fn labels(firsts: &[(&PathBuf, &RunFile)]) -> Vec<String> {
    let tables: Vec<BTreeMap<String, String>> = firsts.iter().map(|(_, f)| flat_config(f)).collect();
    let all_keys: std::collections::BTreeSet<&String> = tables.iter().flat_map(|t| t.keys()).collect();
    let differing: Vec<&String> = all_keys.into_iter().filter(|k| tables.iter().any(|t| t.get(*k) != tables[0].get(*k))).collect();
    let names = |f: &RunFile| [f.run.env.clone(), f.run.policy.clone(), f.run.agent.clone()];
    let first_names = names(firsts[0].1);
    // With one group its full name; with several only the parts that tell them apart.
    let shown: Vec<bool> = (0..3).map(|k| firsts.len() == 1 || firsts.iter().any(|(_, f)| names(f)[k] != first_names[k])).collect();
    firsts
        .iter()
        .zip(&tables)
        .map(|((dir, file), table)| {
            let mut label: Vec<String> = names(file).into_iter().zip(&shown).filter(|(_, &show)| show).map(|(name, _)| name).collect();
            label.extend(differing.iter().map(|k| format!("{}={}", k.split_once('.').map_or(k.as_str(), |(_, k)| k), table.get(*k).map_or("-", |v| v.as_str()))));
            if label.is_empty() {
                label.push(dir.display().to_string());
            }
            let text = label.join(" · ");
            if text.chars().count() > 90 { format!("{}…", text.chars().take(89).collect::<String>()) } else { text }
        })
        .collect()
}

/// The mean, worst and best seed at each evaluation step every run has.
fn aggregate(runs: &[SeedCurve]) -> Vec<GroupPoint> {
    let Some(first) = runs.first() else { return Vec::new() };
    first
        .points
        .iter()
        .filter_map(|&(x, _)| {
            let ys: Vec<f64> = runs.iter().filter_map(|r| r.points.iter().find(|p| p.0 == x).map(|p| p.1)).collect();
            (ys.len() == runs.len()).then(|| GroupPoint {
                env_steps: x,
                mean: ys.iter().sum::<f64>() / ys.len() as f64,
                min: ys.iter().copied().fold(f64::INFINITY, f64::min),
                max: ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(seed: u64, points: &[(f64, f64)]) -> SeedCurve {
        SeedCurve { dir: PathBuf::from(format!("s{seed}")), seed, points: points.to_vec() }
    }

    #[test]
    fn a_group_is_averaged_where_every_seed_has_reached() {
        let runs = [curve(0, &[(10.0, 0.0), (20.0, 0.5), (30.0, 0.9)]), curve(1, &[(10.0, 0.2), (20.0, 0.3)])];
        let points = aggregate(&runs);
        assert_eq!(points.len(), 2, "step 30 only one seed has reached");
        assert_eq!(points[1], GroupPoint { env_steps: 20.0, mean: 0.4, min: 0.3, max: 0.5 });
        assert!((points[0].mean - 0.1).abs() < 1e-12);
    }

    #[test]
    fn steps_to_reach_is_the_first_evaluation_at_the_threshold() {
        let pts = [(10.0, 0.2), (20.0, 0.9), (30.0, 0.8), (40.0, 0.95)];
        assert_eq!(steps_to_reach(pts, 0.9, false), Some(20.0));
        assert_eq!(steps_to_reach(pts, 0.99, false), None);
        assert_eq!(steps_to_reach(pts, 0.2, true), Some(10.0));
    }
}
