//! Helpers shared by the bodies' integration tests: the MuJoCo fixtures under the workspace's
//! `tests/fixtures/`.

use serde_json::Value;

/// The JSON fixture `tests/fixtures/{name}`. Found from the manifest directory cargo gives the
/// running test, not the one compiled in: a target directory shared between clones may hold a
/// test binary built in another one.
pub fn fixture(name: &str) -> Value {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = format!("{root}/../tests/fixtures/{name}");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))).expect("fixture is JSON")
}

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}
