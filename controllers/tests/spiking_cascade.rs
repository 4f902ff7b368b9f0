//! `snn` on a motor speed task: the spiking network is the cascade's speed loop. Its input and
//! its teacher's terms against hand-worked values; a silent network asks for no torque; envs
//! without a speed loop are refused by name.

use controllers::{make, CascadedPiConfig, SpeedCascade};
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
    let speed = cascade.speed_loop();
    assert!((speed.torque_limit() - 16.005).abs() < 1e-9);
    assert!((speed.saturating_error() - 16.005 / 15.6875).abs() < 1e-9);
    assert!((speed.network_input(&obs) - 0.490_09).abs() < 1e-4, "{}", speed.network_input(&obs));
    let mut action = [0.0f32];
    cascade.policy().act(&obs, &mut action);
    let (p, i) = cascade.speed_loop().teacher_terms(&obs);
    assert!((p - 0.490_09).abs() < 1e-4 && (i - 0.007_657_4).abs() < 1e-6, "P {p}, I {i}");
}

/// PmsmSpeed-v0: J = 0.03883 + 1e-5 kg·m², T_σ = a·1.5τ = 6e-4 s, so K_p = J/(a T_σ) =
/// 16.183 N·m·s/rad; T_max is the MTPA torque at 240 A, 160.61 N·m: a 1 rad/s error is
/// 16.183/160.61 = 0.10076 in the network's units.
#[test]
fn the_pmsm_speed_loop_scales_the_error_by_its_gains() {
    let cfg = table("[reference]\ntype = \"constant\"\nvalue = 0.0023873241");
    let mut env = make_with("PmsmSpeed-v0", Some(&cfg)).unwrap();
    let (obs, _) = env.reset_vec(Some(0)).unwrap();
    let cascade = SpeedCascade::new(env.spec(), &CascadedPiConfig::default()).unwrap();
    let speed = cascade.speed_loop();
    assert!((speed.torque_limit() - 160.61).abs() < 0.01, "{}", speed.torque_limit());
    let kp = (0.03883 + 1e-5) / (4.0 * 4.0 * 1.5e-4);
    assert!((speed.pi().config().kp - kp).abs() < 1e-9);
    // 0.0023873241 of the 418.879 rad/s limit is 1.0000 rad/s.
    assert!((speed.network_input(&obs) as f64 - kp / speed.torque_limit()).abs() < 1e-4, "{}", speed.network_input(&obs));
}

/// Decoder weights of zero: no torque is asked for, the current loop holds zero current, and the
/// unloaded motor stays at rest although the reference asks for 100 rad/s. A NaN speed reading
/// holds the command.
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
    let current = env.spec().observation_index("i").unwrap();
    assert!(obs[0].abs() < 1e-6, "ω = {} of the limit", obs[0]);
    assert!(obs[current].abs() < 1e-6, "i = {} of the limit", obs[current]);
    assert!(snn.work().unwrap().macs > 2000);
    let mut held = [0.25f32];
    let mut broken = obs.clone();
    broken[0] = f32::NAN;
    snn.act(&broken, &mut held);
    assert_eq!(held, [0.25]);
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
