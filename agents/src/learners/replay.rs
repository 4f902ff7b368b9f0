//! The off-policy learners' replay buffer: a ring of transitions, row-major per field.

use std::collections::HashMap;
use std::path::Path;

use crate::run::checkpoint::take_tensor;
use crate::AgentError;

/// A ring buffer of transitions.
pub struct Replay {
    pub capacity: usize,
    pub len: usize,
    pub next: usize,
    pub d: usize,
    pub a: usize,
    pub obs: Vec<f32>,
    pub next_obs: Vec<f32>,
    pub actions: Vec<f32>,
    pub rewards: Vec<f32>,
    pub dones: Vec<f32>,
    /// Oscillator (dorsal) drive at obs and at next_obs; ventral is 1 − dorsal.
    pub osc: Vec<f32>,
    pub next_osc: Vec<f32>,
}

impl Replay {
    pub fn new(capacity: usize, d: usize, a: usize) -> Self {
        Self { capacity, len: 0, next: 0, d, a, obs: Vec::new(), next_obs: Vec::new(), actions: Vec::new(), rewards: Vec::new(), dones: Vec::new(), osc: Vec::new(), next_osc: Vec::new() }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn push(&mut self, obs: &[f32], next_obs: &[f32], action: &[f32], reward: f32, done: bool, osc: f32, next_osc: f32) {
        if self.len < self.capacity {
            self.obs.extend_from_slice(obs);
            self.next_obs.extend_from_slice(next_obs);
            self.actions.extend_from_slice(action);
            self.rewards.push(reward);
            self.dones.push(done as u8 as f32);
            self.osc.push(osc);
            self.next_osc.push(next_osc);
            self.len += 1;
        } else {
            let k = self.next;
            self.obs[k * self.d..(k + 1) * self.d].copy_from_slice(obs);
            self.next_obs[k * self.d..(k + 1) * self.d].copy_from_slice(next_obs);
            self.actions[k * self.a..(k + 1) * self.a].copy_from_slice(action);
            self.rewards[k] = reward;
            self.dones[k] = done as u8 as f32;
            self.osc[k] = osc;
            self.next_osc[k] = next_osc;
        }
        self.next = (self.next + 1) % self.capacity;
    }

    /// The stored transitions as named tensors, for a checkpoint (with `len` and `next`).
    pub fn tensors(&self) -> [(&'static str, &[f32]); 7] {
        [
            ("replay.obs", &self.obs),
            ("replay.next_obs", &self.next_obs),
            ("replay.actions", &self.actions),
            ("replay.rewards", &self.rewards),
            ("replay.dones", &self.dones),
            ("replay.osc", &self.osc),
            ("replay.next_osc", &self.next_osc),
        ]
    }

    /// Refills an empty buffer from a checkpoint's tensors: `len` transitions, the next write at `next`.
    pub fn restore(&mut self, tensors: &mut HashMap<String, Vec<f32>>, len: usize, next: usize, path: &Path) -> Result<(), AgentError> {
        if len > self.capacity || next >= self.capacity.max(1) || (len < self.capacity && next != len) {
            return Err(AgentError::invalid(format!(
                "{}: a replay buffer of {len} transitions (next {next}) does not fit buffer_size = {}",
                path.display(),
                self.capacity
            )));
        }
        let (d, a) = (self.d, self.a);
        let mut take = |name: &str, width: usize| take_tensor(tensors, name, len * width, path);
        self.obs = take("replay.obs", d)?;
        self.next_obs = take("replay.next_obs", d)?;
        self.actions = take("replay.actions", a)?;
        self.rewards = take("replay.rewards", 1)?;
        self.dones = take("replay.dones", 1)?;
        self.osc = take("replay.osc", 1)?;
        self.next_osc = take("replay.next_osc", 1)?;
        (self.len, self.next) = (len, next);
        Ok(())
    }

    pub fn gather(src: &[f32], width: usize, idx: &[usize]) -> Vec<f32> {
        idx.iter().flat_map(|&k| src[k * width..(k + 1) * width].iter().copied()).collect()
    }
}

