//! The blimp against analytic cases: terminal velocity under net lift and drag, the thruster's
//! first-order step response, its dead-zone and saturation.

use bodies::blimp::{Blimp, BlimpParams};

/// Rising under a net lift L against quadratic drag k·v|v| (k = ½ρC_zA_z), from rest:
/// v(t) = v_t·tanh(t·√(L·k)/m) with terminal velocity v_t = √(L/k).
#[test]
fn free_rise_follows_the_tanh_law_to_terminal_velocity() {
    for net_lift in [0.01, -0.02] {
        let params = BlimpParams { net_lift, ..BlimpParams::default() };
        let (m, k) = (params.mass(), params.drag_constants()[2]);
        let v_t = net_lift.signum() * (net_lift.abs() / k).sqrt();
        let rate = (net_lift.abs() * k).sqrt() / m;
        let mut blimp = Blimp::new(params).unwrap();
        for step in 1..=1500 {
            blimp.step(0.0, 1);
            let t = step as f64 * 0.01;
            let expected = v_t * (t * rate).tanh();
            let v = blimp.vertical_velocity();
            assert!((v - expected).abs() <= 0.01 * v_t.abs() + 1e-4, "t = {t:.2} s: v = {v:.5} m/s, formula {expected:.5}");
        }
        assert!((blimp.vertical_velocity() / v_t - 1.0).abs() < 0.005, "terminal {:.5} vs {v_t:.5}", blimp.vertical_velocity());
        // Straight up or down: the righting couple keeps it upright, nothing pushes it sideways.
        let s = blimp.state();
        assert!(s.position[0].abs() < 1e-5 && s.position[1].abs() < 1e-5 && s.rotation[3] > 0.99999, "{s:?}");
    }
}

#[test]
fn thrust_follows_its_target_with_the_motor_time_constant() {
    let params = BlimpParams::default();
    let tau = params.motor_tau;
    let mut blimp = Blimp::new(params).unwrap();
    let target = blimp.target_thrust(0.8);
    assert!((target - 0.8 * 0.05).abs() < 1e-12);
    for step in 1..=100 {
        blimp.step(0.8, 1);
        let t = step as f64 * 0.01;
        let expected = target * (1.0 - (-t / tau).exp());
        assert!((blimp.thrust() - expected).abs() < 1e-12, "t = {t}: {} vs {expected}", blimp.thrust());
    }
    // At one time constant, 63.2% of the step.
    let mut blimp = Blimp::new(BlimpParams::default()).unwrap();
    blimp.step(1.0, 10);
    assert!((blimp.thrust() / 0.05 - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
}

#[test]
fn dead_zone_saturation_and_weaker_reverse_thrust() {
    let blimp = Blimp::new(BlimpParams::default()).unwrap();
    assert_eq!(blimp.target_thrust(0.049), 0.0);
    assert_eq!(blimp.target_thrust(-0.049), 0.0);
    assert_eq!(blimp.target_thrust(3.0), 0.05);
    assert_eq!(blimp.target_thrust(-3.0), -0.03);
    assert_eq!(blimp.target_thrust(f64::NAN), 0.0);
    assert!((blimp.target_thrust(0.5) - 0.025).abs() < 1e-15);
    assert!((blimp.target_thrust(-0.5) + 0.015).abs() < 1e-15);
}

/// Full upward thrust against a heavy blimp: the steady climb rate balances thrust + net lift
/// against drag, √((T + L)/k).
#[test]
fn steady_climb_under_thrust_balances_drag() {
    let params = BlimpParams::default();
    let k = params.drag_constants()[2];
    let expected = ((params.max_thrust_up + params.net_lift) / k).sqrt();
    let mut blimp = Blimp::new(params).unwrap();
    blimp.step(1.0, 2000);
    assert!((blimp.vertical_velocity() / expected - 1.0).abs() < 0.005, "{} vs {expected}", blimp.vertical_velocity());
}

#[test]
fn invalid_parameters_are_named() {
    let bad = |p: BlimpParams| Blimp::new(p).unwrap_err().to_string();
    assert!(bad(BlimpParams { motor_tau: 0.0, ..Default::default() }).contains("motor_tau"));
    assert!(bad(BlimpParams { dead_zone: 1.0, ..Default::default() }).contains("dead_zone"));
    assert!(bad(BlimpParams { net_lift: 5.0, ..Default::default() }).contains("net_lift"));
    assert!(bad(BlimpParams { envelope_mass: -0.1, ..Default::default() }).contains("envelope_mass"));
}

/// A vertical gust F adds to the net lift: the blimp settles at √((L + F)/k).
#[test]
fn a_gust_force_and_a_ballast_change_shift_the_terminal_velocity() {
    let params = BlimpParams::default();
    let k = params.drag_constants()[2];
    let mut blimp = Blimp::new(params.clone()).unwrap();
    blimp.set_disturbance_force([0.0, 0.0, 0.03]).unwrap();
    blimp.step(0.0, 2000);
    let expected = ((params.net_lift + 0.03) / k).sqrt();
    assert!((blimp.vertical_velocity() / expected - 1.0).abs() < 0.005, "{} vs {expected}", blimp.vertical_velocity());
    // Ballast taken on: the net lift drops to −0.03 N, and with the gust gone it sinks at √(0.03/k).
    blimp.set_disturbance_force([0.0; 3]).unwrap();
    blimp.set_net_lift(-0.03).unwrap();
    blimp.step(0.0, 2000);
    let expected = -(0.03 / k).sqrt();
    assert!((blimp.vertical_velocity() / expected - 1.0).abs() < 0.005, "{} vs {expected}", blimp.vertical_velocity());
    // Bad values are named and change nothing.
    assert!(blimp.set_net_lift(10.0).unwrap_err().to_string().contains("net_lift"));
    assert!(blimp.set_disturbance_force([f64::NAN, 0.0, 0.0]).unwrap_err().to_string().contains("disturbance_force"));
    assert_eq!(blimp.params().net_lift, -0.03);
}

#[test]
fn snapshot_and_restore_continue_the_trajectory_exactly() {
    let mut blimp = Blimp::new(BlimpParams::default()).unwrap();
    blimp.set_disturbance_force([0.01, 0.0, 0.005]).unwrap();
    blimp.step(0.7, 50);
    let bytes = blimp.snapshot();
    blimp.step(-0.4, 80);
    let expected = blimp.state();
    let mut other = Blimp::new(BlimpParams::default()).unwrap();
    other.restore(&bytes).unwrap();
    other.step(-0.4, 80);
    assert_eq!(other.state(), expected);
    assert!(other.restore(b"not cbor").unwrap_err().to_string().contains("not a readable blimp snapshot"));
    let mut small = Blimp::new(BlimpParams { gondola_mass: 0.02, ..Default::default() }).unwrap();
    assert!(small.restore(&bytes).unwrap_err().to_string().contains("other parameters"));
}
