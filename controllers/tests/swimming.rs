//! Closed loop on the real task: NCAP swims as it does on dm_control's swimmer.
//!
//! Reference returns were measured with `tools/fidelity/dm_swimmer.py` on dm_control 1.0.50 /
//! MuJoCo 3.17.0 (seeds 0–2: 794.13, 807.01, 803.39). The full side-by-side check, with
//! dm_control run live, is `tools/fidelity/compare.sh`.

use controllers::run_episode;

fn mean_return(controller: &str, seeds: std::ops::Range<u64>) -> f64 {
    let mut env = envs::make("Swimmer6-v0").unwrap();
    let mut policy = controllers::make(controller, env.spec(), None).unwrap();
    let n = seeds.end - seeds.start;
    let total: f64 = seeds
        .map(|seed| {
            let ep = run_episode(env.as_mut(), policy.as_mut(), seed, |_| {}).unwrap();
            assert_eq!(ep.length, 1000);
            assert_eq!(ep.truncation_reason.as_deref(), Some("time_limit"));
            ep.episode_return
        })
        .sum();
    total / n as f64
}

#[test]
fn ncap_swims_as_on_dm_control() {
    let dm_control = (794.13 + 807.01 + 803.39) / 3.0;
    let nerve = mean_return("ncap", 0..3);
    assert!((nerve - dm_control).abs() / dm_control < 0.03, "NCAP: nerve {nerve:.1} vs dm_control {dm_control:.1}");
}

#[test]
fn zero_policy_does_not_move_and_random_barely_swims() {
    assert_eq!(mean_return("zero", 0..2), 0.0);
    let random = mean_return("random", 0..3);
    assert!(random > 40.0 && random < 200.0, "random: {random}");
}

/// NCAP through DC motors (`[dc_motors]`, micro-motors whose stall torque equals the ideal
/// actuators' full torque): the back-EMF at swimming speeds is small, so it swims almost as with
/// ideal torque sources; the electrical energy reported is what the motors drew (about I²R at
/// the near-stall currents NCAP's saturated commands ask for); a weaker supply swims slower.
#[test]
fn ncap_swims_through_dc_motors_and_reports_the_energy_drawn() {
    let run = |config: &str| {
        let cfg: toml::Table = config.parse().unwrap();
        let mut env = envs::make_with("Swimmer6-v0", Some(&cfg)).unwrap();
        let mut ncap = controllers::make("ncap", env.spec(), None).unwrap();
        let ep = run_episode(env.as_mut(), ncap.as_mut(), 0, |_| {}).unwrap();
        let energy = ep.final_info.iter().find(|(k, _)| *k == "electrical_energy").map(|(_, v)| *v);
        (ep.episode_return, energy)
    };
    let (ideal, none) = run("");
    assert_eq!(none, None, "ideal actuators draw no electrical energy");
    let (motors, energy) = run("[dc_motors]");
    let energy = energy.unwrap();
    assert!((motors - ideal).abs() / ideal < 0.02, "DC motors {motors:.1} vs ideal {ideal:.1}");
    // Five motors over 30 s, at most u_sup²/R = 0.75 W each: ≤ 112.5 J; NCAP keeps them busy.
    assert!(energy > 20.0 && energy < 112.5, "{energy} J");
    let (weak, _) = run("[dc_motors]\nu_sup = 0.5");
    assert!(weak < motors - 50.0, "a third of the voltage: {weak:.1} vs {motors:.1}");
}
