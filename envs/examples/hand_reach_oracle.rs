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
//! Each line names the goal's finger (the fingertip whose target moved furthest; "none" for
//! the 10% of goals that leave every fingertip where it starts).
//!
//! Measured (2026-12-04, 8 ms substep, no self-contacts): seeds 0–5 end 0.0009–0.0094 m from
//! the goal (success is < 0.01 m). With self-contacts (the default since 2026-12-06), seeds
//! 0–11: middle 5.2–5.9 mm, little 4.5–8.1 mm, first 7.7–12.3 mm, ring 9.2–11.0 mm, none
//! 1.0 mm. MuJoCo's hand, the same oracle (`tools/hand/reach_oracle.py`): ring 12.1 and
//! 14.1 mm, first 9.5 mm: ring and first goals sit at the edge of what a held command reaches
//! on both simulators.

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

/// Which finger the goal of `reset(seed)` pairs with the thumb: the fingertip whose desired
/// position is furthest from where it starts ("none" when every fingertip stays).
fn goal_finger(env: &mut dyn Env, seed: u64, obs: &mut [f32]) -> Result<&'static str, EnvError> {
    env.reset(Some(seed), obs, &mut Info::default())?;
    Ok(envs::tasks::hand_reach::goal_finger(obs).map_or("none", |f| ["first", "middle", "ring", "little"][f]))
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
        println!("seed {seed} ({}): zero action {start:.4} m, best held action {best:.4} m, action {rounded:?}", goal_finger(env.as_mut(), seed, &mut obs)?);
    }
    Ok(())
}
