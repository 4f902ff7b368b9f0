//! The swimmer against MuJoCo 3.17 (dm_control's swimmer6): the same state and
//! controls must give the same accelerations. The fixture
//! `tests/fixtures/mujoco_swimmer6.json` is written by `tools/fidelity/mujoco_fixture.py`.

mod common;

use bodies::swimmer::{Swimmer, SwimmerParams, SwimmerState};
use common::{fixture, floats};
use serde_json::Value;

/// MuJoCo's root coordinates are the slide displacement of the head's pivot (y = −0.05 in the
/// head frame); nerve's are the head's centre of mass. Hinges are the same.
fn state_from_mujoco(case: &Value) -> SwimmerState {
    let qpos = floats(&case["qpos"]);
    let qvel = floats(&case["qvel"]);
    let head_com = floats(&case["after_forward"]["bodies"][0]["xipos"]);
    let (yaw, w) = (qpos[2], qvel[2]);
    SwimmerState {
        root: [head_com[0] as f32, head_com[1] as f32, yaw as f32],
        root_vel: [(qvel[0] - 0.05 * w * yaw.cos()) as f32, (qvel[1] - 0.05 * w * yaw.sin()) as f32, w as f32],
        joints: qpos[3..].iter().map(|&q| q as f32).collect(),
        joint_vels: qvel[3..].iter().map(|&v| v as f32).collect(),
    }
}

#[test]
fn inverse_inertia_matches_dof_invweight0() {
    let fx = fixture("mujoco_swimmer6.json");
    let want = floats(&fx["model"]["dof_invweight0"]);
    let swimmer = Swimmer::new(SwimmerParams::with_links(6)).unwrap();
    for (j, (got, want)) in swimmer.inv_weight0().iter().zip(&want[3..]).enumerate() {
        assert!((got - want).abs() / want < 5e-4, "hinge {j}: {got} vs MuJoCo {want}");
    }
}

#[test]
fn link_velocities_match_mujoco() {
    let fx = fixture("mujoco_swimmer6.json");
    for case in fx["cases"].as_array().unwrap() {
        let mut s = Swimmer::new(SwimmerParams::with_links(6)).unwrap();
        s.set_state(&state_from_mujoco(case));
        for (i, (link, body)) in s.links().iter().zip(case["after_forward"]["bodies"].as_array().unwrap()).enumerate() {
            let want_v = floats(&body["local_linvel_com"]);
            let want_p = floats(&body["xipos"]);
            let got_v = link.local_velocity();
            for a in 0..2 {
                assert!((got_v[a] as f64 - want_v[a]).abs() < 1e-5, "case {} link {i}: v {got_v:?} vs {want_v:?}", case["case"]);
                assert!((link.position[a] as f64 - want_p[a]).abs() < 1e-5, "case {} link {i}: p", case["case"]);
            }
            let want_w = floats(&body["local_angvel_com"])[2];
            assert!((link.angular_velocity as f64 - want_w).abs() < 1e-5);
        }
    }
}

/// Accelerations at the fixture's state from very short physics steps: after a first step,
/// which gives the limits their estimate of the unconstrained acceleration (as every step
/// after a reset has), the finite differences of the next two steps sample `a` at `dt` and
/// `2·dt` (forces are evaluated at the start of a step) and are extrapolated linearly back to
/// t = 0. (The tail's acceleration changes by ~7 rad/s² every 10 µs under this drag.)
fn accelerations(case: &Value, dt: f64) -> Vec<f64> {
    let state = state_from_mujoco(case);
    let ctrl: Vec<f32> = floats(&case["ctrl"]).iter().map(|&u| u as f32).collect();
    let params = SwimmerParams { physics_dt: dt, solver_substeps: 1, ..SwimmerParams::with_links(6) };
    let mut s = Swimmer::new(params).unwrap();
    s.set_state(&state);
    let mut v: Vec<Vec<f64>> = Vec::new();
    for _ in 0..3 {
        s.step(&ctrl, 1);
        v.push(s.qvel().iter().map(|&x| x as f64).collect());
    }
    (0..v[0].len())
        .map(|k| {
            let a1 = (v[1][k] - v[0][k]) / dt;
            let a2 = (v[2][k] - v[1][k]) / dt;
            2.0 * a1 - a2
        })
        .collect()
}

/// Six states: without limits in play (cases 0, 1), with one or three hinges past their limits
/// (2, 4, 5), and one hinge past its limit but leaving it, where MuJoCo's unilateral limit
/// exerts no force (3, and one hinge of 5).
#[test]
fn accelerations_match_mujoco() {
    let fx = fixture("mujoco_swimmer6.json");
    for case in fx["cases"].as_array().unwrap() {
        let active = case["after_forward"]["efc"]["n_active"].as_u64().unwrap_or(0);
        let want = floats(&case["after_forward"]["qacc"]);
        let got = accelerations(case, 1e-5);
        for k in 2..8 {
            let tol = 2e-3 * want[k].abs() + 0.05;
            assert!(
                (got[k] - want[k]).abs() < tol,
                "case {} ({active} active limits), dof {k}: nerve {:.4} vs MuJoCo {:.4}",
                case["case"], got[k], want[k]
            );
        }
    }
}
