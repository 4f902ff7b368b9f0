//! nerve's side of `tools/bench/rliable_check.py`: reads score matrices as JSON and prints
//! `bench::stats`' estimates with their intervals as JSON.
//!
//! Input: `{"scores": {"algo": [[run0 task0, run0 task1, …], …]}, "pairs": [["a", "b"]],
//! "taus": [...], "reps": 50000, "profile_reps": 2000, "confidence": 0.95, "seed": 0}`.
//!
//!     cargo run --release -p bench --example rliable_check -- input.json

use bench::stats::{self, Bootstrap, Interval, ScoreMatrix};
use serde_json::{json, Value};

fn interval(i: Interval) -> Value {
    json!({"point": i.point, "lo": i.lo, "hi": i.hi})
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: rliable_check INPUT.json");
        std::process::exit(2)
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("rliable_check: cannot read {path}: {e}");
        std::process::exit(2)
    });
    let input: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        eprintln!("rliable_check: {path} is not JSON: {e}");
        std::process::exit(2)
    });
    let number = |key: &str, default: f64| input.get(key).and_then(Value::as_f64).unwrap_or(default);
    let boot = Bootstrap { reps: number("reps", 50_000.0) as usize, confidence: number("confidence", 0.95), seed: number("seed", 0.0) as u64 };
    let profile_boot = Bootstrap { reps: number("profile_reps", 2000.0) as usize, ..boot };
    let taus: Vec<f64> = input["taus"].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
    let mut matrices = std::collections::BTreeMap::new();
    for (name, rows) in input["scores"].as_object().expect("`scores` is an object of matrices") {
        let rows: Vec<Vec<f64>> = serde_json::from_value(rows.clone()).expect("a matrix is a list of rows of numbers");
        matrices.insert(name.clone(), ScoreMatrix::from_rows(&rows).unwrap_or_else(|e| panic!("{name}: {e}")));
    }
    let mut out = serde_json::Map::new();
    for (name, s) in &matrices {
        let profile = stats::intervals(s, |m| stats::performance_profile(m, &taus), &profile_boot);
        out.insert(
            name.clone(),
            json!({
                "iqm": interval(stats::interval(s, stats::iqm, &boot)),
                "median": interval(stats::interval(s, stats::median, &boot)),
                "mean": interval(stats::interval(s, stats::mean, &boot)),
                "optimality_gap": interval(stats::interval(s, |m| stats::optimality_gap(m, 1.0), &boot)),
                "profile": profile.into_iter().map(interval).collect::<Vec<_>>(),
            }),
        );
    }
    let mut pairs = serde_json::Map::new();
    for pair in input["pairs"].as_array().cloned().unwrap_or_default() {
        let (x, y) = (pair[0].as_str().expect("pair names"), pair[1].as_str().expect("pair names"));
        let i = stats::probability_of_improvement_interval(&matrices[x], &matrices[y], &boot);
        pairs.insert(format!("{x},{y}"), interval(i));
    }
    out.insert("probability_of_improvement".into(), Value::Object(pairs));
    println!("{}", Value::Object(out));
}
