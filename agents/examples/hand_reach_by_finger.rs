//! A HandReach-v0 policy's success broken down by the finger its goal pairs with the thumb.
//!
//! Gymnasium-Robotics' goal sampler moves the thumb and one of the four fingers to a meeting
//! point (and with probability 0.1 leaves every fingertip where it starts). The goal's finger is
//! read back from the observation at reset ([`envs::tasks::hand_reach::goal_finger`]). For each finger: episodes, success rate at the last step, and the mean
//! final error of the thumb, of that finger and of the other fingertips (m).
//!
//! ```text
//! cargo run --release -p agents --example hand_reach_by_finger -- RUN_DIR [EPISODES] [FIRST_SEED]
//! ```

use agents::run::trained::TrainedRun;
use envs::tasks::hand::layout::{DESIRED_FINGERTIPS, FINGERTIPS};
use envs::Info;

const NAMES: [&str; 5] = ["first", "middle", "ring", "little", "none (all at rest)"];

fn tip_error(obs: &[f32], tip: usize) -> f64 {
    (0..3).map(|k| (obs[FINGERTIPS.start + 3 * tip + k] - obs[DESIRED_FINGERTIPS.start + 3 * tip + k]) as f64).map(|d| d * d).sum::<f64>().sqrt()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).ok_or("usage: hand_reach_by_finger RUN_DIR [EPISODES] [FIRST_SEED]")?;
    let episodes: u64 = args.get(2).map_or(Ok(200), |s| s.parse()).map_err(|e| format!("EPISODES: {e}"))?;
    let first_seed: u64 = args.get(3).map_or(Ok(1000), |s| s.parse()).map_err(|e| format!("FIRST_SEED: {e}"))?;
    let trained = TrainedRun::load(std::path::Path::new(dir))?;
    let mut env = trained.make_env(None)?;
    let mut policy = trained.policy_for(env.spec())?;
    let spec = env.spec().clone();
    if spec.obs_dim() != envs::tasks::hand::layout::DIM {
        return Err(format!("{dir}: not a hand task (observation size {})", spec.obs_dim()).into());
    }
    // Per finger group: episodes, successes, thumb error, finger error, other tips' error.
    let mut groups = [[0.0f64; 5]; 5];
    let (mut obs, mut action, mut info) = (vec![0.0f32; spec.obs_dim()], vec![0.0f32; spec.act_dim()], Info::default());
    for seed in first_seed..first_seed + episodes {
        env.reset(Some(seed), &mut obs, &mut info)?;
        policy.reset(Some(seed));
        let group = envs::tasks::hand_reach::goal_finger(&obs).unwrap_or(4);
        loop {
            policy.act(&obs, &mut action);
            let step = env.step(&action, &mut obs, &mut info)?;
            if step.done() {
                break;
            }
        }
        let success = info.get("is_success").unwrap_or(0.0);
        let g = &mut groups[group];
        g[0] += 1.0;
        g[1] += success;
        g[2] += tip_error(&obs, 4);
        if group < 4 {
            g[3] += tip_error(&obs, group);
        }
        let others: Vec<usize> = (0..4).filter(|&f| f != group).collect();
        g[4] += others.iter().map(|&f| tip_error(&obs, f)).sum::<f64>() / others.len() as f64;
    }
    println!("{dir}: {episodes} episodes from seed {first_seed}");
    println!("{:<20} {:>8} {:>8} {:>12} {:>12} {:>12}", "goal finger", "episodes", "success", "thumb err m", "finger err m", "others err m");
    for (name, g) in NAMES.iter().zip(&groups) {
        if g[0] == 0.0 {
            continue;
        }
        let n = g[0];
        let finger = if name.starts_with("none") { "-".to_string() } else { format!("{:.4}", g[3] / n) };
        println!("{:<20} {:>8} {:>8.2} {:>12.4} {:>12} {:>12.4}", name, n, g[1] / n, g[2] / n, finger, g[4] / n);
    }
    Ok(())
}
