//! The cascaded PI on DC speed tasks: a speed step settles without steady-state error, the
//! current stays within its nominal value, and unsuitable envs are refused by name.

use controllers::{make, run_episode_observed};
use envs::make_with;

fn step_response(id: &str) -> (Vec<f64>, Vec<f64>) {
    let cfg: toml::Table = "max_episode_steps = 4000\n[reference]\ntype = \"constant\"\nvalue = 0.25".parse().unwrap();
    let mut env = make_with(id, Some(&cfg)).unwrap();
    let mut pi = make("cascaded-pi", env.spec(), None).unwrap();
    let (mut omega, mut current) = (Vec::new(), Vec::new());
    let mut state = Vec::new();
    run_episode_observed(env.as_mut(), pi.as_mut(), 0, |env, _| {
        env.physical_state(&mut state);
        let get = |n: &str| state.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
        omega.push(get("omega").unwrap());
        current.push(get("i").or(get("i_a")).unwrap());
    })
    .unwrap();
    (omega, current)
}

#[test]
fn a_speed_step_settles_without_steady_state_error() {
    for id in ["DcPermExSpeed-v0", "DcSeriesSpeed-v0", "DcExtExSpeed-v0"] {
        let (omega, current) = step_response(id);
        let target = 0.25 * 400.0;
        let last = *omega.last().unwrap();
        let peak = omega.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        assert!((last - target).abs() < 1e-3 * target, "{id}: ω = {last}, reference {target}");
        assert!(peak < 1.02 * target, "{id}: overshoot to {peak}");
        // The current reference is limited to the nominal current (97 A); the current follows it.
        assert!(current.iter().all(|i| i.abs() < 1.05 * 97.0), "{id}: current peak {}", current.iter().cloned().fold(0.0, f64::max));
    }
}

#[test]
fn envs_it_cannot_drive_are_refused_by_name() {
    for (id, needle) in [("PmsmSpeed-v0", "dc_kind"), ("DcPermExSpeedFinite-v0", "discrete action space"), ("DcPermExTorque-v0", "omega_ref")] {
        let env = envs::make(id).unwrap();
        let err = make("cascaded-pi", env.spec(), None).unwrap_err().to_string();
        assert!(err.contains(needle), "{id}: {err}");
    }
    let env = envs::make("DcPermExSpeed-v0").unwrap();
    let cfg: toml::Table = "a = 0.5".parse().unwrap();
    assert!(make("cascaded-pi", env.spec(), Some(&cfg)).unwrap_err().to_string().contains("`a`"));
}
