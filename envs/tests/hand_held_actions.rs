//! HandReach-v0 against Gymnasium-Robotics' HandReach-v3 on MuJoCo: the same action held from
//! the reset pose brings the fingertips and joints where MuJoCo's go
//! (`tests/fixtures/shadow_hand_held_actions.json`, written by
//! `tools/hand/held_actions_fixture.py`: the zero action, each actuator alone at ±1, and 40
//! random actions, recorded after 10, 25 and 50 steps of 0.04 s).
//!
//! This is the hand's statics and servo response as a learner meets them: a goal MuJoCo's hand
//! reaches with a held command must be reachable with the same command here.

#[path = "../../bodies/tests/common/mod.rs"]
mod common;

use envs::tasks::hand::layout::{FINGERTIPS, JOINT_ANGLES};
use envs::{make, Info};

struct Errors {
    /// Per sample: the action's label and the largest fingertip error (m) at each record.
    tips: Vec<(String, Vec<f64>)>,
    /// Mean absolute joint-angle error (rad) per joint at the last record, over all samples.
    joints: Vec<f64>,
}

fn held_action_errors() -> Errors {
    let doc = common::fixture("shadow_hand_held_actions.json");
    let joint_names: Vec<String> = doc["joints"].as_array().unwrap().iter().map(|j| j.as_str().unwrap().to_string()).collect();
    let mut env = make("HandReach-v0").unwrap();
    let (mut obs, mut info) = (vec![0f32; env.spec().obs_dim()], Info::default());
    let samples = doc["samples"].as_array().unwrap();
    let mut tips = Vec::new();
    let mut joints = vec![0.0; joint_names.len()];
    for (s, sample) in samples.iter().enumerate() {
        let action: Vec<f32> = common::floats(&sample["action"]).iter().map(|&a| a as f32).collect();
        let records = sample["records"].as_array().unwrap();
        env.reset(Some(0), &mut obs, &mut info).unwrap();
        let mut worst = Vec::new();
        let mut t = 0;
        for record in records {
            let steps = record["steps"].as_u64().unwrap();
            while t < steps {
                env.step(&action, &mut obs, &mut info).unwrap();
                t += 1;
            }
            let theirs = common::floats(&record["fingertips"]);
            let ours = &obs[FINGERTIPS];
            let err = (0..5)
                .map(|f| (0..3).map(|k| (ours[3 * f + k] as f64 - theirs[3 * f + k]).powi(2)).sum::<f64>().sqrt())
                .fold(0.0, f64::max);
            worst.push(err);
            if steps == records.last().unwrap()["steps"].as_u64().unwrap() {
                for (j, q) in common::floats(&record["q"]).iter().enumerate() {
                    joints[j] += (obs[JOINT_ANGLES][j] as f64 - q).abs() / samples.len() as f64;
                }
            }
        }
        let label = match s {
            0 => "zero".to_string(),
            1..=40 => format!("actuator {} at {}", (s - 1) / 2, if s % 2 == 1 { "-1" } else { "+1" }),
            _ => format!("random {}", s - 41),
        };
        tips.push((label, worst));
    }
    eprintln!("joint  mean |q - q_mujoco| after 50 steps (rad)");
    for (name, e) in joint_names.iter().zip(&joints) {
        eprintln!("{name:<6} {e:.4}");
    }
    let mut sorted: Vec<&(String, Vec<f64>)> = tips.iter().collect();
    sorted.sort_by(|a, b| b.1.last().unwrap().total_cmp(a.1.last().unwrap()));
    eprintln!("worst held actions: largest fingertip error (m) after 10 / 25 / 50 steps");
    for (label, e) in sorted.iter().take(12) {
        eprintln!("{label:<22} {:.4} {:.4} {:.4}", e[0], e[1], e[2]);
    }
    Errors { tips, joints }
}

#[test]
fn held_actions_bring_the_fingertips_where_mujoco_does() {
    let errors = held_action_errors();
    let last: Vec<f64> = errors.tips.iter().map(|(_, e)| *e.last().unwrap()).collect();
    let mut sorted = last.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    eprintln!("largest fingertip error after 50 steps: median {median:.4} m, max {:.4} m", sorted.last().unwrap());
    // Measured (2026-12-06, 8 ms substep, self-contacts on): median 1.8 mm, worst 6.6 mm (a
    // middle-finger actuator at +1); joints within 0.02 rad on average, the distal (J0) joints
    // worst. Without self-contacts: median 7.5 mm, worst 28 mm, the ring and little fingers
    // 0.02-0.034 rad off (in MuJoCo they rest on their neighbours).
    assert!(median < 0.003, "median fingertip error {median} m");
    assert!(*sorted.last().unwrap() < 0.01, "worst fingertip error {} m", sorted.last().unwrap());
    for (j, e) in errors.joints.iter().enumerate() {
        assert!(*e < 0.025, "joint {j}: mean angle error {e} rad");
    }
}
