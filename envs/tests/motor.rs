//! Motor tasks against GEM's conventions and Gymnasium's contract (the trajectories themselves
//! are checked against GEM by tools/gem/compare.sh).

use envs::tasks::motor::{gem_id, ids};
use envs::{make, make_with, EnvError, EnvExt, Info, Space};

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

#[test]
fn every_gem_family_is_registered_with_its_gem_id() {
    assert_eq!(ids().len(), 30);
    assert_eq!(gem_id("DcPermExSpeed-v0").as_deref(), Some("Cont-SC-PermExDc-v0"));
    assert_eq!(gem_id("PmsmCurrentFinite-v0").as_deref(), Some("Finite-CC-PMSM-v0"));
    for (id, _) in ids() {
        let mut env = make(&id).unwrap();
        let (obs, _) = env.reset_vec(Some(0)).unwrap();
        assert_eq!(obs.len(), env.spec().obs_dim(), "{id}");
        assert_eq!(env.spec().observation_names.len(), obs.len(), "{id}");
        let finite = id.contains("Finite");
        assert_eq!(matches!(env.spec().action_space, Space::Discrete { .. }), finite, "{id}");
    }
    let env = make("PmsmSpeed-v0").unwrap();
    assert_eq!(&env.spec().observation_names[..3], ["omega", "torque", "i_a"]);
    assert_eq!(env.spec().observation_names.last().unwrap(), "omega_ref");
    assert_eq!(env.spec().act_dim(), 3);
    assert_eq!(make("DcExtExCurrent-v0").unwrap().spec().act_dim(), 2);
}

/// GEM's weighted sum of errors: with a constant reference r on ω (in [−1, 1], so l = 2) the
/// reward is −|ω/ω_lim − r|/2; a current beyond its limit terminates with −1/(1 − γ) = −10.
#[test]
fn reward_is_gems_weighted_sum_of_errors_and_a_violation_terminates() {
    let cfg = table("max_episode_steps = 500\n[reference]\ntype = \"constant\"\nvalue = 0.25");
    let mut env = make_with("DcPermExSpeed-v0", Some(&cfg)).unwrap();
    let (obs, _) = env.reset_vec(Some(0)).unwrap();
    assert_eq!(*obs.last().unwrap(), 0.25);
    let mut info = Info::default();
    let mut o = obs.clone();
    for _ in 0..50 {
        let s = env.step(&[0.02], &mut o, &mut info).unwrap();
        let expected = -((o[0] as f64) - 0.25).abs() / 2.0;
        assert!((s.reward - expected).abs() < 1e-6, "{} vs {expected}", s.reward);
        assert!(!s.done());
    }
    // Full voltage from rest drives the armature current past 210 A within a few steps.
    let mut env = make("DcPermExSpeed-v0").unwrap();
    env.reset_vec(Some(0)).unwrap();
    let mut last = None;
    for _ in 0..20 {
        let (o, s, _) = env.step_vec(&[1.0]).unwrap();
        if s.done() {
            last = Some((o, s));
            break;
        }
    }
    let (o, s) = last.expect("the current limit is violated");
    assert!(s.terminated && (s.reward + 10.0).abs() < 1e-9 && o[2].abs() > 1.0, "{s:?} {o:?}");
}

/// The violation reward's three forms: GEM's −Σw/(1 − γ), the steps left to the time limit
/// (crashing at step k of T costs −Σw·(T − k + 1), never less than any tracking), or a number.
#[test]
fn the_violation_reward_follows_its_rule() {
    let crash = |text: &str| {
        let mut env = make_with("DcPermExSpeed-v0", Some(&table(text))).unwrap();
        env.reset_vec(Some(0)).unwrap();
        for k in 1..=20 {
            let (_, s, _) = env.step_vec(&[1.0]).unwrap();
            if s.terminated {
                return (k, s.reward);
            }
        }
        panic!("no violation");
    };
    let (k, r) = crash("gamma = 0.99");
    assert!((r + 100.0).abs() < 1e-9, "{r}");
    let (k2, r2) = crash("max_episode_steps = 2000\nviolation_reward = \"time_limit\"");
    assert_eq!(k, k2);
    assert_eq!(r2, -((2000 - k + 1) as f64));
    assert_eq!(crash("violation_reward = -7.5").1, -7.5);
    assert!((crash("violation_reward = \"gem\"").1 + 10.0).abs() < 1e-9);
    let err = make_with("DcPermExSpeed-v0", Some(&table("violation_reward = \"never\""))).unwrap_err().to_string();
    assert!(err.contains("violation_reward"), "{err}");
}

/// `rmse` in the info is the running root-mean-square tracking error in SI units: with a
/// constant reference of 0.25 (100 rad/s) and the motor at rest for the first step, the first
/// step's error is ω − 100 rad/s.
#[test]
fn info_carries_the_running_tracking_rmse_in_si_units() {
    let mut env = make_with("DcPermExSpeed-v0", Some(&table("[reference]\ntype = \"constant\"\nvalue = 0.25"))).unwrap();
    env.reset_vec(Some(0)).unwrap();
    let mut info = Info::default();
    let mut obs = vec![0.0; env.spec().obs_dim()];
    let mut squares = Vec::new();
    for _ in 0..100 {
        env.step(&[0.01], &mut obs, &mut info).unwrap();
        squares.push((obs[0] as f64 * 400.0 - 100.0).powi(2));
        let expected = (squares.iter().sum::<f64>() / squares.len() as f64).sqrt();
        let rmse = info.get("rmse").unwrap();
        assert!((rmse - expected).abs() < 1e-3, "{rmse} vs {expected}");
    }
    // Reset starts a new episode's error.
    env.reset_vec(Some(1)).unwrap();
    env.step(&[0.0], &mut obs, &mut info).unwrap();
    assert!((info.get("rmse").unwrap() - 100.0).abs() < 1e-2);
}

/// `control_space = "dq"`: the PMSM's action is the rotor-frame voltage over half the supply,
/// applied exactly (the drive holds the dq voltage of the step's start), and it drives the same
/// trajectory as the phase duty cycles that `dq_to_abc` at that angle gives.
#[test]
fn the_pmsm_takes_dq_actions() {
    let dq = table("control_space = \"dq\"");
    let mut env = make_with("PmsmSpeed-v0", Some(&dq)).unwrap();
    assert_eq!(env.spec().act_dim(), 2);
    let mut abc_env = make("PmsmSpeed-v0").unwrap();
    env.reset_vec(Some(0)).unwrap();
    let (mut abc_obs, _) = abc_env.reset_vec(Some(0)).unwrap();
    let eps_index = abc_env.spec().observation_index("epsilon").unwrap();
    let mut state = Vec::new();
    for k in 0..400 {
        let action = [0.01 + 0.005 * (k as f32 * 0.01).sin(), 0.02];
        let eps = abc_obs[eps_index] as f64 * std::f64::consts::PI;
        let abc = bodies::motor::transforms::dq_to_abc([action[0] as f64, action[1] as f64], eps).map(|x| x as f32);
        let (o, _, _) = env.step_vec(&action).unwrap();
        let (o_abc, _, _) = abc_env.step_vec(&abc).unwrap();
        env.physical_state(&mut state);
        let get = |n: &str| state.iter().find(|(k, _)| k == n).unwrap().1;
        assert!((get("u_sd") - action[0] as f64 * 210.0).abs() < 1e-3 && (get("u_sq") - action[1] as f64 * 210.0).abs() < 1e-3, "step {k}");
        for (a, b) in o.iter().zip(&o_abc) {
            assert!((a - b).abs() < 1e-5, "step {k}: {o:?} vs {o_abc:?}");
        }
        abc_obs = o_abc;
    }
    let err = make_with("DcPermExSpeed-v0", Some(&dq)).unwrap_err().to_string();
    assert!(err.contains("control_space"), "{err}");
    assert!(make_with("PmsmSpeedFinite-v0", Some(&dq)).is_err());
}

#[test]
fn bad_actions_and_configs_are_named() {
    let mut env = make("DcPermExSpeedFinite-v0").unwrap();
    env.reset_vec(Some(0)).unwrap();
    assert!(env.step_vec(&[4.0]).unwrap_err().to_string().contains("switching state in 0..4"));
    assert!(env.step_vec(&[1.5]).unwrap_err().to_string().contains("switching state"));
    assert!(env.step_vec(&[1.0]).is_ok());
    let mut env = make("DcPermExSpeed-v0").unwrap();
    env.reset_vec(Some(0)).unwrap();
    assert!(matches!(env.step_vec(&[f32::NAN]).unwrap_err(), EnvError::NonFiniteAction { .. }));
    let err = |text: &str| make_with("DcPermExSpeed-v0", Some(&table(text))).unwrap_err().to_string();
    assert!(err("[dc_motor]\nr_a = -1.0\nl_a = 19e-6\nr_e = 0.16\nl_e = 5.4e-3\nl_e_prime = 1.7e-3\npsi_e = 0.165\nj_rotor = 0.025").contains("`r_a`"));
    assert!(err("[dc_motor]\nr_x = 1.0").contains("r_x"));
    assert!(err("gamma = 1.0").contains("gamma"));
    assert!(err("[load]\ntype = \"polynomial\"\na = 0.0\nb = 0.0\nc = 0.0\nj_load = -1.0").contains("j_load"));
}

#[test]
fn same_seed_same_reference() {
    let run = |seed| {
        let mut env = make("PmsmCurrent-v0").unwrap();
        let mut out = env.reset_vec(Some(seed)).unwrap().0;
        for _ in 0..300 {
            out.extend(env.step_vec(&[0.0, 0.0, 0.0]).unwrap().0);
        }
        out
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}
