//! Are `HandReach-v0`'s goals reachable? For each of the first N reset seeds, a coordinate
//! descent over one action held for the whole 50-step episode (steps 0.5 halving to 0.01, each
//! of the 20 entries ±step, kept if the final fingertip distance falls) finds how close a
//! constant servo command brings the fingertips to the goal. A learner that never succeeds on a
//! task this oracle solves has a learning problem, not an unreachable goal.
//!
//! ```text
//! cargo run --release -p envs --example hand_reach_oracle -- 6
//! ```
//!
//! Measured (2026-12-04, 8 ms substep): seeds 0–5 start 0.113–0.126 m from the goal at zero
//! action and end 0.0009–0.0094 m from it (success is < 0.01 m), several thumb entries at ±1.

use envs::{make, Env, EnvError, Info};

/// The goal distance (m) after holding `action` from `reset(seed)` to the episode's end.
fn final_distance(env: &mut dyn Env, seed: u64, action: &[f32], obs: &mut [f32]) -> Result<f64, EnvError> {
    let mut info = Info::default();
    env.reset(Some(seed), obs, &mut info)?;
    loop {
        let step = env.step(action, obs, &mut info)?;
        if step.done() {
            return Ok(info.get("distance").unwrap_or(f64::NAN));
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seeds: u64 = match std::env::args().nth(1) {
        None => 6,
        Some(s) => s.parse().map_err(|_| format!("hand_reach_oracle: seed count `{s}`: expected a whole number"))?,
    };
    let mut env = make("HandReach-v0")?;
    let (n_obs, n_act) = (env.spec().obs_dim(), env.spec().act_dim());
    let mut obs = vec![0f32; n_obs];
    for seed in 0..seeds {
        let mut action = vec![0f32; n_act];
        let start = final_distance(env.as_mut(), seed, &action, &mut obs)?;
        let mut best = start;
        let mut step = 0.5f32;
        while step > 0.01 {
            let mut improved = false;
            for i in 0..n_act {
                for dir in [1.0f32, -1.0] {
                    let old = action[i];
                    action[i] = (old + dir * step).clamp(-1.0, 1.0);
                    let d = final_distance(env.as_mut(), seed, &action, &mut obs)?;
                    if d < best {
                        best = d;
                        improved = true;
                    } else {
                        action[i] = old;
                    }
                }
            }
            if !improved {
                step *= 0.5;
            }
        }
        let rounded: Vec<f32> = action.iter().map(|x| (x * 100.0).round() / 100.0).collect();
        println!("seed {seed}: zero action {start:.4} m, best held action {best:.4} m, action {rounded:?}");
    }
    Ok(())
}
