//! The hand tasks against Gymnasium-Robotics' semantics and the Env contract: the shared layout,
//! goals and `compute_reward`, seeding, truncation, snapshots, bad input.

use bodies::hand::kinematics;
use envs::tasks::hand::{self, layout, quat_rotate, rotation_distance};
use envs::tasks::hand_reach::INITIAL_QPOS;
use envs::{make, make_with, Env, EnvError, EnvExt, Info};

const MANIPULATE: [&str; 10] = [
    "HandBlockRotateZ-v0",
    "HandBlockRotateParallel-v0",
    "HandBlockRotateXYZ-v0",
    "HandBlock-v0",
    "HandEggRotate-v0",
    "HandPenRotate-v0",
    "HandReorient8-v0",
    "HandReorient100-v0",
    "HandReorientID-v0",
    "HandReorientOOD-v0",
];

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

/// A deterministic action sequence in [−1, 1].
fn action(step: usize) -> Vec<f32> {
    (0..20).map(|j| ((((step * 31 + j * 17) % 97) as f32 / 97.0) * 2.0 - 1.0) * 0.5).collect()
}

fn quat(obs: &[f32], start: usize) -> [f64; 4] {
    std::array::from_fn(|k| obs[start + k] as f64)
}

#[test]
fn every_hand_task_shares_one_layout_and_names_its_goals() {
    for id in ["HandReach-v0", "HandPose-v0"].into_iter().chain(MANIPULATE) {
        let env = make(id).unwrap();
        let spec = env.spec();
        assert_eq!(spec.obs_dim(), layout::DIM, "{id}");
        assert_eq!(spec.act_dim(), 20, "{id}");
        assert_eq!(spec.observation_names, hand::observation_names(), "{id}");
        assert!((spec.dt - 0.04).abs() < 1e-12, "{id}");
        let goal = spec.goal.clone().expect("goal-conditioned");
        if id == "HandReach-v0" {
            assert_eq!((goal.achieved, goal.desired), (layout::FINGERTIPS, layout::DESIRED_FINGERTIPS));
            assert_eq!(spec.max_episode_steps, Some(50));
        } else if id == "HandPose-v0" {
            assert_eq!((goal.achieved, goal.desired), (layout::JOINT_ANGLES, layout::DESIRED_JOINT_ANGLES));
            assert_eq!(spec.max_episode_steps, Some(100));
        } else {
            assert_eq!((goal.achieved, goal.desired), (layout::OBJECT_POSE, layout::DESIRED_OBJECT_POSE));
            assert_eq!(spec.max_episode_steps, Some(100));
        }
    }
}

#[test]
fn reach_starts_at_gymnasium_robotics_pose_and_the_thumb_meets_a_finger() {
    let mut env = make("HandReach-v0").unwrap();
    let tips = kinematics::fingertip_positions(&INITIAL_QPOS);
    let mut moved_fingers = [0usize; 5];
    let mut all_home = 0;
    for seed in 0..60 {
        let (obs, info) = env.reset_vec(Some(seed)).unwrap();
        // The hand starts at the initial pose: the fingertips where the kinematics puts them (f32
        // physics, so within 1e-4 m).
        for (f, tip) in tips.iter().enumerate() {
            for k in 0..3 {
                assert!((obs[layout::FINGERTIPS.start + 3 * f + k] as f64 - tip[k]).abs() < 1e-4, "seed {seed} tip {f}");
            }
        }
        let goal: Vec<[f64; 3]> = (0..5).map(|f| std::array::from_fn(|k| obs[layout::DESIRED_FINGERTIPS.start + 3 * f + k] as f64)).collect();
        let moved: Vec<usize> = (0..5).filter(|&f| (0..3).any(|k| (goal[f][k] - tips[f][k]).abs() > 1e-6)).collect();
        if moved.is_empty() {
            all_home += 1;
            assert_eq!(info.get("is_success"), Some(1.0));
            continue;
        }
        // The thumb and one finger, each 5 mm short of a common meeting point: 1 cm apart at most.
        assert_eq!(moved.len(), 2, "seed {seed}: {moved:?}");
        assert_eq!(moved[1], 4, "the thumb moves");
        moved_fingers[moved[0]] += 1;
        let gap: f64 = (0..3).map(|k| (goal[4][k] - goal[moved[0]][k]).powi(2)).sum::<f64>().sqrt();
        assert!(gap <= 0.0100001, "seed {seed}: thumb and finger goals {gap} m apart");
        assert_eq!(info.get("is_success"), Some(0.0));
    }
    assert!(moved_fingers[..4].iter().all(|&n| n > 0), "every finger is sampled: {moved_fingers:?}");
    assert!((1..=15).contains(&all_home), "about 10% of goals keep every fingertip home: {all_home}");
}

#[test]
fn rewards_are_compute_reward_of_the_observed_goals() {
    for id in ["HandReach-v0", "HandPose-v0", "HandBlock-v0", "HandPenRotate-v0"] {
        for reward_type in ["sparse", "dense"] {
            let mut env = make_with(id, Some(&table(&format!("reward_type = \"{reward_type}\"")))).unwrap();
            let goal = env.spec().goal.clone().unwrap();
            let (mut obs, mut info) = env.reset_vec(Some(5)).unwrap();
            for t in 0..20 {
                let s = env.step(&action(t), &mut obs, &mut info).unwrap();
                assert!(!s.terminated && !s.truncated);
                let r = env.compute_reward(&obs[goal.achieved.clone()], &obs[goal.desired.clone()]).unwrap();
                assert_eq!(s.reward, r, "{id} {reward_type} step {t}");
                let success = env.is_success(&obs[goal.achieved.clone()], &obs[goal.desired.clone()]).unwrap();
                assert_eq!(info.get("is_success"), Some(success as u8 as f64));
                if reward_type == "sparse" {
                    assert_eq!(s.reward, if success { 0.0 } else { -1.0 });
                }
            }
            // Relabelling with the achieved goal as the desired one is a success.
            let achieved = &obs[goal.achieved.clone()];
            assert!(env.is_success(achieved, achieved).unwrap(), "{id}");
            assert_eq!(env.compute_reward(achieved, achieved).unwrap(), 0.0, "{id}");
            let e = env.compute_reward(&achieved[1..], achieved).unwrap_err();
            assert!(matches!(e, EnvError::Goal { .. }) && e.to_string().contains("expected"), "{e}");
        }
    }
    let swimmer = make("Swimmer6-v0").unwrap();
    assert!(swimmer.compute_reward(&[0.0], &[0.0]).unwrap_err().to_string().contains("not goal-conditioned"));
}

#[test]
fn dense_manipulation_reward_is_ten_d_pos_plus_d_rot() {
    let env = make_with("HandBlock-v0", Some(&table("reward_type = \"dense\""))).unwrap();
    let a = [1.0f32, 0.87, 0.17, 1.0, 0.0, 0.0, 0.0];
    let turn = hand::quat_from_axis_angle([0.0, 1.0, 0.0], 0.3);
    let b = [1.0f32, 0.89, 0.17, turn[0] as f32, turn[1] as f32, turn[2] as f32, turn[3] as f32];
    let r = env.compute_reward(&a, &b).unwrap();
    assert!((r + (10.0 * 0.02 + 0.3)).abs() < 1e-6, "{r}");
    // The rotate tasks ignore position; the pen ignores turns about its own axis.
    let rotate = make_with("HandBlockRotateXYZ-v0", Some(&table("reward_type = \"dense\""))).unwrap();
    assert!((rotate.compute_reward(&a, &b).unwrap() + 0.3).abs() < 1e-6);
    let pen = make_with("HandPenRotate-v0", Some(&table("reward_type = \"dense\""))).unwrap();
    let spin = hand::quat_from_axis_angle([0.0, 0.0, 1.0], 1.0);
    let c = [1.0f32, 0.87, 0.17, spin[0] as f32, spin[1] as f32, spin[2] as f32, spin[3] as f32];
    assert!(pen.compute_reward(&a, &c).unwrap().abs() < 1e-6);
    assert!(pen.is_success(&a, &c).unwrap());
}

#[test]
fn manipulation_resets_leave_the_object_resting_on_the_palm_with_a_goal_of_the_mode() {
    for id in MANIPULATE {
        let mut env = make(id).unwrap();
        for seed in 0..4 {
            let (obs, _) = env.reset_vec(Some(seed)).unwrap();
            let p = &obs[layout::OBJECT_POSE];
            assert!(p[2] > 0.04, "{id} seed {seed}: object at {p:?}");
            // Close to where Gymnasium-Robotics' object settles, (1.01, 0.875, 0.17) for the block.
            assert!((p[0] - 1.0).abs() < 0.05 && (p[1] - 0.87).abs() < 0.06, "{id} seed {seed}: {p:?}");
            let q = quat(&obs, layout::OBJECT_POSE.start + 3);
            assert!(q[0] >= 0.0 && (q.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-5);
            let g = quat(&obs, layout::DESIRED_OBJECT_POSE.start + 3);
            assert!(g[0] >= 0.0 && (g.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-5);
            let descriptor = &obs[layout::OBJECT_DESCRIPTOR];
            assert_eq!(descriptor.iter().take(4).sum::<f32>(), 1.0);
            match id {
                // A turn about world z keeps the z axis vertical.
                "HandBlockRotateZ-v0" => assert!((quat_rotate(g, [0.0, 0.0, 1.0])[2] - 1.0).abs() < 1e-6, "{g:?}"),
                // The z axis of a parallel target lies along a world axis.
                // An axis-aligned rotation then a turn about z: the block's z axis ends vertical
                // or horizontal.
                "HandBlockRotateParallel-v0" => {
                    let z = quat_rotate(g, [0.0, 0.0, 1.0]);
                    assert!((z[2].abs() - 1.0).abs() < 1e-6 || z[2].abs() < 1e-6, "{z:?}");
                }
                "HandBlock-v0" => {
                    let d = &obs[layout::DESIRED_OBJECT_POSE];
                    assert!((d[0] - p[0]).abs() <= 0.04 + 1e-6 && (-0.06 - 1e-6..=0.02 + 1e-6).contains(&(d[1] - p[1])) && (-1e-6..=0.06 + 1e-6).contains(&(d[2] - p[2])));
                }
                _ => {}
            }
            // Zero entries where the task has no goal part.
            assert!(obs[layout::DESIRED_FINGERTIPS].iter().chain(&obs[layout::DESIRED_JOINT_ANGLES]).all(|&x| x == 0.0));
        }
    }
}

#[test]
fn the_block_stays_on_the_palm_under_zero_action_as_in_mujoco() {
    // Gymnasium-Robotics' HandManipulateBlockRotateZ-v1 (MuJoCo 3.3.7), seeds 0–9, 100 steps of
    // zero action from reset: the block turns 0.06–0.23 rad and drifts 2–7 mm while the hand
    // settles at its mid-range targets, and stays on the palm. Here (measured 2026-12-03) it
    // turns 0.04–0.69 rad and drifts 0.1–9.6 mm: a heavier tail than MuJoCo's (NOTES: hand),
    // bounded here at twice MuJoCo's worst drift and 1 rad.
    let mut env = make("HandBlockRotateZ-v0").unwrap();
    let (mut turns, mut drifts) = (Vec::new(), Vec::new());
    for seed in 0..10 {
        let (mut obs, mut info) = env.reset_vec(Some(seed)).unwrap();
        let start: Vec<f32> = obs[layout::OBJECT_POSE].to_vec();
        let mut mean_d_rot = 0.0;
        for _ in 0..100 {
            env.step(&[0.0; 20], &mut obs, &mut info).unwrap();
            mean_d_rot += info.get("d_rot").unwrap() / 100.0;
        }
        let p = &obs[layout::OBJECT_POSE];
        assert!(p[2] > 0.1, "seed {seed}: the block fell: {p:?}");
        drifts.push((0..3).map(|k| (p[k] - start[k]).powi(2)).sum::<f32>().sqrt());
        turns.push(rotation_distance(quat(&obs, layout::OBJECT_POSE.start + 3), std::array::from_fn(|k| start[3 + k] as f64)));
        // A random target about z is on average far from where the block rests.
        assert!(mean_d_rot > 0.1 || seed > 0, "{mean_d_rot}");
    }
    eprintln!("zero action, 4 s: block turned {turns:.3?} rad, drifted {drifts:.4?} m");
    assert!(turns.iter().all(|&t| t < 1.0), "{turns:?}");
    assert!(drifts.iter().all(|&d| d < 0.015), "{drifts:?}");
}

#[test]
fn same_seed_same_trajectory_and_never_terminated_until_the_time_limit() {
    for id in ["HandReach-v0", "HandBlockRotateZ-v0"] {
        let run = |seed: u64| {
            let mut env = make(id).unwrap();
            let (mut obs, mut info) = env.reset_vec(Some(seed)).unwrap();
            let mut bits: Vec<u32> = obs.iter().map(|x| x.to_bits()).collect();
            let limit = env.spec().max_episode_steps.unwrap();
            for t in 0..limit {
                let s = env.step(&action(t), &mut obs, &mut info).unwrap();
                bits.extend(obs.iter().map(|x| x.to_bits()));
                assert!(!s.terminated, "{id}: the Gymnasium-Robotics tasks never terminate");
                assert_eq!(s.truncated, t + 1 == limit, "{id} step {t}");
            }
            assert_eq!(info.truncation_reason.as_deref(), Some("time_limit"));
            assert!(matches!(env.step(&action(0), &mut obs, &mut info), Err(EnvError::NeedsReset { .. })));
            bits
        };
        assert_eq!(run(3), run(3), "{id}");
        assert_ne!(run(3), run(4), "{id}");
    }
    // Reset with the same seed gives the same episode even after another episode in the same env.
    let mut env = make("HandBlockRotateXYZ-v0").unwrap();
    let (first, _) = env.reset_vec(Some(8)).unwrap();
    for t in 0..30 {
        env.step_vec(&action(t)).unwrap();
    }
    let (again, _) = env.reset_vec(Some(8)).unwrap();
    assert_eq!(first.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), again.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
}

#[test]
fn hand_snapshots_continue_bit_for_bit() {
    for id in ["HandReach-v0", "HandBlock-v0"] {
        let config = table("max_episode_steps = 15");
        let mut env = make_with(id, Some(&config)).unwrap();
        let (mut obs, mut info) = env.reset_vec(Some(2)).unwrap();
        let steps = |env: &mut dyn Env, from: usize, n: usize, obs: &mut Vec<f32>, info: &mut Info| {
            let mut bits = Vec::new();
            for t in from..from + n {
                let s = env.step(&action(t), obs, info).unwrap();
                bits.extend(obs.iter().map(|x| x.to_bits()));
                bits.push(s.reward.to_bits() as u32);
                if s.done() {
                    env.reset(None, obs, info).unwrap();
                    bits.extend(obs.iter().map(|x| x.to_bits()));
                }
            }
            bits
        };
        steps(env.as_mut(), 0, 12, &mut obs, &mut info);
        let snap = env.snapshot().unwrap();
        let expected = steps(env.as_mut(), 12, 25, &mut obs, &mut info);
        let mut other = make_with(id, Some(&config)).unwrap();
        other.reset_vec(Some(77)).unwrap();
        other.restore(&snap).unwrap();
        assert_eq!(steps(other.as_mut(), 12, 25, &mut obs, &mut info), expected, "{id}");
        // Another task's snapshot is refused.
        let mut reach = make("HandReach-v0").unwrap();
        if id != "HandReach-v0" {
            assert!(reach.restore(&snap).is_err());
        }
    }
}

#[test]
fn bad_hand_input_is_a_clear_error() {
    let mut env = make("HandBlockRotateZ-v0").unwrap();
    env.reset_vec(Some(0)).unwrap();
    let mut a = vec![0.0f32; 20];
    a[7] = f32::NAN;
    let e = env.step_vec(&a).unwrap_err();
    assert!(matches!(e, EnvError::NonFiniteAction { index: 7, .. }), "{e}");
    let cases = [
        ("object = { type = \"cone\", radius = 0.01, density = 500.0 }", "expected one of box, capsule, cylinder, ellipsoid"),
        ("object = { type = \"box\", half_extents = [0.02, 0.0, 0.02], density = 500.0 }", "half_extents[1]"),
        ("object = { type = \"capsule\", radius = 0.01, half_length = 0.05, density = -3.0 }", "density"),
        ("target_rotation = \"sideways\"", "unknown variant `sideways`, expected one of `ignore`, `fixed`, `z`, `parallel`, `xyz`"),
        ("target_position = \"anywhere\"", "unknown variant `anywhere`"),
        ("physics_dt = 0.003", "whole number"),
        ("rotation_threshold = 0.0", "rotation_threshold"),
    ];
    for (config, says) in cases {
        let e = make_with("HandBlockRotateZ-v0", Some(&table(config))).unwrap_err().to_string();
        assert!(e.contains("HandBlockRotateZ-v0") && e.contains(says), "{config}: {e}");
    }
    // Overriding one key of the object keeps its other keys; changing its type replaces it.
    let heavy = make_with("HandBlockRotateZ-v0", Some(&table("object = { density = 1000.0 }"))).unwrap();
    assert!((heavy.spec().attr("object_mass").unwrap() - 0.125).abs() < 1e-9);
    let ball = make_with("HandBlockRotateZ-v0", Some(&table("object = { type = \"ellipsoid\", radii = [0.03, 0.03, 0.03], density = 500.0 }"))).unwrap();
    assert!(ball.spec().attr("object_mass").unwrap() > 0.05);
    let e = make_with("HandReach-v0", Some(&table("distance_threshold = -1.0"))).unwrap_err().to_string();
    assert!(e.contains("distance_threshold"), "{e}");
}

#[test]
fn physical_state_and_render_state_show_the_hand_object_and_goal() {
    let mut env = make("HandEggRotate-v0").unwrap();
    env.reset_vec(Some(0)).unwrap();
    let r = env.render_state();
    let names: Vec<&str> = r.bodies.iter().map(|b| b.name.as_str()).collect();
    assert!(names.contains(&"hand_palm") && names.contains(&"hand_thdistal") && names.contains(&"object") && names.contains(&"target"), "{names:?}");
    assert!(matches!(r.bodies.iter().find(|b| b.name == "object").unwrap().shape, envs::Shape::Ellipsoid { .. }));
    let mut state = Vec::new();
    env.physical_state(&mut state);
    assert_eq!(state.len(), 44);
    assert_eq!(state[0].0, "WRJ1_angle");
    // The goal is a translucent ghost; the hand and the object are solid.
    let body = |name: &str| r.bodies.iter().find(|b| b.name == name).unwrap();
    assert_eq!(body("object").opacity, 1.0);
    assert_eq!(body("hand_palm").opacity, 1.0);
    assert!(body("target").opacity > 0.0 && body("target").opacity < 1.0);
    let reach = make("HandReach-v0").unwrap();
    let targets: Vec<_> = reach.render_state().bodies.into_iter().filter(|b| b.name.starts_with("target_")).collect();
    assert_eq!(targets.len(), 5);
    assert!(targets.iter().all(|t| t.opacity == envs::GHOST_OPACITY));
    // A cylinder is drawn as a cylinder of its own radius and length.
    let mut can = make_with("HandBlockRotateZ-v0", Some(&table("object = { type = \"cylinder\", radius = 0.02, half_length = 0.03, density = 500.0 }"))).unwrap();
    can.reset_vec(Some(0)).unwrap();
    let state = can.render_state();
    let object = state.bodies.iter().find(|b| b.name == "object").unwrap();
    assert_eq!(object.shape, envs::Shape::Cylinder { half_height: 0.03, radius: 0.02 });
}

#[test]
fn pose_targets_lie_in_the_range_of_the_ten_poses_and_start_anywhere() {
    use envs::tasks::hand_pose::target_ranges;
    let ranges = target_ranges();
    let mut env = make("HandPose-v0").unwrap();
    let mut starts = Vec::new();
    for seed in 0..20 {
        let (obs, _) = env.reset_vec(Some(seed)).unwrap();
        let target = &obs[layout::DESIRED_JOINT_ANGLES];
        for (a, act) in kinematics::ACTUATORS.iter().enumerate() {
            let j = act.joint;
            let [lo, hi] = ranges[j];
            assert!((lo as f32 - 1e-6..=hi as f32 + 1e-6).contains(&target[j]), "seed {seed} actuator {a}: {} outside [{lo}, {hi}]", target[j]);
        }
        starts.push(obs[layout::JOINT_ANGLES.start + 3]);
    }
    let spread = starts.iter().cloned().fold(f32::NEG_INFINITY, f32::max) - starts.iter().cloned().fold(f32::INFINITY, f32::min);
    assert!(spread > 0.5, "FFJ2 starts spread over its range: {starts:?}");
    let (mut obs, mut info) = env.reset_vec(Some(3)).unwrap();
    let before: Vec<f32> = obs[layout::JOINT_ANGLES].to_vec();
    for _ in 0..10 {
        env.step(&[0.0; 20], &mut obs, &mut info).unwrap();
    }
    let moves: Vec<f32> = before.iter().zip(&obs[layout::JOINT_ANGLES]).map(|(a, b)| (a - b).abs()).collect();
    eprintln!("zero relative action, 0.4 s: joint moves {moves:.3?}");
    // The fingers hold; the wrist, carrying the hand on kp = 5 servos, sags, and relative targets
    // follow the sag (as in Gymnasium-Robotics' relative control).
    let fingers = moves[2..].iter().cloned().fold(0.0f32, f32::max);
    assert!(fingers < 0.08, "zero relative action held the fingers to {fingers} rad");
}

#[test]
fn reorientation_splits_draw_their_objects_and_the_ood_sizes_lie_outside_the_training_range() {
    use bodies::hand::object::ObjectShape;
    use envs::tasks::hand_manipulate::{reorient100, reorient8};
    let set8 = reorient8(567.0);
    let set100 = reorient100(567.0);
    assert_eq!((set8.len(), set100.len()), (8, 100));
    for shape in 0..4 {
        assert_eq!(set100.iter().filter(|o| o.shape.index() == shape).count(), 25);
    }
    // The training ranges (m), per size of each shape, in descriptor order (bounding half-extents).
    let inside = |shape: &ObjectShape| match *shape {
        ObjectShape::Box { half_extents } => half_extents.iter().all(|h| (0.015..=0.025).contains(h)),
        ObjectShape::Ellipsoid { radii } => (0.008..=0.029).contains(&radii[0]) && radii[1..].iter().all(|r| (0.025..=0.045).contains(r)),
        ObjectShape::Capsule { radius, half_length } => (0.0125..=0.0215).contains(&radius) && (0.02..=0.05).contains(&half_length),
        ObjectShape::Cylinder { radius, half_length } => (0.011..=0.0215).contains(&radius) && (0.02..=0.045).contains(&half_length),
    };
    assert!(set100.iter().all(|o| inside(&o.shape)));
    let descriptor = |obs: &[f32]| obs[layout::OBJECT_DESCRIPTOR].to_vec();
    for (id, in_training) in [("HandReorient8-v0", None), ("HandReorient100-v0", Some(true)), ("HandReorientID-v0", Some(true)), ("HandReorientOOD-v0", Some(false))] {
        let mut env = make(id).unwrap();
        let mut shapes = std::collections::BTreeSet::new();
        let mut seen = Vec::new();
        for seed in 0..12 {
            let (obs, _) = env.reset_vec(Some(seed)).unwrap();
            let d = descriptor(&obs);
            let shape = d[..4].iter().position(|&x| x == 1.0).unwrap();
            shapes.insert(shape);
            let half = [d[4] as f64, d[5] as f64, d[6] as f64];
            if id == "HandReorient8-v0" {
                assert!(set8.iter().any(|o| o.shape.bounding_half_extents().iter().zip(&half).all(|(a, b)| (a - b).abs() < 1e-6)), "{id}: {half:?} is none of the 8");
            }
            if id == "HandReorient100-v0" {
                assert!(set100.iter().any(|o| o.shape.bounding_half_extents().iter().zip(&half).all(|(a, b)| (a - b).abs() < 1e-6)), "{id}: {half:?} is none of the 100");
            }
            if let Some(inside_expected) = in_training {
                // The descriptor's bounding half-extents: a capsule's z is half_length + radius.
                let ranges: [[f64; 2]; 3] = match shape {
                    0 => [[0.015, 0.025]; 3],
                    1 => [[0.0125, 0.0215], [0.0125, 0.0215], [0.0325, 0.0715]],
                    2 => [[0.011, 0.0215], [0.011, 0.0215], [0.02, 0.045]],
                    _ => [[0.008, 0.029], [0.025, 0.045], [0.025, 0.045]],
                };
                let each_inside: Vec<bool> = (0..3).map(|k| half[k] >= ranges[k][0] - 1e-6 && half[k] <= ranges[k][1] + 1e-6).collect();
                if inside_expected {
                    assert!(each_inside.iter().all(|&b| b), "{id} seed {seed}: {half:?} outside the training ranges {ranges:?}");
                } else if shape != 1 {
                    // OOD: every size beyond its range (a capsule's z mixes radius and length).
                    assert!(each_inside.iter().all(|&b| !b), "{id} seed {seed}: {half:?} not shifted from {ranges:?}");
                }
            }
            seen.push(half);
        }
        assert!(shapes.len() >= 3, "{id}: shapes drawn {shapes:?}");
        assert!(seen.windows(2).any(|w| w[0] != w[1]), "{id}: the same object every episode");
    }
}

#[test]
fn reorientation_succeeds_on_the_axis_and_ends_when_the_object_is_dropped() {
    let env = make("HandReorient100-v0").unwrap();
    let upright = [1.0f32, 0.87, 0.17, 1.0, 0.0, 0.0, 0.0];
    let with = |q: [f64; 4], dy: f32| [1.0f32, 0.87 + dy, 0.17, q[0] as f32, q[1] as f32, q[2] as f32, q[3] as f32];
    // A spin about the object's own axis does not count; a tilt counts from 0.318 rad (cos 0.95).
    assert!(env.is_success(&with(hand::quat_from_axis_angle([0.0, 0.0, 1.0], 2.0), 0.0), &upright).unwrap());
    assert!(env.is_success(&with(hand::quat_from_axis_angle([1.0, 0.0, 0.0], 0.3), 0.0), &upright).unwrap());
    assert!(!env.is_success(&with(hand::quat_from_axis_angle([1.0, 0.0, 0.0], 0.34), 0.0), &upright).unwrap());
    // Farther than 0.075 m from the target position: dropped, not a success.
    assert!(!env.is_success(&with([1.0, 0.0, 0.0, 0.0], 0.08), &upright).unwrap());
    // A drop ends the episode: with a 1 mm drop distance, random actions end it at once.
    let mut env = make_with("HandReorient8-v0", Some(&table("drop_distance = 0.001"))).unwrap();
    let (mut obs, mut info) = env.reset_vec(Some(1)).unwrap();
    let mut ended = None;
    for t in 0..100 {
        let s = env.step(&action(t), &mut obs, &mut info).unwrap();
        if s.done() {
            ended = Some((t, s.terminated));
            break;
        }
    }
    let (t, terminated) = ended.expect("the object moves more than 1 mm");
    assert!(terminated && t < 99, "ended at {t} by truncation");
    assert!(matches!(env.step_vec(&action(0)), Err(EnvError::NeedsReset { .. })));
    // The Gymnasium-Robotics tasks never end on a drop.
    assert_eq!(make("HandBlock-v0").unwrap().spec().id, "HandBlock-v0");
    let e = make_with("HandReorient8-v0", Some(&table("drop_distance = -1.0"))).unwrap_err().to_string();
    assert!(e.contains("drop_distance"), "{e}");
}
