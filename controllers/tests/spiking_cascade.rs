//! `snn` on a motor speed task: the spiking network is the cascade's speed loop. Its input and
//! its teacher's terms against hand-worked values; a silent network asks for no torque; envs
//! without a speed loop are refused by name.

use controllers::{make, CascadedPiConfig, Policy, SpeedCascade};
use envs::{make_with, EnvExt};

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

/// DcPermExSpeed-v0: J = 0.025 + 1e-4 kg·m², τ = 1e-4 s, a = 4, so K_p = J/(a²τ) = 15.6875 N·m·s/rad
/// and K_i = K_p/(a³τ) = 2451.17 N·m/rad; T_max = ψ_e·i_n = 0.165·97 = 16.005 N·m. A speed error
/// of 0.5 rad/s from rest is 0.5·K_p/T_max = 0.49009 in the network's units; after one step of
/// the teacher, its P term is that and its I term K_i·0.5·τ/T_max = 0.0076574.
#[test]
fn the_network_input_and_the_teachers_terms_are_what_the_gains_say() {
    let cfg = table("[reference]\ntype = \"constant\"\nvalue = 0.00125");
    let mut env = make_with("DcPermExSpeed-v0", Some(&cfg)).unwrap();
    let (obs, _) = env.reset_vec(Some(0)).unwrap();
    let mut cascade = SpeedCascade::new(env.spec(), &CascadedPiConfig::default()).unwrap();
    assert!((cascade.torque_limit() - 16.005).abs() < 1e-9);
    assert!((cascade.saturating_error() - 16.005 / 15.6875).abs() < 1e-9);
    assert!((cascade.network_input(&obs) - 0.490_09).abs() < 1e-4, "{}", cascade.network_input(&obs));
    let mut action = [0.0f32];
    cascade.policy().act(&obs, &mut action);
    let (p, i) = cascade.teacher_terms(&obs);
    assert!((p - 0.490_09).abs() < 1e-4 && (i - 0.007_657_4).abs() < 1e-6, "P {p}, I {i}");
}

/// Decoder weights of zero: no torque is asked for, the current loop holds zero current, and the
/// unloaded motor stays at rest although the reference asks for 100 rad/s.
#[test]
fn a_silent_network_asks_for_no_torque() {
    let cfg = table("max_episode_steps = 300\n[reference]\ntype = \"constant\"\nvalue = 0.25");
    let mut env = make_with("DcPermExSpeed-v0", Some(&cfg)).unwrap();
    let mut snn = make("snn", env.spec(), None).unwrap();
    assert_eq!(snn.parameters().unwrap().len(), 922);
    let names = snn.parameter_names();
    let mut params = snn.parameters().unwrap().to_vec();
    for (p, name) in params.iter_mut().zip(&names) {
        if name.ends_with(".w") {
            *p = 0.0;
        }
    }
    snn.set_parameters(&params).unwrap();
    let (mut obs, _) = env.reset_vec(Some(0)).unwrap();
    let mut action = [0.0f32];
    for _ in 0..300 {
        snn.act(&obs, &mut action);
        let (o, step, _) = env.step_vec(&action).unwrap();
        obs = o;
        if step.done() {
            break;
        }
    }
    assert!(obs[0].abs() < 1e-6, "ω = {} of the limit", obs[0]);
    assert!(snn.work().unwrap().macs > 2000);
}

#[test]
fn drives_without_a_speed_loop_are_refused_by_name() {
    for (id, needle) in [("DcPermExTorque-v0", "omega_ref"), ("PmsmCurrent-v0", "omega_ref")] {
        let env = envs::make(id).unwrap();
        let err = make("snn", env.spec(), None).unwrap_err().to_string();
        assert!(err.contains(needle) && err.contains("`snn`"), "{id}: {err}");
    }
    // The PMSM's speed task takes the network over its field-oriented cascade.
    let env = envs::make("PmsmSpeed-v0").unwrap();
    assert_eq!(make("snn-pd", env.spec(), None).unwrap().parameters().unwrap().len(), 6 * 120 + 2);
}
