//! The cascaded PI on DC speed tasks: a speed step settles without steady-state error, the
//! current stays within its nominal value, and unsuitable envs are refused by name.

use controllers::{make, run_episode_observed};
use envs::make_with;

fn step_response(id: &str) -> (Vec<f64>, Vec<f64>) {
    let (omega, currents) = step_response_of(id, 0.25, "", &["i", "i_a"]);
    (omega, currents.into_iter().map(|i| i[0]).collect())
}

/// ω (rad/s) and the named currents (A, the first present of each) of `cascaded-pi` (options
/// `controller_cfg`) following a constant speed reference `value` (normalised) from rest.
fn step_response_of(id: &str, value: f64, controller_cfg: &str, currents: &[&str]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let cfg: toml::Table = format!("max_episode_steps = 4000\n[reference]\ntype = \"constant\"\nvalue = {value}").parse().unwrap();
    let mut env = make_with(id, Some(&cfg)).unwrap();
    let controller_cfg: toml::Table = controller_cfg.parse().unwrap();
    let mut pi = make("cascaded-pi", env.spec(), Some(&controller_cfg)).unwrap();
    let (mut omega, mut current) = (Vec::new(), Vec::new());
    let mut state = Vec::new();
    run_episode_observed(env.as_mut(), pi.as_mut(), 0, |env, _| {
        env.physical_state(&mut state);
        let get = |n: &str| state.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
        omega.push(get("omega").unwrap());
        current.push(currents.iter().filter_map(|n| get(n)).collect::<Vec<_>>());
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
    for (id, needle) in [("PmsmCurrent-v0", "omega_ref"), ("DcPermExSpeedFinite-v0", "discrete action space"), ("DcPermExTorque-v0", "omega_ref"), ("BlimpAltitude-v0", "dc_kind")] {
        let env = envs::make(id).unwrap();
        let err = make("cascaded-pi", env.spec(), None).unwrap_err().to_string();
        assert!(err.contains(needle), "{id}: {err}");
    }
    let env = envs::make("DcPermExSpeed-v0").unwrap();
    let cfg: toml::Table = "a = 0.5".parse().unwrap();
    assert!(make("cascaded-pi", env.spec(), Some(&cfg)).unwrap_err().to_string().contains("`a`"));
    let cfg: toml::Table = "angle_advance = -1.0".parse().unwrap();
    assert!(make("cascaded-pi", env.spec(), Some(&cfg)).unwrap_err().to_string().contains("`angle_advance`"));
}

/// The PMSM's field-oriented cascade: a step to a quarter of the speed limit (104.7 rad/s) settles
/// without steady-state error, the currents stay on the MTPA curve within the nominal current,
/// and the voltage stays within the bridge (actions in [−1, 1] are what the env accepts).
#[test]
fn the_pmsm_speed_step_settles_with_mtpa_currents_within_nominal() {
    let (omega, currents) = step_response_of("PmsmSpeed-v0", 0.25, "", &["i_sd", "i_sq"]);
    let target = 0.25 * 4000.0 * std::f64::consts::PI / 30.0;
    let last = *omega.last().unwrap();
    let peak = omega.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert!((last - target).abs() < 1e-3 * target, "ω = {last}, reference {target}");
    assert!(peak < 1.05 * target, "overshoot to {peak}");
    let rise = omega.iter().position(|&w| w >= 0.9 * target).unwrap();
    // Torque-limited: 160.6 N·m on 0.03884 kg·m² reaches 94 rad/s in 23 ms; the loops add little.
    assert!(rise as f64 * 1e-4 < 0.03, "90% after {} ms", rise as f64 * 0.1);
    // The current loop overshoots its first ramp by a few per cent, well inside the 400 A limit.
    let peak_current = currents.iter().map(|i| i[0].hypot(i[1])).fold(0.0, f64::max);
    assert!(peak_current < 1.1 * 240.0, "|i| peaks at {peak_current} A");
    // While the acceleration is torque-limited, the currents sit at the MTPA point of the nominal
    // current (−151.0 A, 186.6 A for GEM's motor).
    let [i_d, i_q] = bodies::motor::pmsm::PmsmParams::default().mtpa_point(240.0);
    let plateau: Vec<_> = omega.iter().zip(&currents).filter(|(w, _)| (0.35 * target..0.85 * target).contains(*w)).collect();
    assert!(plateau.len() > 100, "{} steps", plateau.len());
    for (_, i) in plateau {
        assert!((i[0] - i_d).abs() < 0.01 * 240.0 && (i[1] - i_q).abs() < 0.01 * 240.0, "[{}, {}] A, MTPA [{i_d}, {i_q}]", i[0], i[1]);
    }
    // The angle advance is an option; half a step changes little at this speed.
    let (advanced, _) = step_response_of("PmsmSpeed-v0", 0.25, "angle_advance = 0.5", &["i_sd"]);
    assert!((advanced.last().unwrap() - target).abs() < 1e-3 * target);
}
