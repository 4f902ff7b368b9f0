//! The Env API against Gymnasium's contract: spaces, seeding, truncation, ordering, bad input.

use envs::{make, make_with, AutoresetMode, Env, EnvError, EnvExt, Info, Space, VecEnv};

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

/// A deterministic action sequence in [−1.2, 1.2] (so some entries get clipped).
fn action(step: usize, dim: usize) -> Vec<f32> {
    (0..dim).map(|j| (((step * 31 + j * 17) % 97) as f32 / 97.0) * 2.4 - 1.2).collect()
}

fn rollout(env: &mut dyn Env, seed: u64, steps: usize) -> (Vec<f32>, Vec<f64>) {
    let (mut obs, _) = env.reset_vec(Some(seed)).unwrap();
    let mut observations = obs.clone();
    let mut rewards = Vec::new();
    let mut info = Info::default();
    let dim = env.spec().act_dim();
    for t in 0..steps {
        let step = env.step(&action(t, dim), &mut obs, &mut info).unwrap();
        observations.extend_from_slice(&obs);
        rewards.push(step.reward);
    }
    (observations, rewards)
}

#[test]
fn swimmer_spaces_for_every_registered_n() {
    for n in 3..=13 {
        let env = make(&format!("Swimmer{n}-v0")).unwrap();
        let spec = env.spec();
        let Space::Box(obs) = &spec.observation_space else { panic!("Box observation") };
        assert_eq!(obs.shape, vec![(n - 1) + 3 * n]);
        assert!(obs.low.iter().all(|l| *l == f32::NEG_INFINITY));
        let Space::Box(act) = &spec.action_space else { panic!("Box action") };
        assert_eq!(act.shape, vec![n - 1]);
        assert!(act.low.iter().all(|l| *l == -1.0) && act.high.iter().all(|h| *h == 1.0));
        assert_eq!(spec.dt, 0.03);
        assert_eq!(spec.max_episode_steps, Some(1000));
        assert_eq!(spec.observation_names.len(), obs.dim());
        assert_eq!(spec.attr("n_links"), Some(n as f64));
    }
    assert_eq!(make("Swimmer6-v0").unwrap().spec().observation_space.to_string(), "Box(-inf, inf, (23,), float32)");
}

#[test]
fn same_seed_same_trajectory_bit_for_bit() {
    let (mut a, mut b) = (make("Swimmer6-v0").unwrap(), make("Swimmer6-v0").unwrap());
    let (oa, ra) = rollout(a.as_mut(), 42, 150);
    // A used env, reset with the same seed, replays the trajectory too.
    rollout(b.as_mut(), 7, 30);
    let (ob, rb) = rollout(b.as_mut(), 42, 150);
    assert!(oa.iter().zip(&ob).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert_eq!(ra, rb);
    let (oc, _) = rollout(a.as_mut(), 43, 1);
    assert_ne!(oa[..23], oc[..23], "another seed, another initial state");
}

#[test]
fn reset_without_seed_continues_the_stream() {
    let mut env = make("Swimmer6-v0").unwrap();
    let (first, _) = env.reset_vec(Some(5)).unwrap();
    let (second, _) = env.reset_vec(None).unwrap();
    assert_ne!(first, second);
    let (again, _) = env.reset_vec(Some(5)).unwrap();
    assert_eq!(first, again);
}

#[test]
fn reset_distribution_is_the_specified_one() {
    let mut env = make("Swimmer6-v0").unwrap();
    let range = env.spec().attr("joint_range").unwrap() as f32;
    let mut max_abs = 0.0_f32;
    for seed in 0..200 {
        let (obs, _) = env.reset_vec(Some(seed)).unwrap();
        for q in &obs[..5] {
            assert!(q.abs() < range);
            max_abs = max_abs.max(q.abs());
        }
        assert!(obs[5..].iter().all(|v| *v == 0.0), "starts at rest");
    }
    assert!(max_abs > 0.9 * range, "the hinges' reset range is the full ±range");
}

#[test]
fn time_limit_truncates_and_then_step_needs_reset() {
    let cfg = table("max_episode_steps = 20");
    let mut env = make_with("Swimmer4-v0", Some(&cfg)).unwrap();
    assert!(matches!(env.step_vec(&[0.0; 3]), Err(EnvError::NeedsReset { .. })), "step before reset");
    env.reset_vec(Some(0)).unwrap();
    for t in 1..=20 {
        let (_, step, info) = env.step_vec(&[0.5, -0.5, 0.5]).unwrap();
        assert!(!step.terminated);
        assert_eq!(step.truncated, t == 20);
        if t == 20 {
            assert_eq!(info.truncation_reason.as_deref(), Some("time_limit"));
        }
    }
    let err = env.step_vec(&[0.0; 3]).unwrap_err();
    assert!(err.to_string().contains("call reset() first"), "{err}");
    env.reset_vec(None).unwrap();
    env.step_vec(&[0.0; 3]).unwrap();
}

#[test]
fn reward_is_clipped_forward_speed() {
    let mut env = make("Swimmer6-v0").unwrap();
    env.reset_vec(Some(1)).unwrap();
    let mut saw_partial = false;
    for t in 0..300 {
        let (_, step, info) = env.step_vec(&action(t, 5)).unwrap();
        let v = info.get("forward_velocity").unwrap();
        assert_eq!(step.reward, (v / 0.1).clamp(0.0, 1.0));
        saw_partial |= step.reward > 0.0 && step.reward < 1.0;
    }
    assert!(saw_partial);
}

#[test]
fn bad_actions_are_errors_and_out_of_range_is_clipped() {
    let mut env = make("Swimmer6-v0").unwrap();
    env.reset_vec(Some(0)).unwrap();
    let err = env.step_vec(&[0.0; 4]).unwrap_err();
    assert_eq!(err, EnvError::ActionLength { env: "Swimmer6-v0".into(), expected: 5, got: 4 });
    assert!(err.to_string().contains("expected 5"));
    let err = env.step_vec(&[0.0, f32::NAN, 0.0, 0.0, 0.0]).unwrap_err();
    assert!(matches!(err, EnvError::NonFiniteAction { index: 1, .. }), "{err}");
    assert!(env.step_vec(&[0.0, 0.0, f32::INFINITY, 0.0, 0.0]).is_err());
    // A rejected action leaves the episode where it was: clipping is documented, so 5.0 acts as 1.0.
    let (mut a, mut b) = (make("Swimmer6-v0").unwrap(), make("Swimmer6-v0").unwrap());
    a.reset_vec(Some(3)).unwrap();
    b.reset_vec(Some(3)).unwrap();
    let (oa, ra, _) = a.step_vec(&[5.0, -7.0, 1.0, 0.3, -1.0]).unwrap();
    let (ob, rb, _) = b.step_vec(&[1.0, -1.0, 1.0, 0.3, -1.0]).unwrap();
    assert_eq!(oa, ob);
    assert_eq!(ra, rb);
    let mut short = vec![0.0; 3];
    assert!(matches!(a.reset(Some(0), &mut short, &mut Info::default()), Err(EnvError::BufferLength { .. })));
}

#[test]
fn unknown_ids_and_config_keys_list_what_is_valid() {
    let err = make("Swimer6-v0").unwrap_err().to_string();
    assert!(err.contains("unknown env id `Swimer6-v0`") && err.contains("Swimmer6-v0") && err.contains("Swimmer13-v0"), "{err}");
    for id in ["Swimmer2-v0", "Swimmer14-v0"] {
        let err = make(id).unwrap_err().to_string();
        assert!(err.contains("out of range") && err.contains("3..=13"), "{err}");
    }
    let err = make_with("Swimmer6-v0", Some(&table("substep = 3"))).unwrap_err().to_string();
    assert!(err.contains("unknown field `substep`") && err.contains("substeps"), "{err}");
    let err = make_with("Swimmer6-v0", Some(&table("substeps = 0"))).unwrap_err().to_string();
    assert!(err.contains("`substeps` = 0"), "{err}");
    let err = make_with("Swimmer6-v0", Some(&table("substeps = \"two\""))).unwrap_err().to_string();
    assert!(err.contains("invalid type"), "{err}");
    let err = make_with("Swimmer6-v0", Some(&table("n_links = 5"))).unwrap_err().to_string();
    assert!(err.contains("contradicts the id"), "{err}");
}

/// A fluid a million times denser than the swimmer's, at the usual step: the explicit drag
/// overshoots and the state diverges. The episode must end as truncated with the reason, not panic.
#[test]
fn physics_blowup_truncates_with_a_reason() {
    let cfg = table("fluid_density = 1.0e9\nsubsteps = 1");
    let mut env = make_with("Swimmer6-v0", Some(&cfg)).unwrap();
    let (mut obs, mut info) = env.reset_vec(Some(0)).unwrap();
    let mut blew_up = false;
    for t in 0..1000 {
        let step = env.step(&action(t, 5), &mut obs, &mut info).unwrap();
        if step.truncated {
            let reason = info.truncation_reason.clone().unwrap();
            assert!(reason.starts_with("physics_blowup"), "{reason}");
            assert!(obs.iter().all(|x| x.is_finite()), "no NaN leaks into the observation");
            blew_up = true;
            break;
        }
    }
    assert!(blew_up);
}

#[test]
fn vec_env_matches_single_envs_and_autoresets_next_step() {
    let cfg = table("max_episode_steps = 7");
    let n = 3;
    let mut venv = VecEnv::make("Swimmer3-v0", n, Some(&cfg), AutoresetMode::NextStep).unwrap();
    let d = venv.spec().obs_dim();
    venv.reset(Some(10)).unwrap();
    let mut singles: Vec<_> = (0..n).map(|_| make_with("Swimmer3-v0", Some(&cfg)).unwrap()).collect();
    let mut single_obs: Vec<Vec<f32>> = singles.iter_mut().enumerate().map(|(i, e)| e.reset_vec(Some(10 + i as u64)).unwrap().0).collect();
    assert_eq!(venv.observations().len(), n * d);
    for (i, o) in single_obs.iter().enumerate() {
        assert_eq!(&venv.observations()[i * d..(i + 1) * d], &o[..]);
    }
    for t in 0..7 {
        let actions: Vec<f32> = (0..n).flat_map(|i| action(t + i, 2)).collect();
        venv.step(&actions).unwrap();
        for (i, env) in singles.iter_mut().enumerate() {
            let (o, step, _) = env.step_vec(&action(t + i, 2)).unwrap();
            assert_eq!(&venv.observations()[i * d..(i + 1) * d], &o[..]);
            assert_eq!(venv.rewards()[i], step.reward);
            assert_eq!(venv.truncated()[i], t == 6);
            single_obs[i] = o;
        }
    }
    let episodes = venv.drain_episodes();
    assert_eq!(episodes.len(), n);
    assert!(episodes.iter().all(|e| e.length == 7 && e.truncated && !e.terminated));
    // The next step resets (ignoring the action): reward 0, no flags, the next reset's observation.
    venv.step(&vec![1.0; n * 2]).unwrap();
    for (i, env) in singles.iter_mut().enumerate() {
        let (o, _) = env.reset_vec(None).unwrap();
        assert_eq!(&venv.observations()[i * d..(i + 1) * d], &o[..]);
        assert_eq!(venv.rewards()[i], 0.0);
        assert!(!venv.truncated()[i] && !venv.terminated()[i]);
    }
}

#[test]
fn vec_env_same_step_keeps_the_final_observation() {
    let cfg = table("max_episode_steps = 5");
    let mut venv = VecEnv::make("Swimmer4-v0", 2, Some(&cfg), AutoresetMode::SameStep).unwrap();
    let mut single = make_with("Swimmer4-v0", Some(&cfg)).unwrap();
    let d = venv.spec().obs_dim();
    venv.reset(Some(0)).unwrap();
    single.reset_vec(Some(0)).unwrap();
    let mut ret = 0.0;
    let mut last = Vec::new();
    for t in 0..5 {
        let a = action(t, 3);
        venv.step(&[a.clone(), a.clone()].concat()).unwrap();
        let (o, step, _) = single.step_vec(&a).unwrap();
        ret += step.reward;
        last = o;
    }
    assert!(venv.truncated()[0]);
    assert_eq!(venv.info(0).truncation_reason.as_deref(), Some("time_limit"));
    assert_eq!(&venv.final_observations()[..d], &last[..]);
    let (reset_obs, _) = single.reset_vec(None).unwrap();
    assert_eq!(&venv.observations()[..d], &reset_obs[..], "already reset, in the same step");
    let eps = venv.drain_episodes();
    assert_eq!(eps[0].episode_return, ret);
    assert_eq!(eps[0].env_index, 0);
}

#[test]
fn vec_env_is_deterministic_across_thread_counts() {
    let run = |threads: usize| {
        let mut venv = VecEnv::make("Swimmer5-v0", 6, None, AutoresetMode::SameStep).unwrap().with_threads(threads).unwrap();
        venv.reset(Some(1)).unwrap();
        let mut trace = Vec::new();
        for t in 0..60 {
            let actions: Vec<f32> = (0..6).flat_map(|i| action(t * 6 + i, 4)).collect();
            venv.step(&actions).unwrap();
            trace.extend_from_slice(venv.observations());
        }
        trace
    };
    assert_eq!(run(1), run(2));
    let mut venv = VecEnv::make("Swimmer5-v0", 2, None, AutoresetMode::NextStep).unwrap();
    venv.reset(Some(0)).unwrap();
    assert!(matches!(venv.step(&[0.0; 3]), Err(EnvError::ActionLength { expected: 8, got: 3, .. })));
    // A NaN for env 1 is refused before env 0 steps: every env is left as it was.
    let before = venv.observations().to_vec();
    let err = venv.step(&[0.1, 0.1, 0.1, 0.1, 0.0, f32::NAN, 0.0, 0.0]).unwrap_err();
    assert!(err.to_string().contains("[env 1]"), "{err}");
    assert_eq!(venv.observations(), &before[..]);
}

#[test]
fn render_state_follows_the_body() {
    let mut env = make("Swimmer6-v0").unwrap();
    env.reset_vec(Some(2)).unwrap();
    for t in 0..50 {
        env.step_vec(&action(t, 5)).unwrap();
    }
    let state = env.render_state();
    assert_eq!(state.bodies.len(), 6);
    assert_eq!(state.bodies[0].name, "head");
    assert!((state.time - 50.0 * 0.03).abs() < 1e-9);
    // Neighbouring links' centres are one link length apart (joined end to end).
    for pair in state.bodies.windows(2) {
        let d = ((pair[0].position[0] - pair[1].position[0]).powi(2) + (pair[0].position[1] - pair[1].position[1]).powi(2)).sqrt();
        assert!(d <= 0.1 + 1e-5 && d > 0.05, "{d}");
        let q = pair[0].rotation;
        assert!(((q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]) - 1.0).abs() < 1e-5);
    }
    let mut phys = Vec::new();
    env.physical_state(&mut phys);
    assert!(phys.iter().any(|(k, _)| k == "joint_4_angle"));
}

/// Steps `env` with `action(k)` for k in `from..from + steps`, resetting (without a seed) when an
/// episode ends; returns observations, rewards and done flags, bit for bit.
fn continue_rollout(env: &mut dyn Env, from: usize, steps: usize) -> Vec<u64> {
    let spec = env.spec().clone();
    let (mut obs, mut info) = (vec![0.0; spec.obs_dim()], Info::default());
    let mut out = Vec::new();
    for k in from..from + steps {
        let s = env.step(&action(k, spec.act_dim()), &mut obs, &mut info).unwrap();
        out.extend(obs.iter().map(|x| x.to_bits() as u64));
        out.extend([s.reward.to_bits(), s.terminated as u64, s.truncated as u64]);
        if s.done() {
            env.reset(None, &mut obs, &mut info).unwrap();
            out.extend(obs.iter().map(|x| x.to_bits() as u64));
        }
    }
    out
}

#[test]
fn a_restored_snapshot_continues_bit_for_bit_across_resets() {
    // Episodes of 40 steps, so the continuation crosses resets: the snapshot carries the reset
    // stream and the time limit's step count too.
    for id in ["Swimmer6-v0", "Pendulum-v1", "BlimpAltitude-v0", "BlimpAltitudeDisturbed-v0", "DcPermExSpeed-v0", "PmsmCurrent-v0", "DcExtExTorque-v0"] {
        let config = "max_episode_steps = 40";
        let mut env = make_with(id, Some(&table(config))).unwrap();
        env.reset_vec(Some(3)).unwrap();
        continue_rollout(env.as_mut(), 0, 57);
        let snapshot = env.snapshot().unwrap();
        let expected = continue_rollout(env.as_mut(), 57, 100);
        let mut other = make_with(id, Some(&table(config))).unwrap();
        other.reset_vec(Some(99)).unwrap();
        other.restore(&snapshot).unwrap();
        assert_eq!(continue_rollout(other.as_mut(), 57, 100), expected, "{id}");
    }
}

#[test]
fn a_snapshot_of_another_env_or_config_is_refused_and_changes_nothing() {
    let mut six = make("Swimmer6-v0").unwrap();
    six.reset_vec(Some(0)).unwrap();
    let mut seven = make("Swimmer7-v0").unwrap();
    seven.reset_vec(Some(1)).unwrap();
    let before = seven.snapshot().unwrap();
    let err = seven.restore(&six.snapshot().unwrap()).unwrap_err();
    assert!(matches!(err, EnvError::Snapshot { .. }), "{err}");
    assert!(err.to_string().contains("Swimmer7-v0"), "{err}");
    let mut slow = make_with("Swimmer6-v0", Some(&table("desired_speed = 0.2"))).unwrap();
    let err = slow.restore(&six.snapshot().unwrap()).unwrap_err();
    assert!(err.to_string().contains("desired_speed"), "{err}");
    let err = seven.restore(b"\xff\x00garbage").unwrap_err();
    assert!(err.to_string().contains("not a readable snapshot"), "{err}");
    let pendulum = make("Pendulum-v1").unwrap();
    assert!(seven.restore(&pendulum.snapshot().unwrap()).is_err());
    assert_eq!(seven.snapshot().unwrap(), before);
}

#[test]
fn vec_env_snapshot_continues_bit_for_bit() {
    let config = table("max_episode_steps = 30");
    for mode in [AutoresetMode::NextStep, AutoresetMode::SameStep] {
        let make_venv = || VecEnv::make("Swimmer6-v0", 3, Some(&config), mode).unwrap();
        let run = |venv: &mut VecEnv, from: usize, steps: usize| {
            let mut out = Vec::new();
            for k in from..from + steps {
                let actions: Vec<f32> = (0..3).flat_map(|i| action(k + 7 * i, 5)).collect();
                venv.step(&actions).unwrap();
                out.extend(venv.observations().iter().map(|x| x.to_bits() as u64));
                out.extend(venv.rewards().iter().map(|r| r.to_bits()));
                out.extend(venv.drain_episodes().iter().map(|e| e.episode_return.to_bits()));
            }
            out
        };
        let mut venv = make_venv();
        venv.reset(Some(5)).unwrap();
        run(&mut venv, 0, 45);
        let snapshot = venv.snapshot().unwrap();
        let expected = run(&mut venv, 45, 50);
        let mut other = make_venv();
        other.reset(Some(6)).unwrap();
        other.restore(&snapshot).unwrap();
        assert_eq!(run(&mut other, 45, 50), expected, "{mode:?}");
        // Another number of envs is refused.
        let mut two = VecEnv::make("Swimmer6-v0", 2, Some(&config), mode).unwrap();
        assert!(two.restore(&snapshot).unwrap_err().to_string().contains("3 envs"));
    }
}
