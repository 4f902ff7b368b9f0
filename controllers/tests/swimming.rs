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
