//! The Shadow hand against Gymnasium-Robotics' MuJoCo model and against its own limits.
//!
//! The fixture `tests/fixtures/shadow_hand_fk.json` is written by `tools/hand/fk_fixture.py`
//! (gymnasium-robotics 1.4.2, mujoco 3.3.7): 200 joint configurations (the zero pose, then
//! uniform inside the ranges) with every body's world pose and the fingertip sites.

mod common;

use bodies::hand::kinematics::{self, ACTUATORS, COUPLED_JOINTS, LINKS, MOMENT_ARM_DISTAL, MOMENT_ARM_MIDDLE, N_ACTUATORS, N_JOINTS, TENDON_SLACK};
use bodies::hand::{Hand, HandParams};
use rand::{RngExt, SeedableRng};

use common::{fixture, floats};

fn distance(a: [f64; 3], b: &[f64]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[test]
fn forward_kinematics_matches_mujoco_within_a_micrometre() {
    let f = fixture("shadow_hand_fk.json");
    let joints: Vec<&str> = f["joints"].as_array().unwrap().iter().map(|j| j.as_str().unwrap()).collect();
    assert_eq!(joints, kinematics::JOINT_NAMES);
    let bodies: Vec<&str> = f["bodies"].as_array().unwrap().iter().map(|j| j.as_str().unwrap()).collect();
    assert_eq!(bodies, LINKS.map(|l| l.name));
    let samples = f["samples"].as_array().unwrap();
    assert!(samples.len() >= 100);
    let (mut worst_tip, mut worst_body, mut worst_angle) = (0.0_f64, 0.0_f64, 0.0_f64);
    for s in samples {
        let q: [f64; N_JOINTS] = floats(&s["q"]).try_into().unwrap();
        for (tip, want) in kinematics::fingertip_positions(&q).iter().zip(s["fingertips"].as_array().unwrap()) {
            worst_tip = worst_tip.max(distance(*tip, &floats(want)));
        }
        let frames = kinematics::forward_kinematics(&q);
        for (k, frame) in frames.iter().enumerate() {
            worst_body = worst_body.max(distance(frame.translation.to_array(), &floats(&s["body_pos"][k])));
            let w = floats(&s["body_quat_wxyz"][k]);
            let dot = frame.rotation.w * w[0] + frame.rotation.x * w[1] + frame.rotation.y * w[2] + frame.rotation.z * w[3];
            worst_angle = worst_angle.max(2.0 * dot.abs().min(1.0).acos());
        }
    }
    eprintln!("{} configurations: fingertips within {worst_tip:.2e} m, bodies {worst_body:.2e} m, orientations {worst_angle:.2e} rad", samples.len());
    // The XML's numbers are used as written (its quaternions rounded to 6 digits, the mount's
    // Euler angles to 5): what is left is that rounding.
    assert!(worst_tip < 1e-6 * 50.0, "fingertips off by up to {worst_tip:e} m");
    assert!(worst_body < 1e-6 * 50.0, "bodies off by up to {worst_body:e} m");
    assert!(worst_angle < 1e-4, "body orientations off by up to {worst_angle:e} rad");
}

#[test]
fn rapier_places_the_links_where_the_kinematics_says() {
    let mut hand = Hand::new(HandParams::default()).unwrap();
    let mut rng = rand_xoshiro_like(7);
    for _ in 0..20 {
        let q: [f64; N_JOINTS] = std::array::from_fn(|j| rng.random_range(LINKS[j + 1].range[0]..=LINKS[j + 1].range[1]));
        hand.set_joint_positions(&q);
        let got = hand.joint_positions();
        for j in 0..N_JOINTS {
            assert!((got[j] - q[j]).abs() < 1e-5, "joint {j}: set {} read {}", q[j], got[j]);
        }
        let want = kinematics::forward_kinematics(&q);
        for (k, (a, b)) in hand.link_frames().iter().zip(&want).enumerate() {
            let d = (a.translation - b.translation).length();
            assert!(d < 1e-5, "{}: {d:e} m from the kinematics", LINKS[k].name);
        }
    }
}

fn rand_xoshiro_like(seed: u64) -> rand::rngs::Xoshiro256PlusPlus {
    rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed)
}

fn random_targets(rng: &mut rand::rngs::Xoshiro256PlusPlus) -> [f64; N_ACTUATORS] {
    std::array::from_fn(|a| {
        let [lo, hi] = LINKS[ACTUATORS[a].joint + 1].range;
        rng.random_range(lo..=hi)
    })
}

#[test]
fn joint_ranges_and_the_tendon_band_hold_under_random_servo_targets() {
    let mut hand = Hand::new(HandParams::default()).unwrap();
    let mut rng = rand_xoshiro_like(3);
    let substeps = (0.04 / hand.params().physics_dt).round() as usize;
    let (mut worst_range, mut worst_band) = (0.0_f64, 0.0_f64);
    for step in 0..250 {
        if step % 5 == 0 {
            hand.set_targets(&random_targets(&mut rng)).unwrap();
        }
        hand.step(substeps);
        let q = hand.joint_positions();
        for (j, &qj) in q.iter().enumerate() {
            let [lo, hi] = LINKS[j + 1].range;
            worst_range = worst_range.max(lo - qj).max(qj - hi);
        }
        for (distal, middle) in COUPLED_JOINTS {
            let length = MOMENT_ARM_DISTAL * q[distal] - MOMENT_ARM_MIDDLE * q[middle];
            worst_band = worst_band.max(length.abs() - TENDON_SLACK);
        }
        assert!(q.iter().all(|x| x.is_finite()));
    }
    eprintln!("10 s of random targets: worst range excess {worst_range:.2e} rad, worst tendon excess {worst_band:.2e} m");
    assert!(worst_range < 0.01, "a joint left its range by {worst_range} rad");
    // 0.5 mm of tendon length is 0.07 rad of distal angle.
    assert!(worst_band < 5e-4, "a coupling tendon left its band by {worst_band} m");
}

#[test]
fn servos_hold_mid_range_against_gravity() {
    // MuJoCo's model, ctrl at mid-range for 2 s, palm up: every joint within 0.08 rad of its
    // target (the worst, WRJ0, −0.077; kp = 1 N·m/rad servos against gravity).
    let mut hand = Hand::new(HandParams::default()).unwrap();
    let substeps = (2.0 / hand.params().physics_dt).round() as usize;
    hand.step(substeps);
    let q = hand.joint_positions();
    for (a, actuator) in ACTUATORS.iter().enumerate() {
        let err = q[actuator.joint] - hand.targets()[a];
        assert!(err.abs() < 0.1, "{}: {err:+.4} rad from its target", kinematics::JOINT_NAMES[actuator.joint]);
    }
    let errors: Vec<String> = ACTUATORS.iter().enumerate().map(|(a, act)| format!("{} {:+.3}", kinematics::JOINT_NAMES[act.joint], q[act.joint] - hand.targets()[a])).collect();
    eprintln!("after 2 s at mid-range targets: {}", errors.join(", "));
    // Where gravity alone sets the error, MuJoCo's numbers: WRJ0 −0.077, THJ3 −0.022 rad.
    // (MuJoCo's ring and little fingers differ more: its frictionless finger-finger contact
    // pairs push them, and this model has no hand self-contacts.)
    for (joint, mujoco) in [(1, -0.077), (20, -0.022)] {
        let a = ACTUATORS.iter().position(|a| a.joint == joint).unwrap();
        let err = q[joint] - hand.targets()[a];
        assert!((err - mujoco).abs() < 0.005, "{}: {err:+.4} rad, MuJoCo {mujoco:+.3}", kinematics::JOINT_NAMES[joint]);
    }
    let v = hand.joint_velocities();
    assert!(v.iter().all(|w| w.abs() < 1e-2), "still moving after 2 s: {v:?}");
}

#[test]
fn a_non_finite_target_is_refused_and_changes_nothing() {
    let mut hand = Hand::new(HandParams::default()).unwrap();
    let before = *hand.targets();
    let mut t = before;
    t[4] = f64::NAN;
    let e = hand.set_targets(&t).unwrap_err();
    assert!(e.to_string().contains("actuator 4"), "{e}");
    assert_eq!(*hand.targets(), before);
    assert!(Hand::new(HandParams { physics_dt: 0.0, ..Default::default() }).is_err());
}

#[test]
fn a_block_resting_on_the_palm_stays_put() {
    // Gymnasium-Robotics' reset: servos at mid-range (zero action), the 5 cm block (567 kg/m³)
    // dropped from (1, 0.87, 0.2) m, 2.4 cm above the palm. Let it settle for 2 s, then it must
    // stay within 1 mm for 10 s.
    let mut hand = Hand::new(HandParams::default()).unwrap();
    let block = hand.add_box([0.025; 3], 567.0, [1.0, 0.87, 0.2]).unwrap();
    let substeps_per_s = (1.0 / hand.params().physics_dt).round() as usize;
    hand.step(2 * substeps_per_s);
    let settled = hand.body_position(block);
    assert!(settled[2] > 0.15 && settled[2] < 0.2, "the block fell off the palm: {settled:?}");
    let mut worst = 0.0_f64;
    for _ in 0..10 {
        hand.step(substeps_per_s);
        worst = worst.max(distance(hand.body_position(block), &settled));
    }
    eprintln!("block settled at {settled:?}; drift over 10 s: {worst:.2e} m");
    assert!(worst < 1e-3, "the block crept {worst} m in 10 s");
}

#[test]
fn bad_objects_are_refused() {
    let mut hand = Hand::new(HandParams::default()).unwrap();
    assert!(hand.add_box([0.025, 0.0, 0.025], 567.0, [1.0, 0.87, 0.2]).unwrap_err().to_string().contains("half_extents[1]"));
    assert!(hand.add_box([0.025; 3], -1.0, [1.0, 0.87, 0.2]).unwrap_err().to_string().contains("density"));
    assert!(hand.add_box([0.025; 3], 567.0, [f64::NAN, 0.87, 0.2]).is_err());
}

/// Joint angles (rad) where the first finger's and the thumb's fingertip sites meet in front of
/// the palm (at least 6 cm towards the fingers from the palm's origin and 2 cm above it): a
/// coarse grid over first-finger flexion (FFJ2, FFJ1 with FFJ0 on the tendon's line) and the
/// thumb (THJ4, THJ3, THJ1, THJ0), refined by coordinate descent, by forward kinematics alone.
fn meeting_pose() -> [f64; N_JOINTS] {
    let palm = kinematics::forward_kinematics(&[0.0; N_JOINTS])[2].translation;
    let joints = [3usize, 4, 19, 20, 22, 23];
    let pose = |x: &[f64; 6]| {
        let mut q = [0.0; N_JOINTS];
        for (k, &j) in joints.iter().enumerate() {
            let [lo, hi] = LINKS[j + 1].range;
            q[j] = x[k].clamp(lo, hi);
        }
        q[5] = (q[4] * MOMENT_ARM_MIDDLE / MOMENT_ARM_DISTAL).min(LINKS[6].range[1]);
        q
    };
    let cost = |x: &[f64; 6]| {
        let tips = kinematics::fingertip_positions(&pose(x));
        let mid: [f64; 3] = std::array::from_fn(|k| (tips[0][k] + tips[4][k]) / 2.0);
        distance(tips[0], &tips[4]) + 10.0 * (mid[1] - (palm.y - 0.06)).max(0.0) + 10.0 * (palm.z + 0.02 - mid[2]).max(0.0)
    };
    let grid = |j: usize, n: usize| -> Vec<f64> {
        let [lo, hi] = LINKS[j + 1].range;
        (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect()
    };
    let mut best = ([0.0; 6], f64::INFINITY);
    for a in grid(3, 7) {
        for b in grid(4, 7) {
            for c in grid(19, 9) {
                for d in grid(20, 7) {
                    for e in grid(22, 5) {
                        for f in grid(23, 7) {
                            let x = [a, b, c, d, e, f];
                            let g = cost(&x);
                            if g < best.1 {
                                best = (x, g);
                            }
                        }
                    }
                }
            }
        }
    }
    let mut step = 0.05;
    while step > 1e-4 {
        let mut improved = false;
        for k in 0..6 {
            for s in [-step, step] {
                let mut x = best.0;
                let [lo, hi] = LINKS[joints[k] + 1].range;
                x[k] = (x[k] + s).clamp(lo, hi);
                let g = cost(&x);
                if g < best.1 {
                    best = (x, g);
                    improved = true;
                }
            }
        }
        if !improved {
            step /= 2.0;
        }
    }
    assert!(best.1 < 4e-3, "no pose found where the fingertips meet: {} m off", best.1);
    pose(&best.0)
}

#[test]
fn the_thumb_stops_at_the_first_finger_as_mujocos_contact_pairs_make_it() {
    // Servo targets where the two fingertip sites would coincide: with MuJoCo's self-contact
    // pairs the distal capsules (radii 7.05 and 9.18 mm) stop each other; without, they pass
    // into each other.
    let q_meet = meeting_pose();
    let targets: [f64; N_ACTUATORS] = std::array::from_fn(|a| q_meet[ACTUATORS[a].joint]);
    let gap = |self_contacts: bool| {
        let mut hand = Hand::new(HandParams { self_contacts, ..HandParams::default() }).unwrap();
        hand.set_targets(&targets).unwrap();
        hand.step((2.0 / hand.params().physics_dt).round() as usize);
        let t = hand.fingertip_positions();
        distance(t[0], &t[4])
    };
    let (with, without) = (gap(true), gap(false));
    eprintln!("fingertip sites commanded to meet: {with:.4} m apart with self-contacts, {without:.4} m without");
    assert!(without < 0.005, "without self-contacts the fingertips should nearly meet: {without}");
    assert!(with > 0.012, "the capsules passed into each other: {with}");
    // At mid-range targets the ring finger rests on the little finger: MuJoCo's RFJ2 sags to
    // −0.059 rad from its target (−0.011 without the contact, as the first finger's does).
    let mut hand = Hand::new(HandParams { self_contacts: true, ..HandParams::default() }).unwrap();
    hand.step((2.0 / hand.params().physics_dt).round() as usize);
    let a = ACTUATORS.iter().position(|a| a.joint == 11).unwrap();
    let err = hand.joint_positions()[11] - hand.targets()[a];
    eprintln!("RFJ2 with self-contacts: {err:+.4} rad from its target (MuJoCo −0.059)");
    assert!((err + 0.059).abs() < 0.01, "RFJ2 {err:+.4} rad, MuJoCo −0.059");
}
