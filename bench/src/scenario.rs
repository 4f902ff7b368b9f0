//! Scenario files: one comparison each, read from TOML and checked whole before any cell runs.
//!
//! ```toml
//! question = "Does the evolved spiking network fly the blimp as well as the PID it mimics?"
//!
//! [seeds]
//! train = { first = 0, count = 10 }   # or a list: [0, 1, 2]
//! eval = { first = 1000, count = 20 } # held out: one evaluation episode per seed
//!
//! [[env]]
//! id = "BlimpAltitude-v0"
//! label = "nominal"                   # default: the id
//! config = { gust_strength = 0.0 }    # over the id's defaults
//! sweep = { net_lift = [-0.2, 0.0, 0.2] }  # one variant per value (several keys: every combination)
//! reference = { random = -400.0, best = 0.0 }  # return normalisation for aggregates
//!
//! [[entry]]                           # a fixed controller
//! name = "pid"
//! controller = "pid"
//! config = {}
//!
//! [[entry]]                           # a learner: one run per train seed and env variant
//! name = "ppo-mlp"
//! agent = "ppo"
//! policy = "mlp"
//! steps = 200_000
//! seeds = 5                           # the first 5 of `seeds.train` (default: all of them)
//! agent_config = {}
//! policy_config = {}
//! envs = ["nominal"]                  # default: every env variant
//!
//! [[entry]]                           # zero-shot transfer of another entry's trained policies
//! name = "ppo-mlp-disturbed"
//! transfer = "ppo-mlp"
//! envs = ["disturbed"]
//!
//! [report]
//! metrics = ["return", "rmse"]        # default: the return and every metric the envs report
//! primary = "return"                  # ranks entries; probability of improvement uses it
//! eval_at = [50_000, 100_000]         # learning-curve points (env steps); each budget is one too
//! thresholds = { return = [-50.0] }   # steps to reach (learners)
//! pairs = [["snn", "pid"]]            # probability of improvement, X over Y
//! bootstrap_reps = 50_000
//! ```
//!
//! Every check names the file and the key: malformed TOML and unknown keys (serde, with the
//! line), unknown env / controller / agent / policy, configs that do not build, empty or
//! overlapping seeds, zero budgets, sweeps over keys the env does not have, transfers the policy
//! kind cannot rebuild for, and metrics or thresholds the envs do not report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::BenchError;

/// A checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file's stem: the folder under `results/bench/`.
    pub name: String,
    pub path: PathBuf,
    /// The file's bytes, hashed into the report's provenance.
    pub text: String,
    pub question: String,
    pub description: String,
    pub train_seeds: Vec<u64>,
    pub eval_seeds: Vec<u64>,
    /// Every env variant (an env with one point of its sweep), in file order.
    pub variants: Vec<Variant>,
    pub entries: Vec<Entry>,
    pub report: ReportSpec,
}

/// One env with one point of its sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// `label` or `label[key=value,…]`.
    pub label: String,
    /// The `[[env]]` label it comes from.
    pub env_label: String,
    pub id: String,
    /// The config over the id's defaults: the env's `config` with the sweep point applied.
    pub config: toml::Table,
    /// The swept keys and their values at this point.
    pub sweep: Vec<(String, toml::Value)>,
    /// Return normalisation: `(random, best)`.
    pub reference: Option<(f64, f64)>,
    /// The episode metrics this env reports, with whether lower is better.
    pub metrics: Vec<(String, bool)>,
    pub max_episode_steps: u64,
}

/// What an entry is.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    Controller { controller: String, config: toml::Table },
    Learner { agent: String, policy: String, steps: u64, agent_config: toml::Table, policy_config: toml::Table },
    /// Zero-shot evaluation of the trained policies of learner entry `source`.
    Transfer { source: String },
}

/// One thing to compare, on the variants it names (indices into [`Scenario::variants`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
    pub variants: Vec<usize>,
    /// A learner's training seeds (the scenario's, or the first `seeds` of them); empty otherwise.
    pub train_seeds: Vec<u64>,
}

/// What the report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSpec {
    /// `return` first, then the env metrics asked for.
    pub metrics: Vec<String>,
    pub primary: String,
    pub eval_at: Vec<u64>,
    pub thresholds: Vec<(String, Vec<f64>)>,
    pub pairs: Vec<(String, String)>,
    pub bootstrap_reps: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    question: String,
    #[serde(default)]
    description: String,
    seeds: SeedsFile,
    #[serde(rename = "env")]
    envs: Vec<EnvFile>,
    #[serde(rename = "entry")]
    entries: Vec<EntryFile>,
    #[serde(default)]
    report: ReportFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedsFile {
    #[serde(default)]
    train: SeedList,
    eval: SeedList,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SeedList {
    List(Vec<u64>),
    Range { first: u64, count: u64 },
}

impl Default for SeedList {
    fn default() -> Self {
        SeedList::List(Vec::new())
    }
}

impl SeedList {
    fn seeds(&self) -> Vec<u64> {
        match self {
            SeedList::List(v) => v.clone(),
            SeedList::Range { first, count } => (0..*count).map(|k| first + k).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvFile {
    id: String,
    label: Option<String>,
    #[serde(default)]
    config: toml::Table,
    #[serde(default)]
    sweep: toml::Table,
    reference: Option<ReferenceFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceFile {
    random: f64,
    best: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    name: String,
    controller: Option<String>,
    config: Option<toml::Table>,
    agent: Option<String>,
    policy: Option<String>,
    steps: Option<i64>,
    agent_config: Option<toml::Table>,
    policy_config: Option<toml::Table>,
    transfer: Option<String>,
    envs: Option<Vec<String>>,
    seeds: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReportFile {
    metrics: Option<Vec<String>>,
    primary: Option<String>,
    #[serde(default)]
    eval_at: Vec<i64>,
    #[serde(default)]
    thresholds: BTreeMap<String, Vec<f64>>,
    #[serde(default)]
    pairs: Vec<(String, String)>,
    bootstrap_reps: Option<usize>,
}

impl Scenario {
    /// Reads and checks the scenario at `path`.
    pub fn load(path: &Path) -> Result<Self, BenchError> {
        let text = std::fs::read_to_string(path).map_err(|e| BenchError(format!("{}: cannot read: {e}", path.display())))?;
        Self::parse(path, &text)
    }

    /// Checks scenario `text` as if read from `path` (named in every error).
    pub fn parse(path: &Path, text: &str) -> Result<Self, BenchError> {
        let at = path.display().to_string();
        let err = |msg: String| BenchError(format!("{at}: {msg}"));
        let file: File = toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into());
        if file.question.trim().is_empty() {
            return Err(err("`question` is empty: state the question the scenario answers".into()));
        }

        // Seeds.
        for (key, list) in [("seeds.train", &file.seeds.train), ("seeds.eval", &file.seeds.eval)] {
            if let SeedList::Range { first, count } = list {
                if *count > 100_000 || first.checked_add(*count).is_none() {
                    return Err(err(format!("`{key}` = {{ first = {first}, count = {count} }}: expected at most 100000 seeds, all below 2^64")));
                }
            }
        }
        let (train_seeds, eval_seeds) = (file.seeds.train.seeds(), file.seeds.eval.seeds());
        for (key, seeds) in [("seeds.train", &train_seeds), ("seeds.eval", &eval_seeds)] {
            let mut sorted = seeds.clone();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                return Err(err(format!("`{key}` lists seed {} twice", w[0])));
            }
        }
        if eval_seeds.is_empty() {
            return Err(err("`seeds.eval` is empty: expected at least one held-out evaluation seed".into()));
        }
        if let Some(s) = train_seeds.iter().find(|s| eval_seeds.contains(s)) {
            return Err(err(format!("seed {s} is in both `seeds.train` and `seeds.eval`: evaluation seeds must be held out (disjoint)")));
        }

        // Envs and their variants.
        if file.envs.is_empty() {
            return Err(err("no [[env]]: expected at least one env to run on".into()));
        }
        let mut variants = Vec::new();
        let mut env_labels: Vec<String> = Vec::new();
        for (i, e) in file.envs.iter().enumerate() {
            let label = e.label.clone().unwrap_or_else(|| e.id.clone());
            let key = format!("env[{i}] (`{label}`)");
            if env_labels.contains(&label) {
                return Err(err(format!("{key}: the label `{label}` is used twice; give each [[env]] its own `label`")));
            }
            env_labels.push(label.clone());
            let entry = envs::entry(&e.id).map_err(|x| err(format!("{key}: `id`: {x}")))?;
            let mut known = entry.defaults.clone();
            envs::config::merge(&mut known, &e.config);
            let mut axes: Vec<(String, Vec<toml::Value>)> = Vec::new();
            for (k, v) in &e.sweep {
                if lookup(&known, k).is_none() {
                    let keys: Vec<&str> = entry.defaults.keys().map(String::as_str).collect();
                    return Err(err(format!("{key}: `sweep.{k}`: {} has no config key `{k}`; its keys: {}", e.id, keys.join(", "))));
                }
                match v {
                    toml::Value::Array(values) if !values.is_empty() => axes.push((k.clone(), values.clone())),
                    _ => return Err(err(format!("{key}: `sweep.{k}` must be a non-empty array of values"))),
                }
            }
            let reference = match &e.reference {
                Some(r) if !(r.random.is_finite() && r.best.is_finite() && r.best != r.random) => {
                    return Err(err(format!("{key}: `reference`: expected finite `random` and `best` returns that differ (got {} and {})", r.random, r.best)))
                }
                r => r.as_ref().map(|r| (r.random, r.best)),
            };
            for point in cartesian(&axes) {
                let mut config = e.config.clone();
                for (k, v) in &point {
                    set(&mut config, k, v.clone());
                }
                let vlabel = if point.is_empty() {
                    label.clone()
                } else {
                    format!("{label}[{}]", point.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))
                };
                if variants.iter().any(|v: &Variant| v.label == vlabel) {
                    return Err(err(format!("{key}: variant `{vlabel}` appears twice: a sweep lists a value twice")));
                }
                let env = entry.make(Some(&config)).map_err(|x| err(format!("{key}: variant `{vlabel}`: {x}")))?;
                let spec = env.spec();
                variants.push(Variant {
                    label: vlabel,
                    env_label: label.clone(),
                    id: e.id.clone(),
                    config,
                    sweep: point,
                    reference,
                    metrics: spec.episode_metrics.iter().map(|m| (m.name.to_string(), m.lower_is_better)).collect(),
                    max_episode_steps: spec.max_episode_steps.unwrap_or(1000) as u64,
                });
            }
        }

        // Entries.
        if file.entries.is_empty() {
            return Err(err("no [[entry]]: expected at least one controller or learner to compare".into()));
        }
        let mut entries: Vec<Entry> = Vec::new();
        for (i, f) in file.entries.iter().enumerate() {
            let key = format!("entry[{i}] (`{}`)", f.name);
            if f.name.trim().is_empty() || f.name.contains(['/', '\\']) {
                return Err(err(format!("entry[{i}]: `name` = {:?}: expected a non-empty name without slashes", f.name)));
            }
            if entries.iter().any(|e| e.name == f.name) {
                return Err(err(format!("{key}: the name `{}` is used twice", f.name)));
            }
            let chosen: Vec<&str> = [("controller", f.controller.is_some()), ("agent", f.agent.is_some()), ("transfer", f.transfer.is_some())]
                .iter()
                .filter(|c| c.1)
                .map(|c| c.0)
                .collect();
            if chosen.len() != 1 {
                return Err(err(format!("{key}: expected exactly one of `controller`, `agent` or `transfer`; got {}", if chosen.is_empty() { "none".into() } else { chosen.join(" and ") })));
            }
            let selected: Vec<usize> = match &f.envs {
                None => (0..variants.len()).collect(),
                Some(labels) => {
                    if labels.is_empty() {
                        return Err(err(format!("{key}: `envs` is empty: expected env labels (or leave it out for every env)")));
                    }
                    let mut out = Vec::new();
                    for l in labels {
                        let found: Vec<usize> = (0..variants.len()).filter(|&v| variants[v].env_label == *l || variants[v].label == *l).collect();
                        if found.is_empty() {
                            return Err(err(format!("{key}: `envs`: no env labelled `{l}`; labels: {}", env_labels.join(", "))));
                        }
                        for v in found {
                            if !out.contains(&v) {
                                out.push(v);
                            }
                        }
                    }
                    out
                }
            };
            fn misplaced(keys: &[(&'static str, bool)]) -> Option<&'static str> {
                keys.iter().find(|k| k.1).map(|k| k.0)
            }
            let kind = if let Some(controller) = &f.controller {
                if let Some(k) = misplaced(&[("policy", f.policy.is_some()), ("steps", f.steps.is_some()), ("seeds", f.seeds.is_some()), ("agent_config", f.agent_config.is_some()), ("policy_config", f.policy_config.is_some())]) {
                    return Err(err(format!("{key}: `{k}` is for learner entries (`agent = …`); a controller takes `config`")));
                }
                let config = f.config.clone().unwrap_or_default();
                for &v in &selected {
                    let env = envs::make_with(&variants[v].id, Some(&variants[v].config)).map_err(|x| err(format!("{key}: {x}")))?;
                    controllers::make(controller, env.spec(), (!config.is_empty()).then_some(&config)).map_err(|x| err(format!("{key}: `controller` on `{}`: {x}", variants[v].label)))?;
                }
                EntryKind::Controller { controller: controller.clone(), config }
            } else if let Some(agent) = &f.agent {
                if f.config.is_some() {
                    return Err(err(format!("{key}: `config` is for controller entries; a learner takes `agent_config` and `policy_config`")));
                }
                let policy = f.policy.clone().ok_or_else(|| err(format!("{key}: a learner entry needs `policy` (e.g. \"mlp\", \"ncap\")")))?;
                let steps = match f.steps {
                    None => return Err(err(format!("{key}: a learner entry needs `steps`, its budget in env steps"))),
                    Some(s) if s <= 0 => return Err(err(format!("{key}: `steps` = {s}: expected a budget of at least 1 env step"))),
                    Some(s) => s as u64,
                };
                if train_seeds.is_empty() {
                    return Err(err(format!("{key}: a learner needs training seeds; `seeds.train` is empty")));
                }
                let (agent_config, policy_config) = (f.agent_config.clone().unwrap_or_default(), f.policy_config.clone().unwrap_or_default());
                for &v in &selected {
                    let run = agents::RunSpec { env: variants[v].id.clone(), policy: policy.clone(), agent: agent.clone(), steps, seed: 0 };
                    agents::learners::check(&run, &variants[v].config, &policy_config, Some(&agent_config)).map_err(|x| err(format!("{key} on `{}`: {x}", variants[v].label)))?;
                }
                EntryKind::Learner { agent: agent.clone(), policy, steps, agent_config, policy_config }
            } else {
                let source = f.transfer.clone().expect("one of three");
                if let Some(k) = misplaced(&[("config", f.config.is_some()), ("policy", f.policy.is_some()), ("steps", f.steps.is_some()), ("seeds", f.seeds.is_some()), ("agent_config", f.agent_config.is_some()), ("policy_config", f.policy_config.is_some())]) {
                    return Err(err(format!("{key}: `{k}` does not apply to a transfer entry: it evaluates `{source}`'s trained policies as they are")));
                }
                let src = entries.iter().find(|e| e.name == source).ok_or_else(|| err(format!("{key}: `transfer` = \"{source}\": no learner entry of that name before this one")))?;
                let EntryKind::Learner { policy, policy_config, .. } = &src.kind else {
                    return Err(err(format!("{key}: `transfer` = \"{source}\" is not a learner entry: only trained policies transfer")));
                };
                if src.variants.len() != 1 {
                    return Err(err(format!("{key}: `transfer` = \"{source}\" trains on {} env variants; a transfer source trains on one (set its `envs`)", src.variants.len())));
                }
                let from = &variants[src.variants[0]];
                let n_source = n_params(&from.id, &from.config, policy, policy_config).map_err(|x| err(format!("{key}: {x}")))?;
                for &v in &selected {
                    let n = n_params(&variants[v].id, &variants[v].config, policy, policy_config).map_err(|x| err(format!("{key}: {x}")))?;
                    if n != n_source {
                        return Err(err(format!(
                            "{key}: policy `{policy}` trained on `{}` has {n_source} parameters; built for `{}` it has {n}: it does not rebuild for that env, so it cannot transfer there",
                            from.label, variants[v].label
                        )));
                    }
                }
                EntryKind::Transfer { source }
            };
            let train_seeds = match (&kind, f.seeds) {
                (EntryKind::Learner { .. }, None) => train_seeds.clone(),
                (EntryKind::Learner { .. }, Some(n)) if n >= 1 && n as usize <= train_seeds.len() => train_seeds[..n as usize].to_vec(),
                (EntryKind::Learner { .. }, Some(n)) => {
                    return Err(err(format!("{key}: `seeds` = {n}: expected 1 to {} (the first N of `seeds.train`)", train_seeds.len())));
                }
                _ => Vec::new(),
            };
            entries.push(Entry { name: f.name.clone(), kind, variants: selected, train_seeds });
        }

        // Report.
        let r = &file.report;
        let reported = |metric: &str, vs: &[usize]| -> Result<(), BenchError> {
            if metric == "return" {
                return Ok(());
            }
            for &v in vs {
                if !variants[v].metrics.iter().any(|m| m.0 == metric) {
                    let has: Vec<&str> = std::iter::once("return").chain(variants[v].metrics.iter().map(|m| m.0.as_str())).collect();
                    return Err(err(format!("`{metric}`: {} (`{}`) does not report it; it reports {}", variants[v].id, variants[v].label, has.join(", "))));
                }
            }
            Ok(())
        };
        let all: Vec<usize> = (0..variants.len()).collect();
        let metrics = match &r.metrics {
            Some(list) => {
                let mut out = vec!["return".to_string()];
                for m in list {
                    reported(m, &all).map_err(|e| BenchError(e.0.replacen(&at, &format!("{at}: report.metrics"), 1)))?;
                    if !out.contains(m) {
                        out.push(m.clone());
                    }
                }
                out
            }
            None => {
                let mut out = vec!["return".to_string()];
                for (m, _) in &variants[0].metrics {
                    if variants.iter().all(|v| v.metrics.iter().any(|x| &x.0 == m)) {
                        out.push(m.clone());
                    }
                }
                out
            }
        };
        let primary = r.primary.clone().unwrap_or_else(|| "return".into());
        if !metrics.contains(&primary) {
            return Err(err(format!("report.primary = \"{primary}\": not among the reported metrics ({})", metrics.join(", "))));
        }
        let mut eval_at = Vec::new();
        for &s in &r.eval_at {
            if s <= 0 {
                return Err(err(format!("report.eval_at: {s}: expected env steps of at least 1")));
            }
            if eval_at.last().is_some_and(|&l| s as u64 <= l) {
                return Err(err(format!("report.eval_at: expected increasing env steps; {s} follows {}", eval_at.last().expect("checked"))));
            }
            eval_at.push(s as u64);
        }
        let mut thresholds = Vec::new();
        for (m, values) in &r.thresholds {
            if !metrics.contains(m) {
                reported(m, &all).map_err(|e| BenchError(e.0.replacen(&at, &format!("{at}: report.thresholds"), 1)))?;
                return Err(err(format!("report.thresholds.{m}: add `{m}` to report.metrics to set thresholds on it")));
            }
            if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
                return Err(err(format!("report.thresholds.{m}: expected a non-empty list of finite values")));
            }
            thresholds.push((m.clone(), values.clone()));
        }
        let mut pairs = Vec::new();
        for (x, y) in &r.pairs {
            for n in [x, y] {
                if !entries.iter().any(|e| &e.name == n) {
                    return Err(err(format!("report.pairs: no entry named `{n}`; entries: {}", entries.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", "))));
                }
            }
            let (ex, ey) = (entries.iter().find(|e| &e.name == x).expect("checked"), entries.iter().find(|e| &e.name == y).expect("checked"));
            if x == y || !ex.variants.iter().any(|v| ey.variants.contains(v)) {
                return Err(err(format!("report.pairs: [\"{x}\", \"{y}\"]: expected two different entries that run on at least one common env")));
            }
            pairs.push((x.clone(), y.clone()));
        }
        let bootstrap_reps = r.bootstrap_reps.unwrap_or(50_000);
        if !(100..=1_000_000).contains(&bootstrap_reps) {
            return Err(err(format!("report.bootstrap_reps = {bootstrap_reps}: expected 100 to 1000000 resamples")));
        }
        Ok(Scenario {
            name,
            path: path.to_path_buf(),
            text: text.to_string(),
            question: file.question.trim().to_string(),
            description: file.description.trim().to_string(),
            train_seeds,
            eval_seeds,
            variants,
            entries,
            report: ReportSpec { metrics, primary, eval_at, thresholds, pairs, bootstrap_reps },
        })
    }

    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Whether `metric` is better when lower (the return never is).
    pub fn lower_is_better(&self, metric: &str) -> bool {
        self.variants.iter().flat_map(|v| &v.metrics).find(|m| m.0 == metric).is_some_and(|m| m.1)
    }
}

fn n_params(id: &str, config: &toml::Table, policy: &str, policy_config: &toml::Table) -> Result<usize, BenchError> {
    let env = envs::make_with(id, Some(config)).map_err(|e| BenchError(e.to_string()))?;
    let p = controllers::make(policy, env.spec(), (!policy_config.is_empty()).then_some(policy_config)).map_err(|e| BenchError(e.to_string()))?;
    Ok(p.parameters().map_or(0, |p| p.len()))
}

/// The value at dotted key `key` (`a.b` is key `b` of table `a`).
fn lookup<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let mut value = table.get(parts.next()?)?;
    for p in parts {
        value = value.as_table()?.get(p)?;
    }
    Some(value)
}

/// Sets dotted key `key` in `table`, creating the tables on its path.
fn set(table: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        None => {
            table.insert(key.to_string(), value);
        }
        Some((head, rest)) => {
            let inner = table.entry(head.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !inner.is_table() {
                *inner = toml::Value::Table(toml::Table::new());
            }
            set(inner.as_table_mut().expect("a table"), rest, value);
        }
    }
}

/// Every combination of the axes' values, the first axis varying slowest; one empty point for no axes.
fn cartesian(axes: &[(String, Vec<toml::Value>)]) -> Vec<Vec<(String, toml::Value)>> {
    let mut points = vec![Vec::new()];
    for (k, values) in axes {
        points = points
            .into_iter()
            .flat_map(|p: Vec<(String, toml::Value)>| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((k.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}
