//! The `nerve` binary: real output, clear errors, exit codes.

use std::process::Command;

#[path = "../agents/tests/common/mod.rs"]
mod common;

fn nerve(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nerve")).args(args).output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Writes `text` to a file in a directory of its own (tests run in parallel and clean up).
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nerve-cli-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn list_shows_envs_with_spaces_and_controllers() {
    let (code, out, _) = nerve(&["list"]);
    assert_eq!(code, 0);
    for n in 3..=13 {
        assert!(out.contains(&format!("Swimmer{n}-v0")));
    }
    assert!(out.contains("Box(-1.0, 1.0, (5,), float32)"));
    assert!(out.contains("ncap") && out.contains("travelling-wave"));
    // One registry of policy kinds: the learnable ones too, and the learners.
    let policies = out.split("\nPolicies").nth(1).expect("a Policies section");
    for name in ["mlp", "linear", "ncap", "snn", "cascaded-pi", "zero"] {
        assert!(policies.lines().any(|l| l.trim_start().starts_with(name)), "{name} missing from:\n{policies}");
    }
    assert!(out.contains("\nAgents") && out.contains("ppo"));
    let (code, out, _) = nerve(&["list", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["envs"].as_array().unwrap().len(), 58);
    assert!(out.contains("BlimpAltitudeDisturbed-v0") && out.contains("\"snn\""));
    let mlp = v["policies"].as_array().unwrap().iter().find(|p| p["name"] == "mlp").expect("mlp in the policies");
    assert_eq!(mlp["has_parameters"], true);
    let mixed = v["envs"].as_array().unwrap().iter().find(|e| e["id"] == "BlimpAltitudeMixed-v0").unwrap();
    assert_eq!(mixed["members"].as_array().unwrap().len(), 2);
    let blimp = v["envs"].as_array().unwrap().iter().find(|e| e["id"] == "BlimpAltitude-v0").unwrap();
    assert!(blimp["signals"].as_array().unwrap().iter().any(|s| s["name"] == "reference" && s["reference_of"] == "altitude"));
    assert_eq!(blimp["config"]["ceiling"], 5.0);
}

#[test]
fn eval_json_is_reproducible() {
    let args = ["eval", "--env", "Swimmer4-v0", "--controller", "ncap", "--episodes", "2", "--seed", "3", "--json"];
    let (code, a, err) = nerve(&args);
    assert_eq!(code, 0, "{err}");
    let (_, b, _) = nerve(&args);
    let (a, b): (serde_json::Value, serde_json::Value) = (serde_json::from_str(&a).unwrap(), serde_json::from_str(&b).unwrap());
    assert_eq!(a["episodes"], b["episodes"]);
    assert_eq!(a["episodes"][1]["seed"], 4);
    assert!(a["mean"].as_f64().unwrap() > 100.0);
}

#[test]
fn eval_table_reports_returns_and_speed() {
    let (code, out, _) = nerve(&["eval", "--env", "Swimmer3-v0", "--controller", "zero", "--episodes", "2"]);
    assert_eq!(code, 0);
    assert!(out.contains("return: 0.00 ± 0.00") && out.contains("env steps/s"), "{out}");
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["eval", "--env", "Swimmer99-v0", "--controller", "ncap"], "out of range"),
        (&["eval", "--env", "Walker-v9", "--controller", "ncap"], "unknown env id `Walker-v9`"),
        (&["eval", "--env", "Swimmer6-v0", "--controller", "pidd"], "unknown controller `pidd`"),
        (&["eval", "--env", "Swimmer6-v0", "--controller", "pid"], "a PID drives one actuator"),
        (&["eval", "--env", "BlimpAltitude-v0", "--controller", "ncap"], "cannot drive BlimpAltitude-v0"),
        (&["eval", "--env", "Swimmer6-v0", "--controller", "ncap", "--episodes", "0"], "--episodes 0"),
        (&["eval", "--env", "Swimmer6-v0", "--controller", "ncap", "--env-config", "/nonexistent/x.toml"], "/nonexistent/x.toml"),
    ];
    for (args, needle) in cases {
        let (code, _, err) = nerve(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let bad_key = temp_file("bad_key.toml", "substep = 3\n");
    let (code, _, err) = nerve(&["eval", "--env", "Swimmer6-v0", "--controller", "ncap", "--env-config", bad_key.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown field `substep`"), "{err}");
    let bad_toml = temp_file("bad.toml", "substeps = = 3\n");
    let (code, _, err) = nerve(&["eval", "--env", "Swimmer6-v0", "--controller", "ncap", "--controller-config", bad_toml.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml"), "{err}");
    for file in [bad_key, bad_toml] {
        std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
    }
}

#[test]
fn perf_reports_steps_per_second() {
    let (code, out, _) = nerve(&["perf", "--env", "Swimmer3-v0", "--steps", "200", "--num-envs", "2", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["single_env_steps_per_sec"].as_f64().unwrap() > 0.0);
    assert_eq!(v["vec_env"]["num_envs"], 2);
    let (code, out, err) = nerve(&["perf", "--ppo-update", "--repeats", "1", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["batch"].as_u64(), v["epochs"].as_u64(), v["minibatch"].as_u64()), (Some(2048), Some(10), Some(64)));
    assert!(v["best_s"].as_f64().unwrap() > 0.0);
}

/// The off-policy update timers report their FLOP rate; `--matmul` the core's peak.
#[test]
fn perf_times_off_policy_updates_and_the_matmul_peak() {
    for agent in ["--sac-update", "--td3-update"] {
        let (code, out, err) = nerve(&["perf", agent, "--hidden", "16,16", "--updates", "5", "--repeats", "1", "--json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!((v["batch"].as_u64(), v["obs_dim"].as_u64(), v["act_dim"].as_u64()), (Some(256), Some(3), Some(1)));
        assert!(v["best_s"].as_f64().unwrap() > 0.0 && v["flops_per_update"].as_f64().unwrap() > 0.0);
    }
    let (code, _, err) = nerve(&["perf", "--sac-update", "--dims", "3"]);
    assert_eq!(code, 2);
    assert!(err.contains("--dims [3]: expected two widths"), "{err}");
}

/// With no config, a learner's preset for the env applies (printed, recorded in config.toml,
/// the user's keys winning); `--preset none` gives the bare defaults, which cannot learn in
/// 3000 steps and are refused with the reason; an unknown preset is named.
#[test]
fn presets_apply_by_env_and_budgets_that_cannot_learn_are_refused() {
    let dir = std::env::temp_dir().join(format!("nerve-cli-preset-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = temp_file("preset.toml", "[agent]\nhidden = [16, 16]\neval_episodes = 1\n");
    let run = dir.join("td3");
    let (code, out, err) = nerve(&["train", "--env", "Pendulum-v1", "--policy", "mlp", "--agent", "td3", "--steps", "2000", "--config", cfg.to_str().unwrap(), "--out", run.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("preset td3/pendulum: rl-baselines3-zoo"), "{out}");
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(config.contains("[preset]") && config.contains("name = \"td3/pendulum\""), "{config}");
    assert!(config.contains("gamma = 0.98") && config.contains("hidden = [16, 16]") && config.contains("eval_episodes = 1"), "{config}");
    let (code, _, err) = nerve(&["train", "--env", "Pendulum-v1", "--policy", "mlp", "--agent", "td3", "--steps", "3000", "--preset", "none", "--out", dir.join("bare").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("learning_starts = 25000 ≥ --steps 3000") && err.contains("never be updated"), "{err}");
    assert!(!dir.join("bare").exists());
    let (code, _, err) = nerve(&["train", "--env", "Pendulum-v1", "--policy", "mlp", "--agent", "sac", "--preset", "fast", "--out", dir.join("x").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--preset fast") && err.contains("pendulum"), "{err}");
    let (code, out, _) = nerve(&["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("sac/pendulum") && out.contains("td3/swimmer"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(cfg.parent().unwrap()).ok();
}

/// `--seeds` trains several seeds in one process, each exactly its solo run: the same
/// metrics.csv (wall time aside), config.toml and policy as that seed trained alone.
#[test]
fn seeds_train_together_as_each_would_alone() {
    let dir = std::env::temp_dir().join(format!("nerve-cli-seeds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = temp_file("seeds.toml", "[agent]\nlearning_starts = 200\nhidden = [16]\nbatch_size = 32\neval_every_steps = 200\neval_episodes = 1\n[policy]\nhidden = [8]\n");
    let base = ["train", "--env", "Pendulum-v1", "--policy", "mlp", "--agent", "td3", "--steps", "600", "--config", cfg.to_str().unwrap()];
    let together = dir.join("together");
    let (code, out, err) = nerve(&[&base[..], &["--seeds", "0,1,2", "--jobs", "2", "--out", together.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("seeds 0,1,2") && out.contains("3 seeds in"), "{out}");
    let alone = dir.join("alone");
    let (code, _, err) = nerve(&[&base[..], &["--seed", "1", "--out", alone.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{err}");
    let seed1 = together.join("seed1");
    assert_eq!(common::curve_without_wall_time(&seed1), common::curve_without_wall_time(&alone));
    // The same tensors and metadata (the header's key order follows a HashMap, so the bytes may not).
    let load = |d: &std::path::Path| agents::run::checkpoint::load_tensors(&d.join("policy.safetensors")).unwrap();
    assert_eq!(load(&seed1), load(&alone));
    assert_eq!(std::fs::read_to_string(seed1.join("config.toml")).unwrap(), std::fs::read_to_string(alone.join("config.toml")).unwrap());
    // A repeated seed, or a directory that exists, is refused before anything is written.
    let (code, _, err) = nerve(&[&base[..], &["--seeds", "3,3", "--out", dir.join("x").to_str().unwrap()]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("seed 3 is listed twice"), "{err}");
    let (code, _, err) = nerve(&[&base[..], &["--seeds", "5,1", "--out", together.to_str().unwrap()]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("seed1: already exists"), "{err}");
    assert!(!together.join("seed5").exists());
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(cfg.parent().unwrap()).ok();
}

#[test]
fn train_then_eval_the_checkpoint_then_resume() {
    let dir = std::env::temp_dir().join(format!("nerve-cli-train-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = dir.join("run");
    let cfg = temp_file("agent.toml", "[agent]\npopulation_pairs = 2\neval_episodes = 1\n");
    let args = ["train", "--env", "Swimmer3-v0", "--policy", "ncap", "--agent", "es", "--steps", "4000", "--seed", "1"];
    let (code, out, err) = nerve(&[&args[..], &["--config", cfg.to_str().unwrap(), "--out", run.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("population_pairs = 2") && out.contains("finished: 1 iterations, 4000 env steps"), "{out}");
    let (code, out, err) = nerve(&["eval", "--checkpoint", run.to_str().unwrap(), "--episodes", "1", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["env"], "Swimmer3-v0");
    // The same command again would overwrite the run: refused.
    let (code, _, err) = nerve(&[&args[..], &["--out", run.to_str().unwrap()]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    let (code, out, err) = nerve(&["train", "--resume", run.to_str().unwrap(), "--steps", "8000"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("finished: 2 iterations, 8000 env steps"), "{out}");
    let (code, _, err) = nerve(&["eval", "--checkpoint", run.to_str().unwrap(), "--env", "Swimmer4-v0"]);
    assert_eq!(code, 2);
    assert!(err.contains("trained on Swimmer3-v0"), "{err}");
    let (code, _, err) = nerve(&["train", "--env", "Swimmer3-v0", "--policy", "ncap", "--agent", "dqn", "--out", dir.join("x").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown agent `dqn`") && err.contains("cmaes"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(cfg.parent().unwrap()).ok();
}

/// Without the `viewer` feature, `nerve view` says how to get it; with it, a bad checkpoint path
/// is named. (Also: `nerve eval --checkpoint` of a directory that is not a run.)
#[test]
fn view_explains_what_it_needs() {
    if cfg!(feature = "viewer") {
        let (code, _, err) = nerve(&["view", "--checkpoint", "/nonexistent/run"]);
        assert_eq!(code, 2);
        assert!(err.contains("/nonexistent/run: not a run directory"), "{err}");
    } else {
        let (code, _, err) = nerve(&["view", "--env", "Swimmer6-v0", "--controller", "ncap"]);
        assert_eq!(code, 2);
        assert!(err.contains("--features viewer"), "{err}");
    }
    let (code, _, err) = nerve(&["eval", "--checkpoint", "/nonexistent/run"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/run: not a run directory of `nerve train`"), "{err}");
}

#[test]
fn eval_reports_tracking_metrics_and_work_per_step_on_the_blimp() {
    let (code, out, err) = nerve(&["eval", "--env", "BlimpAltitude-v0", "--controller", "pid", "--episodes", "2", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["work_per_step"]["macs"], 5.0);
    for key in ["rmse", "overshoot", "rise_time", "settling_time", "steady_state_error"] {
        assert!(v["metrics"][key]["mean"].as_f64().unwrap().is_finite(), "{key}: {out}");
    }
    assert!(v["metrics"]["rmse"]["mean"].as_f64().unwrap() < 0.5);
    let (code, out, _) = nerve(&["eval", "--env", "BlimpAltitude-v0", "--controller", "snn", "--episodes", "1"]);
    assert_eq!(code, 0);
    assert!(out.contains("rmse:") && out.contains("work per control step:") && out.contains("spikes"), "{out}");
}

#[test]
fn eval_writes_a_trace_of_the_physical_state_with_a_constant_action() {
    let dir = std::env::temp_dir().join(format!("nerve-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("blimp.csv");
    let (code, _, err) = nerve(&["eval", "--env", "BlimpAltitude-v0", "--controller", "constant", "--action", "0.2", "--episodes", "2", "--trace", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..6], ["episode", "seed", "step", "time_s", "action_0", "reward"]);
    assert!(header.contains(&"altitude") && header.contains(&"thrust"), "{header:?}");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * 1201, "two episodes of 1200 steps, each with its reset row");
    assert_eq!((rows[0][2], rows[0][4]), ("0", ""), "step 0 is the reset state");
    assert_eq!(rows[1][4], "0.2");
    assert!(rows.iter().all(|r| r.len() == header.len()));
    // The thrust settles at its target 0.2 × 0.05 N (it balances the 1 g excess weight: a hover).
    let col = header.iter().position(|h| *h == "thrust").unwrap();
    let last: f64 = rows[1200][col].parse().unwrap();
    assert!((last - 0.01).abs() < 1e-9, "{last}");
    // Bad input: --action with another controller, a wrong length, a trace that is not .csv.
    let (code, _, err) = nerve(&["eval", "--env", "BlimpAltitude-v0", "--controller", "pid", "--action", "0.4"]);
    assert!(code == 2 && err.contains("--action is for `--controller constant`"), "{err}");
    let (code, _, err) = nerve(&["eval", "--env", "BlimpAltitude-v0", "--controller", "constant", "--action", "0.4,0.1"]);
    assert!(code == 2 && err.contains("`action` has 2 entries"), "{err}");
    let (code, _, err) = nerve(&["eval", "--env", "BlimpAltitude-v0", "--controller", "constant", "--action", "0.4", "--trace", dir.join("x.txt").to_str().unwrap()]);
    assert!(code == 2 && err.contains("expected a .csv"), "{err}");
    assert!(!dir.join("x.txt").exists() && !dir.join("blimp.csv.tmp").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eval_reports_a_goal_tasks_success_rate() {
    // HandReach-v0 at zero action: every servo goes to the middle of its range, away from the
    // initial pose and the goals.
    let (code, out, err) = nerve(&["eval", "--env", "HandReach-v0", "--controller", "zero", "--episodes", "20"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("success rate: ") && out.contains("of 20 episodes end in success"), "{out}");
    let (code, out, _) = nerve(&["eval", "--env", "HandReach-v0", "--controller", "zero", "--episodes", "20", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rate = v["metrics"]["is_success"]["mean"].as_f64().unwrap();
    assert!(rate < 0.5, "{rate}");
    assert!(v["metrics"]["distance"]["mean"].as_f64().unwrap() > 0.01);
}

/// A run directory as `nerve train` leaves it, for `nerve curves`: its config and its
/// evaluations' success rates (env steps, rate).
fn fake_run(root: &std::path::Path, name: &str, seed: u64, batch_size: u64, evals: &[(u64, f64)]) -> String {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let config = format!("[run]\nenv = \"PointReach-v0\"\npolicy = \"mlp\"\nagent = \"ddpg\"\nsteps = 8000\nseed = {seed}\n\n[agent]\nbatch_size = {batch_size}\n");
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let mut csv = String::from("env_steps,eval_return,eval_return_std,is_success,distance\n");
    for (steps, rate) in evals {
        csv += &format!("{steps},{},1,{rate},0.05\n", -50.0 * (1.0 - rate));
    }
    std::fs::write(dir.join("eval_metrics.csv"), csv).unwrap();
    dir.display().to_string()
}

#[test]
fn curves_average_each_config_over_its_seeds_and_find_the_steps_to_a_threshold() {
    let tmp = tempfile::tempdir().unwrap();
    let a0 = fake_run(tmp.path(), "a0", 0, 256, &[(2000, 0.2), (4000, 0.6), (6000, 0.95)]);
    let a1 = fake_run(tmp.path(), "a1", 1, 256, &[(2000, 0.0), (4000, 0.9)]); // still running
    let b0 = fake_run(tmp.path(), "b0", 0, 64, &[(2000, 0.5), (4000, 1.0)]);
    let out = tmp.path().join("fig").display().to_string();
    let (code, stdout, stderr) = nerve(&["curves", &a0, &a1, &b0, "--threshold", "0.9", "--out", &out]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("is_success: 3 run(s) in 2 group(s)"), "{stdout}");
    // Group a: at 4k (the last step both seeds have) mean (0.6 + 0.9)/2, worst 0.6, best 0.9; the
    // mean never reaches 0.9 at a common step; seed 0 reaches it at 6k, seed 1 at 4k.
    assert!(stdout.contains("batch_size=256\n  2 seed(s); at 4k env steps (the last evaluation all have reached): mean 0.75, worst 0.6, best 0.9"), "{stdout}");
    assert!(stdout.contains("steps to reach 0.9: mean not reached\n    seed 0              6k"), "{stdout}");
    assert!(stdout.contains("seed 1              4k"), "{stdout}");
    assert!(stdout.contains("batch_size=64\n  1 seed(s); at 4k env steps (the last evaluation all have reached): mean 1, worst 1, best 1\n  steps to reach 0.9: mean 4k"), "{stdout}");
    for ext in ["png", "svg"] {
        assert!(std::fs::metadata(format!("{out}.{ext}")).unwrap().len() > 1000, "{out}.{ext}");
    }
    assert!(!std::path::Path::new(&format!("{out}.tmp.png")).exists(), "no temporary file left");

    // Another metric, lower is better: the distance column.
    let (code, stdout, _) = nerve(&["curves", &b0, "--metric", "distance", "--threshold", "0.05", "--lower-is-better", "--out", &out]);
    assert_eq!(code, 0);
    assert!(stdout.contains("steps to reach 0.05: mean 2k"), "{stdout}");

    // Bad input: a directory that is not a run, a metric no run logs, the same run twice.
    let (code, _, stderr) = nerve(&["curves", tmp.path().to_str().unwrap(), "--out", &out]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a run directory of `nerve train` (it has no config.toml)"), "{stderr}");
    let (code, _, stderr) = nerve(&["curves", &a0, "--metric", "success", "--out", &out]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no column `success` to plot (eval_metrics.csv: env_steps, eval_return, eval_return_std, is_success, distance)"), "{stderr}");
    let (code, _, stderr) = nerve(&["curves", &a0, &a0, "--out", &out]);
    assert_eq!(code, 2);
    assert!(stderr.contains("the same run (seed 0) given twice"), "{stderr}");
}
