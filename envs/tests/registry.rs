//! The registry's table, every env's signal description, and task families.

use envs::{make, make_with, registry, Env, EnvExt, Info};

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

#[test]
fn every_entry_describes_its_family_config_and_signals() {
    let families: std::collections::BTreeSet<&str> = registry().iter().map(|e| e.family).collect();
    assert_eq!(families.into_iter().collect::<Vec<_>>(), ["blimp", "classic", "hand", "motor", "swimmer"]);
    for e in registry() {
        assert!(!e.summary.is_empty(), "{}", e.id);
        // The defaults are a config the entry accepts as given.
        let env = e.make(Some(&e.defaults)).unwrap_or_else(|err| panic!("{}: its own defaults are refused: {err}", e.id));
        assert_eq!(env.spec(), &e.spec().unwrap(), "{}", e.id);
    }
    let swimmer = envs::entry("Swimmer6-v0").unwrap();
    assert_eq!(swimmer.defaults.get("n_links").and_then(|v| v.as_integer()), Some(6));
}

/// `physical_state` reports exactly the signals the spec describes, in order, and values within
/// the limits the spec gives for them hold after a few steps from reset (the drives start at
/// rest, the swimmer's hinges start within their range).
#[test]
fn physical_state_matches_the_spec_signals_for_every_env() {
    for e in registry() {
        let mut env = e.make(None).unwrap();
        let spec = env.spec().clone();
        let (mut obs, mut info) = (vec![0.0; spec.obs_dim()], Info::default());
        env.reset(Some(1), &mut obs, &mut info).unwrap();
        let action = vec![0.0; spec.act_dim()];
        let mut state = Vec::new();
        for _ in 0..3 {
            env.physical_state(&mut state);
            let names: Vec<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
            let described: Vec<&str> = spec.signals.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, described, "{}", e.id);
            for (s, (_, v)) in spec.signals.iter().zip(&state) {
                assert!(!s.unit.is_empty(), "{}: {} has no unit", e.id, s.name);
                if let (Some((lo, hi)), true) = (s.limits, v.is_finite()) {
                    assert!(lo <= hi, "{}: {} limits {lo} > {hi}", e.id, s.name);
                }
            }
            env.step(&action, &mut obs, &mut info).unwrap();
        }
        for (reference, of) in envs::signal::reference_pairs(&spec.signals) {
            assert!(spec.signals.iter().any(|s| s.name == of), "{}: {reference} is the reference of {of}, which is no signal", e.id);
        }
    }
    let blimp = make("BlimpAltitude-v0").unwrap();
    assert_eq!(envs::signal::reference_pairs(&blimp.spec().signals), [("reference", "altitude")]);
    let swimmer = make("Swimmer6-v0").unwrap();
    let hinge = swimmer.spec().signals.iter().find(|s| s.name == "joint_0_angle").unwrap();
    assert_eq!(hinge.unit, "rad");
    assert!((hinge.limits.unwrap().1 - std::f64::consts::PI / 3.0).abs() < 1e-6, "{hinge:?}");
}

#[test]
fn a_task_family_samples_its_members_and_says_which_in_the_observation() {
    let entry = envs::entry("BlimpAltitudeMixed-v0").unwrap();
    assert!(entry.is_composite());
    assert_eq!(entry.members, ["BlimpAltitude-v0", "BlimpAltitudeDisturbed-v0"]);
    let mut env = make("BlimpAltitudeMixed-v0").unwrap();
    let spec = env.spec().clone();
    let member = make("BlimpAltitude-v0").unwrap();
    assert_eq!(spec.obs_dim(), member.spec().obs_dim() + 2);
    assert_eq!(&spec.observation_names[4..], ["task_BlimpAltitude-v0", "task_BlimpAltitudeDisturbed-v0"]);
    assert_eq!(spec.action_space, member.spec().action_space);
    let mut seen = [0; 2];
    for seed in 0..40 {
        let (obs, info) = env.reset_vec(Some(seed)).unwrap();
        let k = info.get("task_index").unwrap() as usize;
        seen[k] += 1;
        assert_eq!(&obs[4..], if k == 0 { [1.0, 0.0] } else { [0.0, 1.0] }, "seed {seed}");
        // The same seed gives the same member and the same first observation.
        let (again, _) = env.reset_vec(Some(seed)).unwrap();
        assert_eq!(obs, again);
        let (_, step, info) = env.step_vec(&[0.1]).unwrap();
        assert!(!step.done() && info.get("task_index") == Some(k as f64));
    }
    assert!(seen[0] > 10 && seen[1] > 10, "{seen:?}");
    // Weights choose the members: all weight on the disturbed blimp.
    let weights = table("weights = [0.0, 1.0]");
    let mut disturbed = make_with("BlimpAltitudeMixed-v0", Some(&weights)).unwrap();
    for seed in 0..5 {
        let (_, info) = disturbed.reset_vec(Some(seed)).unwrap();
        assert_eq!(info.get("task_index"), Some(1.0));
    }
}

#[test]
fn a_task_family_snapshot_continues_bit_for_bit() {
    let config = table("[member_config.\"BlimpAltitude-v0\"]\nmax_episode_steps = 20\n[member_config.\"BlimpAltitudeDisturbed-v0\"]\nmax_episode_steps = 30");
    let mut env = make_with("BlimpAltitudeMixed-v0", Some(&config)).unwrap();
    let run = |env: &mut dyn Env, steps: usize| -> Vec<u32> {
        let mut out = Vec::new();
        for k in 0..steps {
            let (obs, s, _) = env.step_vec(&[(k as f32 * 0.37).sin()]).unwrap();
            out.extend(obs.iter().map(|x| x.to_bits()));
            if s.done() {
                out.extend(env.reset_vec(None).unwrap().0.iter().map(|x| x.to_bits()));
            }
        }
        out
    };
    env.reset_vec(Some(7)).unwrap();
    run(env.as_mut(), 33);
    let snapshot = env.snapshot().unwrap();
    let expected = run(env.as_mut(), 80);
    let mut other = make_with("BlimpAltitudeMixed-v0", Some(&config)).unwrap();
    other.reset_vec(Some(1)).unwrap();
    other.restore(&snapshot).unwrap();
    assert_eq!(run(other.as_mut(), 80), expected);
}

#[test]
fn task_family_configs_that_cannot_work_are_refused_by_name() {
    let err = |cfg: &str| make_with("BlimpAltitudeMixed-v0", Some(&table(cfg))).unwrap_err().to_string();
    assert!(err("weights = [1.0]").contains("`weights`"), "{}", err("weights = [1.0]"));
    assert!(err("members = []").contains("`members` is empty"));
    let e = err("members = [\"BlimpAltitude-v0\", \"Swimmer6-v0\"]");
    assert!(e.contains("BlimpAltitude-v0") && e.contains("Swimmer6-v0") && e.contains("must share"), "{e}");
    let e = err("members = [\"BlimpAltitudeMixed-v0\"]");
    assert!(e.contains("families do not nest"), "{e}");
    let e = err("members = [\"Blimp-v9\"]");
    assert!(e.contains("unknown env id `Blimp-v9`"), "{e}");
    let e = err("[member_config.\"Pendulum-v1\"]\ng = 1.0");
    assert!(e.contains("`member_config` names `Pendulum-v1`"), "{e}");
    let e = err("[member_config.\"BlimpAltitude-v0\"]\nflor = 1.0");
    assert!(e.contains("BlimpAltitude-v0") && e.contains("unknown field `flor`"), "{e}");
    let mut env = make("BlimpAltitudeMixed-v0").unwrap();
    let e = env.step_vec(&[0.0]).unwrap_err().to_string();
    assert!(e.contains("BlimpAltitudeMixed-v0") && e.contains("reset"), "{e}");
}
