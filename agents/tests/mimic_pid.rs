//! `--agent mimic-pid`: the spiking controller's mimic error falls during evolution on a fixed
//! seed, the run directory holds what it should, and bad pairings are refused.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use agents::checkpoint::load_tensors;
use agents::metrics::read_metrics;
use agents::train;
use agents::RunSpec;

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

fn spec(policy: &str, steps: u64) -> RunSpec {
    RunSpec { env: "BlimpAltitude-v0".into(), policy: policy.into(), agent: "mimic-pid".into(), steps, seed: 3 }
}

#[test]
fn the_mimic_error_falls_during_evolution_and_the_run_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let policy = table("pd_neurons = 24\ni_neurons = 8");
    let agent = table("flights = 2\nheld_out_flights = 1\npopulation_size = 12\neval_episodes = 2");
    // One pass over two 1200-step flights is 2400 steps; 12 candidates a generation: 28,800.
    let prepared = train::start(spec("snn", 40 * 28_800), Default::default(), policy, Some(&agent), &run, Arc::new(AtomicBool::new(false))).unwrap();
    let summary = train::run(&prepared, |_| {}).unwrap();
    assert!(summary.completed && summary.n_params == 6 * 24 + 5 * 8 + 2);
    let (header, rows) = read_metrics(&run.join("metrics.csv")).unwrap();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let pd: Vec<&Vec<f64>> = rows.iter().filter(|r| r[col("stage")] == 0.0).collect();
    assert!(pd.len() >= 20, "{} PD generations", pd.len());
    let (first, last) = (pd[0][col("train_mse")], pd[pd.len() - 1][col("train_mse")]);
    assert!(last < 0.9 * first, "PD mimic error {first:.5} → {last:.5}");
    let held = |r: &Vec<f64>| r[col("held_out_mse")];
    assert!(held(pd[pd.len() - 1]) < held(pd[0]), "held-out error {} → {}", held(pd[0]), held(pd[pd.len() - 1]));
    assert!(summary.final_eval_return.is_finite());
    for file in ["config.toml", "metrics.csv", "summary.json", "policy.safetensors", "mimic_error.png", "mimic_error.svg", "flight.png", "flight.svg"] {
        assert!(run.join(file).exists(), "{file}");
    }
    // The same seed gives the same fit.
    let again = dir.path().join("again");
    let prepared = train::start(spec("snn", 4 * 28_800), Default::default(), table("pd_neurons = 24\ni_neurons = 8"), Some(&agent), &again, Arc::new(AtomicBool::new(false))).unwrap();
    train::run(&prepared, |_| {}).unwrap();
    let again2 = dir.path().join("again2");
    let prepared = train::start(spec("snn", 4 * 28_800), Default::default(), table("pd_neurons = 24\ni_neurons = 8"), Some(&agent), &again2, Arc::new(AtomicBool::new(false))).unwrap();
    train::run(&prepared, |_| {}).unwrap();
    assert_eq!(common::curve_without_wall_time(&again), common::curve_without_wall_time(&again2));
    let params = |dir: &std::path::Path| load_tensors(&dir.join("policy.safetensors")).unwrap().0.remove("params").unwrap();
    assert_eq!(params(&again), params(&again2));
}

#[test]
fn mimic_pid_refuses_other_policies_bad_options_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let stop = || Arc::new(AtomicBool::new(false));
    let err = train::start(spec("mlp", 1000), Default::default(), Default::default(), None, &dir.path().join("a"), stop()).unwrap_err().to_string();
    assert!(err.contains("evolves `snn`"), "{err}");
    let err = train::start(spec("snn", 1000), Default::default(), Default::default(), Some(&table("pd_share = 1.5")), &dir.path().join("b"), stop()).unwrap_err().to_string();
    assert!(err.contains("pd_share"), "{err}");
    let err = train::start(spec("snn", 1000), Default::default(), table("pd_neurons = 0"), None, &dir.path().join("c"), stop()).unwrap_err().to_string();
    assert!(err.contains("pd_neurons"), "{err}");
    let err = train::start(spec("snn", 1000), Default::default(), table("rate_filter_tau = -1.0"), None, &dir.path().join("d"), stop()).unwrap_err().to_string();
    assert!(err.contains("rate_filter_tau"), "{err}");
    assert!(!dir.path().join("a").exists() && !dir.path().join("c").exists());
}
