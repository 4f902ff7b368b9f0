//! Scenario files: a valid one expands as written; every kind of bad input is refused before
//! anything runs, with the file and the key named.

use std::path::Path;

use bench::scenario::EntryKind;
use bench::Scenario;

const VALID: &str = r#"
question = "Does NCAP transfer across swimmer lengths?"

[seeds]
train = [0, 1, 2]
eval = { first = 100, count = 4 }

[[env]]
id = "Swimmer6-v0"
label = "six"
sweep = { fluid_density = [1000.0, 3000.0], joint_limits = [true, false] }
reference = { random = 0.0, best = 1000.0 }

[[env]]
id = "Swimmer3-v0"

[[env]]
id = "BlimpAltitude-v0"

[[entry]]
name = "ncap"
controller = "ncap"
envs = ["six", "Swimmer3-v0"]

[[entry]]
name = "ppo-ncap"
agent = "ppo"
policy = "ncap"
steps = 20000
envs = ["six[fluid_density=1000.0,joint_limits=true]"]

[[entry]]
name = "ppo-ncap-zero-shot"
transfer = "ppo-ncap"
envs = ["Swimmer3-v0"]

[[entry]]
name = "pid"
controller = "pid"
envs = ["BlimpAltitude-v0"]

[report]
eval_at = [5000, 10000]
thresholds = { return = [100.0, 200.0] }
pairs = [["ppo-ncap", "ncap"]]
bootstrap_reps = 1000
"#;

fn parse(text: &str) -> Result<Scenario, String> {
    Scenario::parse(Path::new("scenarios/test.toml"), text).map_err(|e| e.0)
}

/// `VALID` with `from` replaced by `to` (which must occur).
fn edited(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "{from}");
    VALID.replacen(from, to, 1)
}

fn refused(text: &str, expect: &[&str]) {
    let err = parse(text).expect_err("must be refused");
    assert!(err.starts_with("scenarios/test.toml: "), "{err}");
    for e in expect {
        assert!(err.contains(e), "`{e}` not in: {err}");
    }
}

#[test]
fn a_valid_scenario_expands_its_sweeps_and_entries() {
    let s = parse(VALID).unwrap();
    assert_eq!(s.name, "test");
    assert_eq!(s.train_seeds, vec![0, 1, 2]);
    assert_eq!(s.eval_seeds, vec![100, 101, 102, 103]);
    let labels: Vec<&str> = s.variants.iter().map(|v| v.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "six[fluid_density=1000.0,joint_limits=true]",
            "six[fluid_density=1000.0,joint_limits=false]",
            "six[fluid_density=3000.0,joint_limits=true]",
            "six[fluid_density=3000.0,joint_limits=false]",
            "Swimmer3-v0",
            "BlimpAltitude-v0"
        ]
    );
    assert_eq!(s.variants[2].config.get("fluid_density"), Some(&toml::Value::Float(3000.0)));
    assert_eq!(s.variants[0].reference, Some((0.0, 1000.0)));
    assert_eq!(s.variants[5].metrics.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["rmse", "overshoot", "rise_time", "settling_time", "steady_state_error"]);
    assert!(s.variants[5].metrics.iter().all(|m| m.1), "tracking errors are lower-is-better");
    assert_eq!(s.entry("ncap").unwrap().variants, vec![0, 1, 2, 3, 4]);
    assert_eq!(s.entry("ppo-ncap").unwrap().variants, vec![0]);
    assert!(matches!(&s.entry("ppo-ncap").unwrap().kind, EntryKind::Learner { steps: 20000, .. }));
    assert_eq!(s.entry("ppo-ncap-zero-shot").unwrap().kind, EntryKind::Transfer { source: "ppo-ncap".into() });
    // Only the return is common to every env, so it is the only default metric.
    assert_eq!(s.report.metrics, ["return"]);
    assert_eq!(s.report.eval_at, [5000, 10000]);
    assert_eq!(s.report.pairs, [("ppo-ncap".to_string(), "ncap".to_string())]);
    assert!(!s.lower_is_better("return") && s.lower_is_better("rmse"));
}

#[test]
fn malformed_toml_and_unknown_keys_are_refused_with_the_line() {
    refused(&edited("[seeds]", "[seeds"), &["TOML parse error", "line"]);
    refused(&edited("steps = 20000", "steps = 20000\nstepz = 1"), &["unknown field `stepz`"]);
    refused(&edited("[report]", "[report]\nplot = true"), &["unknown field `plot`"]);
    refused(&edited("question = \"Does NCAP transfer across swimmer lengths?\"", "question = \" \""), &["`question` is empty"]);
}

#[test]
fn unknown_envs_controllers_agents_and_policies_are_refused() {
    refused(&edited("id = \"Swimmer3-v0\"", "id = \"Swimmer99-v7\""), &["env[1]", "`id`", "Swimmer99-v7"]);
    refused(&edited("controller = \"pid\"", "controller = \"pidd\""), &["entry[3] (`pid`)", "pidd"]);
    refused(&edited("agent = \"ppo\"", "agent = \"ppo2\""), &["entry[1] (`ppo-ncap`)", "unknown agent `ppo2`"]);
    refused(&edited("policy = \"ncap\"", "policy = \"transformer\""), &["entry[1] (`ppo-ncap`)", "transformer"]);
    refused(&edited("envs = [\"BlimpAltitude-v0\"]", "envs = [\"blimp\"]"), &["entry[3] (`pid`)", "no env labelled `blimp`"]);
    // A controller for another body: the pid flies the blimp, not a swimmer.
    refused(&edited("envs = [\"BlimpAltitude-v0\"]", "envs = [\"six\"]"), &["entry[3] (`pid`)", "six[fluid_density=1000.0,joint_limits=true]"]);
    refused(&edited("controller = \"pid\"", "controller = \"pid\"\nagent = \"ppo\""), &["exactly one of `controller`, `agent` or `transfer`"]);
    refused(&edited("controller = \"ncap\"", "controller = \"ncap\"\nsteps = 10"), &["`steps` is for learner entries"]);
}

#[test]
fn bad_seeds_and_budgets_are_refused() {
    refused(&edited("eval = { first = 100, count = 4 }", "eval = []"), &["`seeds.eval` is empty"]);
    refused(&edited("eval = { first = 100, count = 4 }", "eval = [5, 2]"), &["seed 2 is in both `seeds.train` and `seeds.eval`"]);
    refused(&edited("train = [0, 1, 2]", "train = [0, 1, 1]"), &["`seeds.train` lists seed 1 twice"]);
    refused(&edited("train = [0, 1, 2]", "train = []"), &["entry[1] (`ppo-ncap`)", "`seeds.train` is empty"]);
    refused(&edited("steps = 20000", "steps = 0"), &["entry[1] (`ppo-ncap`)", "`steps` = 0"]);
    refused(&edited("steps = 20000", "steps = -5"), &["`steps` = -5"]);
    refused(&edited("eval_at = [5000, 10000]", "eval_at = [10000, 5000]"), &["report.eval_at", "increasing"]);
    refused(&edited("eval_at = [5000, 10000]", "eval_at = [0]"), &["report.eval_at"]);
    // A learner config that cannot work is refused by the learner's own check.
    refused(&edited("steps = 20000", "steps = 20000\nagent_config = { num_steps = 0 }"), &["entry[1] (`ppo-ncap`)", "num_steps"]);
}

#[test]
fn sweeps_over_missing_keys_and_bad_values_are_refused() {
    refused(&edited("fluid_density = [1000.0, 3000.0]", "fluid_viscosity = [1.0]"), &["env[0] (`six`)", "`sweep.fluid_viscosity`", "no config key"]);
    refused(&edited("fluid_density = [1000.0, 3000.0]", "fluid_density = []"), &["`sweep.fluid_density` must be a non-empty array"]);
    refused(&edited("fluid_density = [1000.0, 3000.0]", "fluid_density = [\"water\"]"), &["env[0] (`six`)", "variant `six[fluid_density=\"water\""]);
    refused(&edited("reference = { random = 0.0, best = 1000.0 }", "reference = { random = 1.0, best = 1.0 }"), &["`reference`"]);
}

#[test]
fn transfers_that_cannot_rebuild_are_refused() {
    // An MLP over Swimmer6's observation does not rebuild for Swimmer3's: not a transfer.
    refused(&edited("policy = \"ncap\"", "policy = \"mlp\""), &["entry[2] (`ppo-ncap-zero-shot`)", "does not rebuild", "Swimmer3-v0"]);
    refused(&edited("transfer = \"ppo-ncap\"", "transfer = \"ncap\""), &["is not a learner entry"]);
    refused(&edited("transfer = \"ppo-ncap\"", "transfer = \"later\""), &["no learner entry of that name"]);
    refused(&edited("envs = [\"six[fluid_density=1000.0,joint_limits=true]\"]", "envs = [\"six\"]"), &["trains on 4 env variants"]);
}

#[test]
fn metrics_thresholds_and_pairs_the_envs_do_not_have_are_refused() {
    refused(&edited("[report]", "[report]\nmetrics = [\"rmse\"]"), &["report.metrics", "`rmse`", "Swimmer6-v0", "does not report it"]);
    refused(&edited("thresholds = { return = [100.0, 200.0] }", "thresholds = { success = [0.9] }"), &["report.thresholds", "`success`", "does not report it"]);
    refused(&edited("thresholds = { return = [100.0, 200.0] }", "thresholds = { return = [] }"), &["report.thresholds.return"]);
    refused(&edited("pairs = [[\"ppo-ncap\", \"ncap\"]]", "pairs = [[\"ppo-ncap\", \"mlp\"]]"), &["report.pairs", "no entry named `mlp`"]);
    refused(&edited("pairs = [[\"ppo-ncap\", \"ncap\"]]", "pairs = [[\"pid\", \"ncap\"]]"), &["report.pairs", "common env"]);
    refused(&edited("bootstrap_reps = 1000", "bootstrap_reps = 3"), &["report.bootstrap_reps = 3"]);
    refused(&edited("[report]", "[report]\nprimary = \"rmse\""), &["report.primary"]);
}

#[test]
fn a_missing_file_is_named() {
    let err = Scenario::load(Path::new("scenarios/no-such-file.toml")).unwrap_err().0;
    assert!(err.starts_with("scenarios/no-such-file.toml: cannot read"), "{err}");
}
