//! The swimmer's physics against analytic cases.

use bodies::fluid::InertiaBoxDrag;
use bodies::soft_limit::SoftLimitParams;
use bodies::swimmer::{Swimmer, SwimmerParams, SwimmerState};

fn at_rest(root: [f32; 3], joints: Vec<f32>) -> SwimmerState {
    SwimmerState { root, root_vel: [0.0; 3], joint_vels: vec![0.0; joints.len()], joints }
}

/// A straight swimmer translating perpendicular to its links moves as N independent links:
/// `m v̇ = −c v|v|`, so `v(t) = v0 / (1 + k v0 t)` with `k = c/m = ½ρ s_y s_z / m`.
fn coasting(direction: [f32; 2], k_formula: f64) {
    let params = SwimmerParams { physics_dt: 2.5e-4, solver_substeps: 1, ..SwimmerParams::with_links(3) };
    let mut s = Swimmer::new(params.clone()).unwrap();
    let v0 = 0.05_f64;
    let mut state = at_rest([0.0, 0.0, 0.0], vec![0.0, 0.0]);
    state.root_vel = [direction[0] * v0 as f32, direction[1] * v0 as f32, 0.0];
    s.set_state(&state);
    let steps_per_tenth = (0.1 / params.physics_dt).round() as usize;
    for tenth in 1..=10 {
        s.step(&[0.0, 0.0], steps_per_tenth);
        let t = tenth as f64 * 0.1;
        let want = v0 / (1.0 + k_formula * v0 * t);
        for link in s.links() {
            let [vx, vy] = link.velocity;
            let got = (vx * direction[0] + vy * direction[1]) as f64;
            assert!((got - want).abs() / want < 5e-3, "t = {t}: v = {got}, formula {want}");
            assert!(link.angular_velocity.abs() < 1e-6);
        }
    }
    assert!(s.joint_angles().iter().all(|q| q.abs() < 1e-6), "the chain stays straight");
}

#[test]
fn sideways_coasting_decays_as_quadratic_drag() {
    let p = SwimmerParams::default();
    let size = p.link_half_sizes.map(|h| 2.0 * h);
    let k = InertiaBoxDrag::new(size, p.fluid_density).force_coeff[0] as f64 / p.link_mass;
    assert!((k - 300.0).abs() < 1e-3, "½·3000·0.1·0.02 / 0.01 = 300 /m, got {k}");
    coasting([1.0, 0.0], k);
}

#[test]
fn axial_coasting_decays_as_quadratic_drag() {
    let p = SwimmerParams::default();
    let size = p.link_half_sizes.map(|h| 2.0 * h);
    let k = InertiaBoxDrag::new(size, p.fluid_density).force_coeff[1] as f64 / p.link_mass;
    assert!((k - 6.0).abs() < 1e-4, "½·3000·0.02·0.002 / 0.01 = 6 /m, got {k}");
    coasting([0.0, 1.0], k);
}

/// Held at full torque, each hinge comes to rest past its range where the soft limit's spring
/// balances the motor: `k·d(r)²/((1 − d(r))·A₀)·r = gear` (MuJoCo's limit at equilibrium).
#[test]
fn joint_ranges_hold_under_full_torque() {
    for u in [1.0_f32, -1.0] {
        let mut s = Swimmer::new(SwimmerParams::with_links(6)).unwrap();
        let range = s.joint_range() as f64;
        s.set_state(&at_rest([0.0; 3], vec![0.0; 5]));
        let mut max_overshoot = 0.0_f64;
        for _ in 0..400 {
            s.step(&[u; 5], 2);
            for q in s.joint_angles() {
                max_overshoot = max_overshoot.max(q.abs() as f64 - range);
            }
        }
        let limit = SoftLimitParams::SWIMMER;
        let (_, k) = limit.gains();
        let gear = s.params().gear;
        for (j, (&q, &a0)) in s.joint_angles().iter().zip(s.inv_weight0()).enumerate() {
            let held = |r: f64| {
                let d = limit.impedance(r);
                k * d * d / ((1.0 - d) * a0) * r - gear
            };
            let (mut lo, mut hi) = (1e-6, 0.1);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if held(mid) > 0.0 { hi = mid } else { lo = mid }
            }
            let want = (range + lo) * u.signum() as f64;
            assert!((q as f64 - want).abs() < 2e-3, "u = {u}, hinge {j}: q = {q}, equilibrium {want}");
            assert_eq!(q.signum(), u.signum());
        }
        assert!(max_overshoot < 0.1, "transient overshoot {max_overshoot} rad stays within solimp's width");
        assert!(s.joint_velocities().iter().all(|v| v.abs() < 1e-3), "at rest");
    }
}

#[test]
fn nothing_moves_without_torque_or_velocity() {
    let mut s = Swimmer::new(SwimmerParams::with_links(6)).unwrap();
    let start = at_rest([0.3, -0.2, 1.1], vec![0.5, -0.4, 0.9, -1.0, 0.2]);
    s.set_state(&start);
    s.step(&[0.0; 5], 200);
    let end = s.state();
    assert_eq!(end.joint_vels, vec![0.0; 5]);
    assert_eq!(end.root_vel, [0.0; 3]);
    for (a, b) in end.joints.iter().zip(&start.joints) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    for (a, b) in end.root.iter().zip(&start.root) {
        assert!((a - b).abs() < 1e-6);
    }
}

/// Mirroring the swimmer about the world's y axis (x → −x, angles → −angles) and its controls
/// (u → −u) mirrors the whole trajectory.
#[test]
fn mirrored_state_gives_mirrored_trajectory() {
    let state = SwimmerState {
        root: [0.02, 0.01, 0.4],
        root_vel: [0.03, -0.02, 0.5],
        joints: vec![0.3, -0.6, 0.9, 0.1, -1.0],
        joint_vels: vec![1.0, -0.5, 0.2, 2.0, -1.5],
    };
    let mirror = SwimmerState {
        root: [-state.root[0], state.root[1], -state.root[2]],
        root_vel: [-state.root_vel[0], state.root_vel[1], -state.root_vel[2]],
        joints: state.joints.iter().map(|q| -q).collect(),
        joint_vels: state.joint_vels.iter().map(|v| -v).collect(),
    };
    let mut a = Swimmer::new(SwimmerParams::with_links(6)).unwrap();
    let mut b = Swimmer::new(SwimmerParams::with_links(6)).unwrap();
    a.set_state(&state);
    b.set_state(&mirror);
    for step in 0..300 {
        let u: Vec<f32> = (0..5).map(|j| ((step as f32 * 0.1) + j as f32).sin()).collect();
        let mu: Vec<f32> = u.iter().map(|x| -x).collect();
        a.step(&u, 2);
        b.step(&mu, 2);
        let (qa, qb) = (a.qpos(), b.qpos());
        let tol = 1e-4;
        assert!((qa[0] + qb[0]).abs() < tol && (qa[1] - qb[1]).abs() < tol, "step {step}: root {qa:?} vs {qb:?}");
        for k in 2..qa.len() {
            assert!((qa[k] + qb[k]).abs() < tol, "step {step}, coordinate {k}: {} vs {}", qa[k], qb[k]);
        }
    }
    assert!(a.qpos()[1].abs() > 1e-3, "the swimmer did move");
}

#[test]
fn same_state_and_controls_give_the_same_trajectory_bit_for_bit() {
    let run = || {
        let mut s = Swimmer::new(SwimmerParams::with_links(7)).unwrap();
        s.set_state(&at_rest([0.0, 0.0, 0.7], vec![0.2, -0.1, 0.4, 0.3, -0.8, 0.5]));
        let mut trace = Vec::new();
        for step in 0..200 {
            let u: Vec<f32> = (0..6).map(|j| ((step * 7 + j * 3) % 11) as f32 / 5.0 - 1.0).collect();
            s.step(&u, 2);
            trace.extend_from_slice(s.qpos());
            trace.extend_from_slice(s.qvel());
        }
        trace
    };
    let (a, b) = (run(), run());
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
}

/// Controls that hit the joint limits often (so the limit history matters).
fn bang_bang(step: usize, n: usize) -> Vec<f32> {
    (0..n).map(|j| if (step / 9 + j) % 2 == 0 { 1.0 } else { -1.0 }).collect()
}

#[test]
fn a_restored_snapshot_continues_the_trajectory_bit_for_bit() {
    let trace = |s: &mut Swimmer, from: usize, steps: usize| {
        let mut out = Vec::new();
        for step in from..from + steps {
            s.step(&bang_bang(step, 5), 2);
            out.extend(s.qpos().iter().chain(s.qvel()).map(|x| x.to_bits()));
        }
        out
    };
    let mut original = Swimmer::new(SwimmerParams::default()).unwrap();
    original.set_state(&at_rest([0.1, -0.2, 0.7], vec![0.2, -0.1, 0.4, 0.3, -0.8]));
    trace(&mut original, 0, 137);
    let bytes = original.snapshot();
    let expected = trace(&mut original, 137, 300);

    // Into a fresh swimmer, and into one that has meanwhile moved elsewhere.
    let mut fresh = Swimmer::new(SwimmerParams::default()).unwrap();
    fresh.restore(&bytes).unwrap();
    assert_eq!(trace(&mut fresh, 137, 300), expected);
    let mut moved = Swimmer::new(SwimmerParams::default()).unwrap();
    trace(&mut moved, 0, 50);
    moved.restore(&bytes).unwrap();
    assert_eq!(trace(&mut moved, 137, 300), expected);

    // Generalised coordinates alone do not carry enough to continue exactly: this is why the
    // snapshot holds the Rapier world and the limit history. (If this ever passes, `set_state`
    // suffices and the snapshot could shrink.)
    let mut from_state = Swimmer::new(SwimmerParams::default()).unwrap();
    from_state.restore(&bytes).unwrap();
    let state = from_state.state();
    from_state.set_state(&state);
    assert_ne!(trace(&mut from_state, 137, 300), expected);
}

#[test]
fn a_snapshot_of_another_swimmer_or_garbage_is_refused() {
    let six = Swimmer::new(SwimmerParams::default()).unwrap();
    let mut seven = Swimmer::new(SwimmerParams::with_links(7)).unwrap();
    let before = seven.state();
    let err = seven.restore(&six.snapshot()).unwrap_err();
    assert!(err.to_string().contains("other parameters"), "{err}");
    let err = seven.restore(b"not cbor at all").unwrap_err();
    assert!(err.to_string().contains("not a readable swimmer snapshot"), "{err}");
    let bytes = six.snapshot();
    assert!(seven.restore(&bytes[..bytes.len() / 2]).is_err());
    assert_eq!(seven.state(), before);
}

#[test]
fn any_n_from_three_builds_and_swims() {
    for n in [3, 4, 9, 13, 20] {
        let mut s = Swimmer::new(SwimmerParams::with_links(n)).unwrap();
        assert_eq!(s.n_joints(), n - 1);
        assert!((s.joint_range() as f64 - 2.0 * std::f64::consts::PI / n as f64).abs() < 1e-6);
        s.set_state(&at_rest([0.0; 3], vec![0.0; n - 1]));
        for step in 0..100 {
            let u: Vec<f32> = (0..n - 1).map(|j| ((step as f32) * 0.3 - j as f32).sin()).collect();
            s.step(&u, 2);
        }
        assert!(s.is_finite());
        assert!(s.joint_angles().iter().any(|q| q.abs() > 0.05), "N = {n}: the hinges moved");
    }
}

#[test]
fn invalid_parameters_are_named() {
    let err = Swimmer::new(SwimmerParams::with_links(2)).unwrap_err();
    assert_eq!(err.parameter, "n_links");
    assert!(err.to_string().contains("3..=64"), "{err}");
    let err = Swimmer::new(SwimmerParams { physics_dt: -0.01, ..SwimmerParams::default() }).unwrap_err();
    assert_eq!(err.parameter, "physics_dt");
    let err = Swimmer::new(SwimmerParams { link_mass: f64::NAN, ..SwimmerParams::default() }).unwrap_err();
    assert_eq!(err.parameter, "link_mass");
    let err = Swimmer::new(SwimmerParams { solver_substeps: 0, ..SwimmerParams::default() }).unwrap_err();
    assert_eq!(err.parameter, "solver_substeps");
}
