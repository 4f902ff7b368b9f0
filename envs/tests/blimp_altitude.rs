//! `BlimpAltitude-v0` and `BlimpAltitudeDisturbed-v0` against their doc table and Gymnasium's contract.

use envs::{make, make_with, Env, EnvError, EnvExt, Info, Shape, Space};

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

/// Runs `steps` steps of the constant command `u`; returns rewards and the infos' values of `keys`.
fn hold_command(env: &mut dyn Env, seed: u64, u: f32, steps: usize, keys: &[&str]) -> (Vec<f64>, Vec<Vec<f64>>, Vec<f32>) {
    fly(env, seed, |_| u, steps, keys)
}

/// A crude proportional hold with feed-forward for the nominal excess weight.
fn p_hold(obs: &[f32]) -> f32 {
    (0.2 + 0.8 * (obs[1] - obs[0])).clamp(-1.0, 1.0)
}

/// Flies `steps` steps of `controller`; returns rewards, the infos' values of `keys`, and observations.
fn fly(env: &mut dyn Env, seed: u64, controller: impl Fn(&[f32]) -> f32, steps: usize, keys: &[&str]) -> (Vec<f64>, Vec<Vec<f64>>, Vec<f32>) {
    let (mut obs, _) = env.reset_vec(Some(seed)).unwrap();
    let mut info = Info::default();
    let (mut rewards, mut values, mut observations) = (Vec::new(), Vec::new(), obs.clone());
    for _ in 0..steps {
        let s = env.step(&[controller(&obs)], &mut obs, &mut info).unwrap();
        rewards.push(s.reward);
        values.push(keys.iter().map(|k| info.get(k).unwrap_or(f64::NAN)).collect());
        observations.extend_from_slice(&obs);
        if s.done() {
            break;
        }
    }
    (rewards, values, observations)
}

#[test]
fn spaces_names_and_timing_are_as_documented() {
    for id in ["BlimpAltitude-v0", "BlimpAltitudeDisturbed-v0"] {
        let env = make(id).unwrap();
        let spec = env.spec();
        assert_eq!(spec.obs_dim(), 4);
        assert_eq!(spec.observation_names, ["measured_altitude", "reference_altitude", "measured_climb_rate", "reference_rate"]);
        let Space::Box(a) = &spec.action_space else { panic!("box action space") };
        assert_eq!((a.low.as_slice(), a.high.as_slice()), (&[-1.0][..], &[1.0][..]));
        assert_eq!((spec.dt, spec.max_episode_steps), (0.05, Some(1200)));
    }
}

#[test]
fn reward_is_minus_the_altitude_error_and_the_sensor_reads_one_period_late() {
    // No noise: the reading is the true altitude one control period (the default latency) earlier.
    let mut env = make_with("BlimpAltitude-v0", Some(&table("sensor.noise_std = 0.0"))).unwrap();
    let (rewards, values, obs) = hold_command(env.as_mut(), 3, 0.4, 200, &["altitude", "reference", "measured_altitude"]);
    for (k, (r, v)) in rewards.iter().zip(&values).enumerate() {
        assert!((r + (v[1] - v[0]).abs()).abs() < 1e-12, "step {k}: reward {r}, info {v:?}");
        assert_eq!(obs[4 * (k + 1)] as f64, v[2] as f32 as f64);
        if k > 0 {
            assert_eq!(v[2], values[k - 1][0], "step {k}: the reading is the previous altitude");
            // The climb rate is the difference of the last two readings.
            let rate = (values[k][2] - values[k - 1][2]) / 0.05;
            assert!((obs[4 * (k + 1) + 2] as f64 - rate).abs() < 1e-4);
        }
    }
    // u = 0.4 lifts 0.02 N against the 0.01 N excess weight: it climbs.
    assert!(values[199][0] > values[0][0] + 0.5);
}

#[test]
fn same_seed_same_episode_and_seeds_differ() {
    let run = |seed| {
        let mut env = make("BlimpAltitudeDisturbed-v0").unwrap();
        hold_command(env.as_mut(), seed, 0.2, 300, &["altitude", "reference", "measured_altitude", "disturbance_force"])
    };
    let (a, b, c) = (run(5), run(5), run(6));
    assert_eq!(a.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), b.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    assert_eq!(a.2, b.2);
    assert_ne!(a.2, c.2);
}

#[test]
fn leaving_the_flight_envelope_terminates_with_the_documented_penalty() {
    let mut env = make("BlimpAltitude-v0").unwrap();
    let (rewards, values, _) = hold_command(env.as_mut(), 0, -1.0, 1200, &["altitude", "reference", "crashed"]);
    let last = rewards.len() - 1;
    assert!(last < 1199, "full reverse thrust reaches the floor");
    assert!(values[last][0] < 0.0 && values[last][2] == 1.0);
    let left = 1200 - (last + 1);
    let expected = -(values[last][1] - values[last][0]).abs() - left as f64 * 5.0;
    assert!((rewards[last] - expected).abs() < 1e-9, "{} vs {expected}", rewards[last]);
    // Then the episode is over.
    let err = env.step_vec(&[0.0]).unwrap_err();
    assert!(matches!(err, EnvError::NeedsReset { .. }), "{err}");
}

#[test]
fn an_episode_runs_to_the_time_limit_and_reports_every_metric() {
    // A proportional hold visits the reference's holds without crashing in 60 s.
    let mut env = make("BlimpAltitude-v0").unwrap();
    let (mut obs, _) = env.reset_vec(Some(1)).unwrap();
    let mut info = Info::default();
    let mut steps = 0;
    loop {
        let s = env.step(&[p_hold(&obs)], &mut obs, &mut info).unwrap();
        steps += 1;
        if s.done() {
            assert!(s.truncated && !s.terminated);
            assert_eq!(info.truncation_reason.as_deref(), Some("time_limit"));
            break;
        }
    }
    assert_eq!(steps, 1200);
    for key in ["rmse", "overshoot", "rise_time", "settling_time", "steady_state_error"] {
        let v = info.get(key).unwrap_or_else(|| panic!("{key} missing"));
        assert!(v.is_finite() && v >= 0.0, "{key} = {v}");
    }
    assert!(info.get("rmse").unwrap() < 1.0);
}

#[test]
fn the_disturbed_task_has_gusts_and_takes_on_ballast_at_30_s() {
    let mut env = make("BlimpAltitudeDisturbed-v0").unwrap();
    let (_, values, _) = fly(env.as_mut(), 2, p_hold, 1200, &["net_lift", "disturbance_force"]);
    assert_eq!(values.len(), 1200);
    assert_eq!(values[598][0], -0.01);
    assert_eq!(values[600][0], -0.02);
    assert!(values.iter().any(|v| v[1] != 0.0), "no gust in 60 s");
    assert!(values.iter().all(|v| v[1].abs() <= 0.045));
    let mut nominal = make("BlimpAltitude-v0").unwrap();
    let (_, values, _) = fly(nominal.as_mut(), 2, p_hold, 1200, &["net_lift", "disturbance_force"]);
    assert_eq!(values.len(), 1200);
    assert!(values.iter().all(|v| v == &[-0.01, 0.0]));
}

#[test]
fn the_gondola_is_drawn_below_the_envelope_and_the_reference_beside_them() {
    let mut env = make("BlimpAltitude-v0").unwrap();
    let (obs, _) = env.reset_vec(Some(0)).unwrap();
    let state = env.render_state();
    let [envelope, gondola, reference] = &state.bodies[..] else { panic!("envelope, gondola and reference: {state:?}") };
    assert_eq!(reference.name, "reference");
    assert_eq!(reference.position[2], obs[1], "the plate is at the reference altitude");
    assert_eq!(state.floor, Some(0.0));
    assert!(matches!(envelope.shape, Shape::Ellipsoid { radii } if radii == [0.5, 0.3, 0.3]));
    assert!(matches!(gondola.shape, Shape::Cuboid { .. }));
    assert!((envelope.position[2] - gondola.position[2] - 0.35).abs() < 1e-5, "{state:?}");
}

#[test]
fn bad_configs_are_named() {
    let err = |text: &str| make_with("BlimpAltitude-v0", Some(&table(text))).unwrap_err().to_string();
    assert!(err("reference.high = 6.0").contains("leaves the flight envelope"));
    assert!(err("reference.low = -1.0").contains("leaves the flight envelope"));
    assert!(err("sensor.latency = 0.07").contains("latency"));
    assert!(err("blimp.motor_tau = 0.0").contains("motor_tau"));
    assert!(err("substeps = 0").contains("substeps"));
    assert!(err("reference.kind = \"zigzag\"").contains("zigzag"));
    assert!(err("wind = 1").contains("wind"));
    assert!(err("disturbances.ballast_change = -5.0").contains("ballast"));
    // The disturbed task's defaults hold under a partial override.
    let env = make_with("BlimpAltitudeDisturbed-v0", Some(&table("disturbances.gust_rate = 0.5"))).unwrap();
    assert_eq!(env.spec().id, "BlimpAltitudeDisturbed-v0");
    // NaN actions are errors, out-of-range ones clipped.
    let mut env = make("BlimpAltitude-v0").unwrap();
    env.reset_vec(Some(0)).unwrap();
    assert!(matches!(env.step_vec(&[f32::NAN]).unwrap_err(), EnvError::NonFiniteAction { .. }));
    assert!(env.step_vec(&[7.0]).is_ok());
}

#[test]
fn lost_readings_repeat_the_last_one() {
    let mut env = make_with("BlimpAltitude-v0", Some(&table("sensor.dropout_probability = 0.5"))).unwrap();
    let (_, values, obs) = hold_command(env.as_mut(), 4, 0.3, 400, &["sensor_dropout", "measured_altitude"]);
    let lost = values.iter().filter(|v| v[0] == 1.0).count();
    assert!((150..250).contains(&lost), "{lost} of 400 lost");
    for k in 1..values.len() {
        if values[k][0] == 1.0 {
            assert_eq!(values[k][1], values[k - 1][1]);
        }
        assert!(obs[4 * (k + 1)].is_finite());
    }
}
