//! `--agent mimic-pid`: the spiking controller's mimic error falls during evolution on a fixed
//! seed, the run directory holds what it should, and bad pairings are refused.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use agents::run::checkpoint::load_tensors;
use agents::run::metrics::read_metrics;
use agents::learners;
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
    let prepared = learners::start(spec("snn", 40 * 28_800), Default::default(), policy, Some(&agent), &run, Arc::new(AtomicBool::new(false))).unwrap();
    let summary = learners::train(&prepared, |_| {}).unwrap();
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
    let prepared = learners::start(spec("snn", 4 * 28_800), Default::default(), table("pd_neurons = 24\ni_neurons = 8"), Some(&agent), &again, Arc::new(AtomicBool::new(false))).unwrap();
    learners::train(&prepared, |_| {}).unwrap();
    let again2 = dir.path().join("again2");
    let prepared = learners::start(spec("snn", 4 * 28_800), Default::default(), table("pd_neurons = 24\ni_neurons = 8"), Some(&agent), &again2, Arc::new(AtomicBool::new(false))).unwrap();
    learners::train(&prepared, |_| {}).unwrap();
    assert_eq!(common::curve_without_wall_time(&again), common::curve_without_wall_time(&again2));
    let params = |dir: &std::path::Path| load_tensors(&dir.join("policy.safetensors")).unwrap().0.remove("params").unwrap();
    assert_eq!(params(&again), params(&again2));
}

#[test]
fn mimic_pid_refuses_other_policies_bad_options_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let stop = || Arc::new(AtomicBool::new(false));
    let err = learners::start(spec("mlp", 1000), Default::default(), Default::default(), None, &dir.path().join("a"), stop()).unwrap_err().to_string();
    assert!(err.contains("evolves `snn`"), "{err}");
    let err = learners::start(spec("snn", 1000), Default::default(), Default::default(), Some(&table("pd_share = 1.5")), &dir.path().join("b"), stop()).unwrap_err().to_string();
    assert!(err.contains("pd_share"), "{err}");
    let err = learners::start(spec("snn", 1000), Default::default(), table("pd_neurons = 0"), None, &dir.path().join("c"), stop()).unwrap_err().to_string();
    assert!(err.contains("pd_neurons"), "{err}");
    let err = learners::start(spec("snn", 1000), Default::default(), table("rate_filter_tau = -1.0"), None, &dir.path().join("d"), stop()).unwrap_err().to_string();
    assert!(err.contains("rate_filter_tau"), "{err}");
    assert!(!dir.path().join("a").exists() && !dir.path().join("c").exists());
    // The blimp's recording references do not apply to a drive.
    let motor = RunSpec { env: "DcSeriesSpeed-v0".into(), ..spec("snn", 100_000) };
    let err = learners::start(motor, Default::default(), Default::default(), Some(&table("recording_reference = \"sines\"")), &dir.path().join("e"), stop())
        .and_then(|p| learners::train(&p, |_| {}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("recording_reference"), "{err}");
}

/// On a drive the SNN becomes the speed loop of the cascaded PI, and the cascaded PI its teacher:
/// after a short fit, the spiking cascade tracks the series motor's speed about as well as the
/// PI on held-out episodes, and far better than holding zero voltage.
#[test]
fn on_a_drive_the_snn_learns_the_cascaded_pis_speed_loop() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let env_cfg = table("max_episode_steps = 1000\nviolation_reward = \"time_limit\"");
    let policy = toml::Table::new();
    let agent = table("flights = 4\nheld_out_flights = 1\neval_episodes = 2");
    // One pass over four 1000-step recordings is 4000 steps; 24 candidates a generation: 96,000.
    let spec = RunSpec { env: "DcSeriesSpeed-v0".into(), policy: "snn".into(), agent: "mimic-pid".into(), steps: 40 * 96_000, seed: 1 };
    let prepared = learners::start(spec, env_cfg.clone(), policy.clone(), Some(&agent), &run, Arc::new(AtomicBool::new(false))).unwrap();
    let summary = learners::train(&prepared, |_| {}).unwrap();
    assert!(summary.completed && summary.n_params == 6 * 120 + 5 * 40 + 2);
    let (mut tensors, _) = load_tensors(&run.join("policy.safetensors")).unwrap();
    let params = tensors.remove("params").unwrap();

    let mut env = envs::make_with("DcSeriesSpeed-v0", Some(&env_cfg)).unwrap();
    let mut snn = controllers::make("snn", env.spec(), Some(&policy)).unwrap();
    snn.set_parameters(&params).unwrap();
    let mut pi = controllers::make("cascaded-pi", env.spec(), None).unwrap();
    let mut zero = controllers::make("zero", env.spec(), None).unwrap();
    let mut mean_return = |policy: &mut dyn controllers::Policy| {
        (500..505).map(|seed| controllers::run_episode(env.as_mut(), policy, seed, |_| {}).unwrap().episode_return).sum::<f64>() / 5.0
    };
    let (r_snn, r_pi, r_zero) = (mean_return(snn.as_mut()), mean_return(pi.as_mut()), mean_return(zero.as_mut()));
    assert!(r_snn > r_pi - 0.15 * r_pi.abs(), "SNN {r_snn:.1}, PI {r_pi:.1}");
    assert!(r_snn > 0.5 * r_zero, "SNN {r_snn:.1}, zero voltage {r_zero:.1}");
    assert!(snn.work().unwrap().spikes > 0);
}
