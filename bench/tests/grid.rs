//! Running a grid: an interrupted bench resumes and ends with the report of an uninterrupted one;
//! finished cells are reused only under their key, and a change of build reruns them.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bench::cell::CellStore;
use bench::grid::{CellKind, Grid};
use bench::report::{Machine, Provenance};
use bench::runner::{run_grid, Event, GridOutcome};
use bench::Scenario;

/// Small enough to run in seconds: Pendulum-v1 (200-step episodes), a linear policy trained by
/// ES (1600 env steps a generation), evaluated on Earth and zero-shot on the Moon.
const SCENARIO: &str = r#"
question = "Does a linear policy trained by ES swing the pendulum up better than random actions, and on the Moon?"

[seeds]
train = [0, 1]
eval = { first = 100, count = 3 }

[[env]]
id = "Pendulum-v1"
label = "earth"
reference = { random = -1200.0, best = -150.0 }

[[env]]
id = "Pendulum-v1"
label = "moon"
config = { g = 1.62 }
reference = { random = -1200.0, best = -150.0 }

[[entry]]
name = "random"
controller = "random"

[[entry]]
name = "zero"
controller = "zero"
envs = ["earth"]

[[entry]]
name = "es-linear"
agent = "es"
policy = "linear"
steps = 8000
agent_config = { population_pairs = 4, eval_episodes = 2 }
envs = ["earth"]

[[entry]]
name = "es-linear-on-moon"
transfer = "es-linear"
envs = ["moon"]

[report]
eval_at = [1600, 4800]
thresholds = { return = [-1000.0] }
pairs = [["es-linear", "random"], ["es-linear", "zero"]]
bootstrap_reps = 500
"#;

fn scenario() -> Scenario {
    Scenario::parse(Path::new("scenarios/pendulum-test.toml"), SCENARIO).expect("a valid scenario")
}

fn provenance(grid: &Grid) -> Provenance {
    Provenance {
        nerve_version: "test".into(),
        git_commit: "test".into(),
        build: grid.build.clone(),
        scenario_file: "scenarios/pendulum-test.toml".into(),
        scenario_hash: bench::hash_hex(SCENARIO.as_bytes()),
        machine: Machine::this(),
        date: bench::report::utc_now(),
        cells_wall_time_s: 0.0,
        wall_time_s: 0.0,
        jobs: 2,
        scale: grid.scale,
    }
}

/// Runs the grid to the end in `out` and returns `report.json` without its provenance.
fn finish(scenario: &Scenario, grid: &Grid, out: &Path, events: &mut Vec<Event>) -> serde_json::Value {
    let store = CellStore::new(out);
    let stop = Arc::new(AtomicBool::new(false));
    let GridOutcome::Done(records) = run_grid(scenario, grid, &store, 2, None, &stop, |e| events.push(e.clone())).expect("the grid runs") else {
        panic!("not stopped, so done")
    };
    let mut report = bench::write_report(scenario, grid, &records, out, &provenance(grid)).expect("the report is written");
    let on_disk: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("report.json")).expect("JSON");
    assert_eq!(on_disk, report, "report.json holds the report");
    report.as_object_mut().expect("an object").remove("provenance");
    report
}

#[test]
fn the_grid_has_a_cell_per_entry_variant_and_seed() {
    let s = scenario();
    let grid = Grid::expand(&s, 1.0, "build-a").expect("expands");
    let count = |name: &str| grid.cells.iter().filter(|c| s.entries[c.entry].name == name).count();
    assert_eq!((count("random"), count("zero"), count("es-linear"), count("es-linear-on-moon")), (2, 1, 2, 2));
    let learner = grid.cells.iter().find(|c| matches!(c.kind, CellKind::Learner { .. })).expect("a learner cell");
    assert_eq!(learner.kind, CellKind::Learner { seed: 0, points: vec![1600, 4800, 8000] });
    let mut keys: Vec<&str> = grid.cells.iter().map(|c| c.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), grid.cells.len(), "every cell has its own key");

    // --scale multiplies the budget and the curve points; the keys change with them.
    let small = Grid::expand(&s, 0.5, "build-a").expect("expands");
    let learner_small = small.cells.iter().find(|c| matches!(c.kind, CellKind::Learner { .. })).expect("a learner cell");
    assert_eq!(learner_small.kind, CellKind::Learner { seed: 0, points: vec![800, 2400, 4000] });
    assert_ne!(learner_small.key, learner.key);
    // The controllers' cells do not depend on the budget.
    assert_eq!(small.cells[0].key, grid.cells[0].key);
    assert!(Grid::expand(&s, 0.0, "b").is_err() && Grid::expand(&s, f64::NAN, "b").is_err());
}

#[test]
fn an_interrupted_bench_resumes_to_the_same_report_and_reuses_only_matching_cells() {
    let s = scenario();
    let grid = Grid::expand(&s, 1.0, "build-a").expect("expands");
    let tmp = tempfile::tempdir().expect("a temp dir");

    // Uninterrupted.
    let mut events = Vec::new();
    let straight = finish(&s, &grid, &tmp.path().join("straight"), &mut events);
    assert!(events.iter().all(|e| !matches!(e, Event::Reused { .. })), "a fresh folder reuses nothing");

    // Interrupted in the middle of a learner's training, then resumed.
    let out = tmp.path().join("interrupted");
    let store = CellStore::new(&out);
    let stop = Arc::new(AtomicBool::new(false));
    let learner_cells: Vec<usize> = (0..grid.cells.len()).filter(|&i| matches!(grid.cells[i].kind, CellKind::Learner { .. })).collect();
    let mut learner_steps = 0u64;
    let outcome = run_grid(&s, &grid, &store, 1, None, &stop, |e| {
        if let Event::Steps { index, env_steps } = e {
            if learner_cells.contains(index) {
                learner_steps += env_steps;
                if learner_steps >= 3200 {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
    })
    .expect("runs until stopped");
    let GridOutcome::Stopped { finished } = outcome else { panic!("the stop flag stops the grid") };
    assert!(finished < grid.cells.len());
    let key = &grid.cells[learner_cells[0]].key;
    let cell_dir = store.cell_dir(key);
    assert!(cell_dir.join("run/checkpoint.safetensors").exists() && !cell_dir.join("record.json").exists(), "the stopped learner checkpointed and did not finish");

    let mut events = Vec::new();
    let resumed = finish(&s, &grid, &out, &mut events);
    let reused = events.iter().filter(|e| matches!(e, Event::Reused { .. })).count();
    assert_eq!(reused, finished, "the cells finished before the stop are reused");
    assert_eq!(resumed, straight, "the resumed bench's report equals the uninterrupted one's");

    // Everything finished: a rerun reuses every cell and runs none.
    let mut events = Vec::new();
    let again = finish(&s, &grid, &out, &mut events);
    assert_eq!(again, straight);
    assert!(events.iter().all(|e| matches!(e, Event::Reused { .. })), "no cell reran: {events:?}");

    // Another build has other keys: none of these cells is reused.
    let other = Grid::expand(&s, 1.0, "build-b").expect("expands");
    assert!(other.cells.iter().all(|c| store.finished(c).expect("readable").is_none()));
    assert!(grid.cells.iter().all(|c| store.finished(c).expect("readable").is_some()));
}

#[test]
fn the_report_says_what_the_numbers_say() {
    let s = scenario();
    let grid = Grid::expand(&s, 1.0, "build-a").expect("expands");
    let tmp = tempfile::tempdir().expect("a temp dir");
    let r = finish(&s, &grid, tmp.path(), &mut Vec::new());

    // A learner's runs are its training seeds; a fixed controller is one run. Each run's score is
    // the mean over the same evaluation episodes.
    assert_eq!(r["per_variant"]["return"]["earth"]["random"]["runs"], 1);
    assert_eq!(r["per_variant"]["return"]["earth"]["es-linear"]["runs"], 2);
    assert_eq!(r["per_variant"]["return"]["moon"]["es-linear-on-moon"]["runs"], 2);
    let iqm = &r["per_variant"]["return"]["earth"]["random"]["iqm"];
    assert!(iqm["lo"].as_f64().unwrap() <= iqm["point"].as_f64().unwrap() && iqm["point"].as_f64().unwrap() <= iqm["hi"].as_f64().unwrap());

    // The scores exported are the runs the statistics use: the learner's mean is the mean of its
    // two seeds' scores, and each seed's score is the mean of its episodes' returns (curves.csv).
    let scores: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("scores.json")).unwrap()).unwrap();
    let runs: Vec<f64> = scores["return"]["earth"]["es-linear"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(runs.len(), 2);
    let mean = runs.iter().sum::<f64>() / 2.0;
    assert!((mean - r["per_variant"]["return"]["earth"]["es-linear"]["mean"]["point"].as_f64().unwrap()).abs() < 1e-9);
    let record_dir = tmp.path().join("cells").join(&grid.cells.iter().find(|c| matches!(c.kind, CellKind::Learner { seed: 0, .. })).unwrap().key);
    let record: bench::cell::CellRecord = serde_json::from_str(&std::fs::read_to_string(record_dir.join("record.json")).unwrap()).unwrap();
    let last = record.points.last().unwrap();
    assert_eq!(last.episodes.len(), 3, "one episode per evaluation seed");
    let by_hand = last.episodes.iter().map(|e| e.episode_return).sum::<f64>() / 3.0;
    assert!((by_hand - runs[0]).abs() < 1e-9, "seed 0's score {} is the mean of its episodes {by_hand}", runs[0]);
    let csv = std::fs::read_to_string(tmp.path().join("scores.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 1 + 1 + 1 + 2 + 2, "a header and one row per run: random on two envs, zero, es-linear and its transfer");

    // The aggregate's mean is the mean over envs of each env's mean normalised return.
    let normalised_mean = |env: &str| {
        let runs: Vec<f64> = scores["return"][env]["random"].as_array().unwrap().iter().map(|v| (v.as_f64().unwrap() + 1200.0) / 1050.0).collect();
        assert_eq!(runs.len(), 1);
        runs[0]
    };
    let agg = &r["aggregate"]["random"];
    assert_eq!(agg["tasks"].as_array().unwrap().len(), 2);
    let expected = (normalised_mean("earth") + normalised_mean("moon")) / 2.0;
    assert!((agg["mean"]["point"].as_f64().unwrap() - expected).abs() < 1e-9, "{agg}");
    assert_eq!(r["curves"]["es-linear"]["earth"]["return"]["env_steps"].as_array().unwrap().len(), 3);

    // Steps to reach count every seed, reached or not.
    let reach = r["steps_to_reach"].as_array().unwrap();
    assert_eq!(reach.len(), 1);
    assert_eq!(reach[0]["runs"], 2);
    assert_eq!(reach[0]["per_seed"].as_array().unwrap().len(), 2);

    // Probability of improvement: one entry per pair, in [0, 1], with an interval around it.
    let poi = r["improvement"].as_array().unwrap();
    assert_eq!(poi.len(), 2);
    for p in poi {
        let (lo, pt, hi) = (p["probability"]["lo"].as_f64().unwrap(), p["probability"]["point"].as_f64().unwrap(), p["probability"]["hi"].as_f64().unwrap());
        assert!((0.0..=1.0).contains(&pt) && lo <= pt && pt <= hi);
    }
    let answer = r["answer"].as_str().unwrap();
    assert!(answer.contains("P(es-linear > random)") && answer.contains("IQM"), "{answer}");
    let md = std::fs::read_to_string(tmp.path().join("report.md")).unwrap();
    assert!(md.starts_with("# Benchmark: pendulum-test") && md.contains(s.question.as_str()) && md.contains("## Provenance"));
}

#[test]
fn cells_with_equal_keys_run_once() {
    // `g = 10.0` is Pendulum-v1's default: the two envs are one, and so are their cells.
    let text = r#"
question = "Is a pendulum on Earth a pendulum with g = 10?"
[seeds]
eval = [7, 8]
[[env]]
id = "Pendulum-v1"
label = "default"
[[env]]
id = "Pendulum-v1"
label = "swept"
sweep = { g = [10.0, 5.0] }
[[entry]]
name = "zero"
controller = "zero"
[report]
bootstrap_reps = 100
"#;
    let s = Scenario::parse(Path::new("scenarios/equal.toml"), text).expect("valid");
    let grid = Grid::expand(&s, 1.0, "build-a").expect("expands");
    assert_eq!(grid.cells.len(), 3);
    assert_eq!(grid.cells[0].key, grid.cells[1].key, "the default and the swept g = 10 are the same cell");
    let tmp = tempfile::tempdir().unwrap();
    let store = CellStore::new(tmp.path());
    let mut started = Vec::new();
    let stop = Arc::new(AtomicBool::new(false));
    let GridOutcome::Done(records) = run_grid(&s, &grid, &store, 2, None, &stop, |e| {
        if let Event::Started { index } = e {
            started.push(*index);
        }
    })
    .unwrap() else {
        panic!("done")
    };
    assert_eq!(started.len(), 2, "two distinct cells ran: {started:?}");
    assert_eq!(records[0], records[1]);

    // A sweep listing a value twice is refused.
    let twice = text.replace("g = [10.0, 5.0]", "g = [5.0, 5.0]");
    let e = Scenario::parse(Path::new("scenarios/equal.toml"), &twice).unwrap_err().0;
    assert!(e.contains("appears twice"), "{e}");
}
