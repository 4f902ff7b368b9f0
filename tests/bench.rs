//! `nerve bench`: a grid listed, run, reused and reported from the command line; bad input
//! refused before any cell runs, naming the file and the key.

use std::process::Command;

fn nerve(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nerve")).args(args).output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const SCENARIO: &str = r#"
question = "Does the cascaded PI track DcSeriesSpeed-v0's reference better than doing nothing?"
[seeds]
eval = { first = 1000, count = 3 }
[[env]]
id = "DcSeriesSpeed-v0"
config = { max_episode_steps = 500 }
[[entry]]
name = "cascaded-pi"
controller = "cascaded-pi"
[[entry]]
name = "zero"
controller = "zero"
[report]
metrics = ["rmse"]
primary = "rmse"
pairs = [["cascaded-pi", "zero"]]
bootstrap_reps = 200
"#;

#[test]
fn bench_lists_runs_reuses_and_reports_a_grid() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("pi-vs-zero.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let out = tmp.path().join("out");
    let (f, o) = (file.to_str().unwrap(), out.to_str().unwrap());

    let (code, stdout, stderr) = nerve(&["bench", f, "--dry-run", "--out", o]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("2 cells, 0 finished"), "{stdout}");
    assert!(!out.exists(), "--dry-run writes nothing");

    let (code, stdout, stderr) = nerve(&["bench", f, "--out", o, "--jobs", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("P(cascaded-pi > zero) on rmse"), "{stdout}");
    for name in ["report.md", "report.json", "scores.csv", "scores.json", "curves.csv", "aggregate.png", "aggregate.svg"] {
        assert!(out.join(name).exists(), "{name} missing");
    }
    let first: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let pi = first["per_variant"]["rmse"]["DcSeriesSpeed-v0"]["cascaded-pi"]["mean"]["point"].as_f64().unwrap();
    let zero = first["per_variant"]["rmse"]["DcSeriesSpeed-v0"]["zero"]["mean"]["point"].as_f64().unwrap();
    assert!(pi < zero, "the PI tracks better than zero voltage: {pi} vs {zero}");

    // Listed as finished, rerun without running, rebuilt from the cells: the same results.
    let (_, stdout, _) = nerve(&["bench", f, "--dry-run", "--out", o]);
    assert!(stdout.contains("2 cells, 2 finished"), "{stdout}");
    let (code, stdout, _) = nerve(&["bench", f, "--out", o]);
    assert!(code == 0 && stdout.contains("reused 2 finished cells"), "{stdout}");
    let (code, _, stderr) = nerve(&["bench", f, "--report-only", "--out", o]);
    assert_eq!(code, 0, "{stderr}");
    let mut again: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let mut first = first;
    first.as_object_mut().unwrap().remove("provenance");
    again.as_object_mut().unwrap().remove("provenance");
    assert_eq!(first, again);

    // One cell by its key, as another scheduler would run it.
    let key = stdout_key(&nerve(&["bench", f, "--dry-run", "--out", o]).1);
    let other = tmp.path().join("other");
    let (code, stdout, stderr) = nerve(&["bench", f, "--cell", &key, "--out", other.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("cell {key} finished")), "{stdout}");
    assert!(other.join("cells").join(&key).join("record.json").exists() && !other.join("report.json").exists());
    let (code, _, stderr) = nerve(&["bench", f, "--report-only", "--out", other.to_str().unwrap()]);
    assert!(code != 0 && stderr.contains("1 of 2 cells are not finished"), "{stderr}");
    let (code, _, stderr) = nerve(&["bench", f, "--cell", "0123456789abcdef0123", "--out", o]);
    assert!(code != 0 && stderr.contains("no cell with that key"), "{stderr}");
}

fn stdout_key(dry_run: &str) -> String {
    dry_run.lines().nth(2).and_then(|l| l.split_whitespace().next()).expect("a cell line").to_string()
}

#[test]
fn bad_scenarios_are_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cases = [
        ("question = \"q\"\n[seeds\n", "expected"),
        (&SCENARIO.replace("[report]", "[report]\ncolour = 1"), "unknown field `colour`"),
        (&SCENARIO.replace("DcSeriesSpeed-v0", "DcSeriesSpeed-v9"), "DcSeriesSpeed-v9"),
        (&SCENARIO.replace("controller = \"zero\"", "controller = \"pdi\""), "pdi"),
        (&SCENARIO.replace("metrics = [\"rmse\"]", "metrics = [\"success\"]"), "`success`"),
    ];
    for (text, needle) in cases {
        let file = tmp.path().join("bad.toml");
        std::fs::write(&file, text).unwrap();
        let (code, _, stderr) = nerve(&["bench", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("bad.toml") && stderr.contains(needle), "expected `{needle}` in: {stderr}");
        assert!(!out.exists(), "nothing is written for a bad scenario");
    }
    let (code, _, stderr) = nerve(&["bench", "scenarios/motor-speed.toml", "--scale", "0", "--out", out.to_str().unwrap()]);
    assert!(code == 2 && stderr.contains("--scale 0"), "{stderr}");
    let (code, _, stderr) = nerve(&["bench", "no/such/file.toml"]);
    assert!(code == 2 && stderr.contains("no/such/file.toml"), "{stderr}");
}
