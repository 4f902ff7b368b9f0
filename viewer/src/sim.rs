//! The simulation a viewer shows: an env driven by a policy, stepped at real time (or faster,
//! slower, paused, single-stepped), with the numbers the HUD displays. No Bevy types: the same
//! struct drives the window, the headless recorder and the tests.

use controllers::Policy;
use envs::{Env, EnvError, Info, RenderState};

/// Most env steps taken in one call to [`Simulation::advance`]: a slow frame makes the simulation
/// fall behind real time rather than stall the viewer.
pub const MAX_STEPS_PER_ADVANCE: usize = 64;

/// Playback speeds the `[` and `]` keys cycle through (× real time).
pub const SPEEDS: [f64; 7] = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0];

/// An env, its policy and the episode's running numbers.
pub struct Simulation {
    env: Box<dyn Env>,
    policy: Box<dyn Policy>,
    obs: Vec<f32>,
    action: Vec<f32>,
    info: Info,
    /// Seed of the first episode; episode k is reset with `seed + k`.
    seed: u64,
    episode: u64,
    /// Reward of the latest step, and the return of the current episode so far.
    pub step_reward: f64,
    pub episode_return: f64,
    /// Steps in the current episode, and in all episodes.
    pub episode_steps: u64,
    pub total_steps: u64,
    /// Return and end reason of the last finished episode.
    pub last_episode: Option<(f64, String)>,
    pub paused: bool,
    /// Index into [`SPEEDS`].
    speed_index: usize,
    /// Simulated time owed to real time (s), carried between frames.
    owed: f64,
}

impl Simulation {
    /// Resets `env` and `policy` with `seed`.
    pub fn new(env: Box<dyn Env>, policy: Box<dyn Policy>, seed: u64) -> Result<Self, EnvError> {
        let spec = env.spec();
        let (d, a) = (spec.obs_dim(), spec.act_dim());
        let mut sim = Self {
            env,
            policy,
            obs: vec![0.0; d],
            action: vec![0.0; a],
            info: Info::default(),
            seed,
            episode: 0,
            step_reward: 0.0,
            episode_return: 0.0,
            episode_steps: 0,
            total_steps: 0,
            last_episode: None,
            paused: false,
            speed_index: 3,
            owed: 0.0,
        };
        sim.start_episode()?;
        Ok(sim)
    }

    fn start_episode(&mut self) -> Result<(), EnvError> {
        let seed = self.seed.wrapping_add(self.episode);
        self.env.reset(Some(seed), &mut self.obs, &mut self.info)?;
        self.policy.reset(Some(seed));
        self.action.fill(0.0);
        self.step_reward = 0.0;
        self.episode_return = 0.0;
        self.episode_steps = 0;
        Ok(())
    }

    /// Starts the next episode now (the `R` key).
    pub fn reset(&mut self) -> Result<(), EnvError> {
        self.episode += 1;
        self.owed = 0.0;
        self.start_episode()
    }

    /// One control step: the policy acts, the env steps; an ended episode resets at once.
    pub fn step(&mut self) -> Result<(), EnvError> {
        self.policy.act(&self.obs, &mut self.action);
        let step = self.env.step(&self.action, &mut self.obs, &mut self.info)?;
        self.step_reward = step.reward;
        self.episode_return += step.reward;
        self.episode_steps += 1;
        self.total_steps += 1;
        if step.done() {
            let reason = match (&self.info.truncation_reason, step.terminated) {
                (_, true) => "terminated".to_string(),
                (Some(r), false) => r.clone(),
                (None, false) => "truncated".to_string(),
            };
            self.last_episode = Some((self.episode_return, reason));
            self.episode += 1;
            self.start_episode()?;
        }
        Ok(())
    }

    /// Advances by `real_dt` seconds of wall time at the current speed (nothing while paused);
    /// returns the number of env steps taken (at most [`MAX_STEPS_PER_ADVANCE`]).
    pub fn advance(&mut self, real_dt: f64) -> Result<usize, EnvError> {
        if self.paused {
            return Ok(0);
        }
        let dt = self.env.spec().dt;
        self.owed += real_dt.max(0.0) * self.speed();
        let mut steps = 0;
        // (A relative tolerance, so that 0.3 s at 30 ms is 10 steps despite rounding.)
        while self.owed >= dt * (1.0 - 1e-9) && steps < MAX_STEPS_PER_ADVANCE {
            self.step()?;
            self.owed -= dt;
            steps += 1;
        }
        if steps == MAX_STEPS_PER_ADVANCE {
            // Behind real time: drop the backlog instead of chasing it.
            self.owed = self.owed.min(dt);
        }
        Ok(steps)
    }

    /// Playback speed (× real time).
    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed_index]
    }

    pub fn faster(&mut self) {
        self.speed_index = (self.speed_index + 1).min(SPEEDS.len() - 1);
    }

    pub fn slower(&mut self) {
        self.speed_index = self.speed_index.saturating_sub(1);
    }

    pub fn env(&self) -> &dyn Env {
        self.env.as_ref()
    }

    pub fn policy(&self) -> &dyn Policy {
        self.policy.as_ref()
    }

    /// The latest action (the policy's output, before the env clips it).
    pub fn action(&self) -> &[f32] {
        &self.action
    }

    /// Simulated time in the current episode (s).
    pub fn episode_time(&self) -> f64 {
        self.episode_steps as f64 * self.env.spec().dt
    }

    /// Episodes started so far, the current one included.
    pub fn episode(&self) -> u64 {
        self.episode
    }

    pub fn render_state(&self) -> RenderState {
        self.env.render_state()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swimmer() -> Simulation {
        let env = envs::make("Swimmer6-v0").unwrap();
        let policy = controllers::make("ncap", env.spec(), None).unwrap();
        Simulation::new(env, policy, 0).unwrap()
    }

    #[test]
    fn real_time_steps_once_per_control_period() {
        let mut sim = swimmer();
        // 0.3 s of wall time at 1× is 10 steps of 30 ms, carried across uneven frames.
        let steps: usize = [0.1, 0.05, 0.15].iter().map(|&dt| sim.advance(dt).unwrap()).sum();
        assert_eq!(steps, 10);
        sim.faster();
        assert_eq!(sim.speed(), 2.0);
        assert_eq!(sim.advance(0.3).unwrap(), 20);
        sim.paused = true;
        assert_eq!(sim.advance(1.0).unwrap(), 0);
    }

    #[test]
    fn a_slow_frame_drops_the_backlog_instead_of_stalling() {
        let mut sim = swimmer();
        assert_eq!(sim.advance(100.0).unwrap(), MAX_STEPS_PER_ADVANCE);
        assert!(sim.advance(0.0).unwrap() <= 1);
    }

    #[test]
    fn episodes_end_and_restart_with_the_next_seed() {
        let env = envs::make_with("Swimmer6-v0", Some(&"max_episode_steps = 5".parse().unwrap())).unwrap();
        let policy = controllers::make("ncap", env.spec(), None).unwrap();
        let mut sim = Simulation::new(env, policy, 7).unwrap();
        for _ in 0..5 {
            sim.step().unwrap();
        }
        let (ret, reason) = sim.last_episode.clone().unwrap();
        assert!(ret > 0.0 && reason == "time_limit", "{ret} {reason}");
        assert_eq!((sim.episode(), sim.episode_steps, sim.episode_return), (1, 0, 0.0));
        assert_eq!(sim.render_state().bodies.len(), 6);
    }
}
