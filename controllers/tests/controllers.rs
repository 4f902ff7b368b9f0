//! Controllers against hand-worked values, and the registry's errors.

use controllers::{make, Ncap, NcapConfig, NcapInit, Policy, PolicyError};
use envs::{BoxSpace, EnvSpec, Space};

const RANGE: f32 = std::f32::consts::FRAC_PI_3;

fn ncap(n_joints: usize, config: NcapConfig) -> Ncap {
    Ncap::new(n_joints, RANGE, config).unwrap()
}

/// Observation of a 3-hinge swimmer: the hinge angles then (unused here) velocities.
fn obs(angles: [f32; 3]) -> Vec<f32> {
    let mut o = angles.to_vec();
    o.extend([0.0; 12]);
    o
}

#[test]
fn ncap_hand_worked_values() {
    let mut p = ncap(3, NcapConfig::default());
    p.reset(None);
    let mut u = [0.0; 3];
    // Step 0, dorsal phase. Hinge 0: b_d = graded(w_osc·1) = 1, b_v = 0,
    //   m_d = graded(1·1 + (−1)·0) = 1, m_v = graded(1·0 + (−1)·1) = 0 → u0 = 1.
    // Hinge 1 reads hinge 0 at x = 0.5: b_d = 0.5, b_v = 0 → m_d = 0.5, m_v = 0 → u1 = 0.5.
    // Hinge 2 reads hinge 1 at x = −0.25: b_d = 0, b_v = 0.25 → m_d = 0, m_v = 0.25 → u2 = −0.25.
    p.act(&obs([0.5 * RANGE, -0.25 * RANGE, 2.0 * RANGE]), &mut u);
    assert_eq!(u, [1.0, 0.5, -0.25]);
    let act = p.activity().unwrap();
    assert_eq!(act.labels[0], "joint_0.b_dorsal");
    assert_eq!(&act.values[..8], &[1.0, 0.0, 1.0, 0.0, 0.5, 0.0, 0.5, 0.0]);
    // Proprioception saturates at the range: x = clamp(2, −1, 1) = 1 feeds hinge... none (it is the last).
    // Steps 1–29 stay dorsal; step 30 turns ventral: u0 = −1.
    for _ in 1..30 {
        p.act(&obs([0.0; 3]), &mut u);
        assert_eq!(u[0], 1.0);
    }
    p.act(&obs([-1.5 * RANGE, 0.0, 0.0]), &mut u);
    assert_eq!(u, [-1.0, -1.0, 0.0], "ventral phase; hinge 1 reads x = clamp(−1.5) = −1");
    // Reset restarts the oscillator.
    p.reset(None);
    p.act(&obs([0.0; 3]), &mut u);
    assert_eq!(u[0], 1.0);
}

#[test]
fn ncap_oscillator_is_a_square_wave_of_sixty_steps() {
    let p = ncap(5, NcapConfig::default());
    let dorsal: Vec<bool> = (0..120).map(|k| p.oscillator(k).0 == 1.0).collect();
    assert!(dorsal[..30].iter().all(|d| *d) && dorsal[30..60].iter().all(|d| !*d));
    assert_eq!(dorsal[..60], dorsal[60..]);
}

#[test]
fn ncap_sign_constraints_clamp_at_use() {
    let mut p = ncap(3, NcapConfig::default());
    assert_eq!(p.parameter_names(), ["w_prop", "w_osc", "w_ipsi", "w_contra"]);
    // w_ipsi pushed negative is clamped to 0: no muscle ever activates.
    p.set_parameters(&[1.0, 1.0, -2.0, -1.0]).unwrap();
    let mut u = [9.0; 3];
    p.reset(None);
    p.act(&obs([0.5 * RANGE, 0.5 * RANGE, 0.0]), &mut u);
    assert_eq!(u, [0.0; 3]);
    // w_contra pushed positive is clamped to 0: hinge 0 is then m_d = 1 − 0 = 1.
    p.set_parameters(&[1.0, 1.0, 1.0, 3.0]).unwrap();
    p.reset(None);
    p.act(&obs([0.0; 3]), &mut u);
    assert_eq!(u[0], 1.0);
    // Without the constraints the same parameters act as given: w_contra = 3 excites the ventral muscle.
    let mut free = ncap(3, NcapConfig { sign_constrained: false, ..NcapConfig::default() });
    free.set_parameters(&[1.0, 1.0, 1.0, 3.0]).unwrap();
    free.act(&obs([0.0; 3]), &mut u);
    assert_eq!(u[0], 1.0 - 1.0, "m_d = graded(1) = 1, m_v = graded(0 + 3·1) = 1");
    assert_eq!(free.name(), "ncap-unconstrained");
}

#[test]
fn ncap_unshared_starts_equal_to_shared() {
    let mut shared = ncap(5, NcapConfig::default());
    let mut unshared = ncap(5, NcapConfig { shared: false, ..NcapConfig::default() });
    assert_eq!(unshared.parameters().unwrap().len(), 1 + 4 + 2 * 5);
    assert_eq!(unshared.name(), "ncap-unshared");
    let (mut a, mut b) = ([0.0; 5], [0.0; 5]);
    for k in 0..90 {
        let o: Vec<f32> = (0..5).map(|j| ((k + 3 * j) as f32 * 0.37).sin() * 1.3 * RANGE).chain([0.0; 18]).collect();
        shared.act(&o, &mut a);
        unshared.act(&o, &mut b);
        assert_eq!(a, b);
    }
}

#[test]
fn ncap_random_init_is_seeded_and_keeps_signs() {
    let cfg = NcapConfig { init: NcapInit::Random, init_seed: 3, ..NcapConfig::default() };
    let (a, b) = (ncap(5, cfg.clone()), ncap(5, cfg.clone()));
    assert_eq!(a.parameters(), b.parameters());
    let p = a.parameters().unwrap();
    assert!(p[..3].iter().all(|w| *w >= 0.0 && *w < 1.0) && p[3] <= 0.0 && p[3] > -1.0);
    assert_ne!(p, &[1.0, 1.0, 1.0, -1.0]);
    let c = ncap(5, NcapConfig { init_seed: 4, ..cfg });
    assert_ne!(a.parameters(), c.parameters());
}

#[test]
fn bad_parameters_are_errors() {
    let mut p = ncap(5, NcapConfig::default());
    assert_eq!(
        p.set_parameters(&[1.0, 2.0]).unwrap_err(),
        PolicyError::ParameterLength { policy: "ncap".into(), expected: 4, got: 2 }
    );
    assert!(matches!(p.set_parameters(&[1.0, f32::NAN, 1.0, -1.0]), Err(PolicyError::NonFiniteParameter { index: 1, .. })));
    assert_eq!(p.parameters().unwrap(), &[1.0, 1.0, 1.0, -1.0], "a rejected vector changes nothing");
    assert!(Ncap::new(5, 0.0, NcapConfig::default()).is_err());
    assert!(Ncap::new(5, RANGE, NcapConfig { oscillator_period: 1, ..NcapConfig::default() }).is_err());
}

fn swimmer_spec() -> EnvSpec {
    envs::make("Swimmer6-v0").unwrap().spec().clone()
}

#[test]
fn registry_builds_every_controller_for_a_body_and_refuses_the_others_by_name() {
    let specs = ["Swimmer6-v0", "BlimpAltitude-v0", "DcPermExSpeed-v0"].map(|id| envs::make(id).unwrap().spec().clone());
    for entry in controllers::POLICIES {
        let mut built = 0;
        for spec in &specs {
            let actions = std::env::temp_dir().join(format!("nerve-replay-{}-{}.csv", std::process::id(), spec.act_dim()));
            std::fs::write(&actions, format!("{}\n", vec!["0.1"; spec.act_dim()].join(","))).unwrap();
            let config: Option<toml::Table> = match entry.name {
                "constant" => Some(format!("action = [{}]", vec!["0.1"; spec.act_dim()].join(", ")).parse().unwrap()),
                "replay" => Some(format!("file = {:?}", actions.display().to_string()).parse().unwrap()),
                _ => None,
            };
            match make(entry.name, spec, config.as_ref()) {
                Ok(mut p) => {
                    p.reset(Some(0));
                    let mut u = vec![0.0; spec.act_dim()];
                    p.act(&vec![0.1; spec.obs_dim()], &mut u);
                    assert!(u.iter().all(|x| (-1.0..=1.0).contains(x)), "{} on {}: {u:?}", entry.name, spec.id);
                    built += 1;
                }
                Err(e) => assert!(matches!(e, controllers::PolicyError::Incompatible { .. }), "{} on {}: {e}", entry.name, spec.id),
            }
        }
        assert!(built > 0, "{} builds for no env", entry.name);
    }
}

#[test]
fn registry_errors_name_what_is_wrong() {
    let spec = swimmer_spec();
    let err = make("ncapp", &spec, None).unwrap_err().to_string();
    assert!(err.contains("unknown controller `ncapp`") && err.contains("travelling-wave"), "{err}");
    let cfg: toml::Table = "oscilator_period = 40".parse().unwrap();
    let err = make("ncap", &spec, Some(&cfg)).unwrap_err().to_string();
    assert!(err.contains("unknown field `oscilator_period`") && err.contains("oscillator_period"), "{err}");
    let cfg: toml::Table = "amplitude = 0.5".parse().unwrap();
    assert!(make("zero", &spec, Some(&cfg)).unwrap_err().to_string().contains("takes no options"));
    let other = EnvSpec {
        id: "Pendulum-v1".into(),
        observation_space: Space::Box(BoxSpace::uniform(3, -8.0, 8.0)),
        action_space: Space::Box(BoxSpace::uniform(1, -2.0, 2.0)),
        dt: 0.05,
        max_episode_steps: Some(200),
        attrs: vec![],
        observation_names: vec![],
        signals: vec![],
        episode_metrics: vec![],
        goal: None,
    };
    let err = make("ncap", &other, None).unwrap_err().to_string();
    assert!(err.contains("cannot drive Pendulum-v1") && err.contains("swimmer"), "{err}");
}

#[test]
fn travelling_wave_and_random_follow_their_definitions() {
    let spec = swimmer_spec();
    let cfg: toml::Table = "amplitude = 0.8\nperiod = 1.2\nphase_lag = 0.5".parse().unwrap();
    let mut wave = make("travelling-wave", &spec, Some(&cfg)).unwrap();
    let mut u = [0.0; 5];
    for k in 0..10 {
        wave.act(&[0.0; 23], &mut u);
        let t = k as f32 * 0.03;
        for (i, a) in u.iter().enumerate() {
            let want = 0.8 * (std::f32::consts::TAU * t / 1.2 - 0.5 * i as f32).sin();
            assert!((a - want).abs() < 1e-5);
        }
    }
    let mut r1 = make("random", &spec, None).unwrap();
    let mut r2 = make("random", &spec, None).unwrap();
    r1.reset(Some(9));
    r2.reset(Some(9));
    let (mut a, mut b) = ([0.0; 5], [0.0; 5]);
    let mut seen = Vec::new();
    for _ in 0..200 {
        r1.act(&[0.0; 23], &mut a);
        r2.act(&[0.0; 23], &mut b);
        assert_eq!(a, b);
        seen.extend(a);
    }
    assert!(seen.iter().all(|x| (-1.0..1.0).contains(x)));
    let mean = seen.iter().sum::<f32>() / seen.len() as f32;
    assert!(mean.abs() < 0.1 && seen.iter().any(|x| *x > 0.9) && seen.iter().any(|x| *x < -0.9));
}
