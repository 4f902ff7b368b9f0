//! The off-policy learners' replay buffer: a ring of transitions, row-major per field, and each
//! transition's episode (where it starts in the ring and, once it has ended, its length), which
//! hindsight relabelling ([`crate::learners::her`]) needs.

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
    /// Per slot: the ring slot of its episode's first transition.
    pub ep_start: Vec<u32>,
    /// Per slot: its episode's length once the episode has ended and is whole in the ring; 0
    /// while it runs, or once its start has been overwritten.
    pub ep_len: Vec<u32>,
    /// The running episode: its first slot and transitions so far.
    pub current_start: usize,
    pub current_len: usize,
}

impl Replay {
    pub fn new(capacity: usize, d: usize, a: usize) -> Self {
        Self {
            capacity,
            len: 0,
            next: 0,
            d,
            a,
            obs: Vec::new(),
            next_obs: Vec::new(),
            actions: Vec::new(),
            rewards: Vec::new(),
            dones: Vec::new(),
            osc: Vec::new(),
            next_osc: Vec::new(),
            ep_start: Vec::new(),
            ep_len: Vec::new(),
            current_start: 0,
            current_len: 0,
        }
    }

    /// The ring slot `offset` transitions after slot `start`.
    pub fn slot(&self, start: usize, offset: usize) -> usize {
        (start + offset) % self.capacity
    }

    /// Ends the running episode: its transitions learn its length.
    pub fn end_episode(&mut self) {
        let (start, n) = (self.current_start, self.current_len);
        if n > 0 && n <= self.capacity {
            for i in 0..n {
                let k = self.slot(start, i);
                self.ep_len[k] = n as u32;
            }
        }
        self.current_start = self.next;
        self.current_len = 0;
    }

    /// Before slot `k` is overwritten: the finished episode it belongs to is no longer whole.
    fn forget_episode_at(&mut self, k: usize) {
        let n = self.ep_len[k] as usize;
        if n > 0 {
            let start = self.ep_start[k] as usize;
            for i in 0..n {
                let j = self.slot(start, i);
                self.ep_len[j] = 0;
            }
        }
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
            self.ep_start.push(self.current_start as u32);
            self.ep_len.push(0);
            self.len += 1;
        } else {
            let k = self.next;
            self.forget_episode_at(k);
            self.ep_start[k] = self.current_start as u32;
            self.ep_len[k] = 0;
            self.obs[k * self.d..(k + 1) * self.d].copy_from_slice(obs);
            self.next_obs[k * self.d..(k + 1) * self.d].copy_from_slice(next_obs);
            self.actions[k * self.a..(k + 1) * self.a].copy_from_slice(action);
            self.rewards[k] = reward;
            self.dones[k] = done as u8 as f32;
            self.osc[k] = osc;
            self.next_osc[k] = next_osc;
        }
        self.next = (self.next + 1) % self.capacity;
        self.current_len += 1;
    }

    /// The episode bookkeeping as tensors for a checkpoint: `ep_start` and `ep_len` bit-cast to
    /// f32 (exact), and the running episode's start and length.
    pub fn episode_tensors(&self) -> [(&'static str, Vec<f32>); 2] {
        let bits = |v: &[u32]| v.iter().map(|&x| f32::from_bits(x)).collect::<Vec<f32>>();
        let mut ep_len = bits(&self.ep_len);
        ep_len.extend([f32::from_bits(self.current_start as u32), f32::from_bits(self.current_len as u32)]);
        [("replay.ep_start", bits(&self.ep_start)), ("replay.ep_len", ep_len)]
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
        // Episode bookkeeping (checkpoints from before it: every episode unknown, the running
        // one starting at the next write).
        let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<u32>>();
        if tensors.contains_key("replay.ep_start") {
            self.ep_start = bits(take_tensor(tensors, "replay.ep_start", len, path)?);
            let mut ep_len = bits(take_tensor(tensors, "replay.ep_len", len + 2, path)?);
            self.current_len = ep_len.pop().unwrap_or(0) as usize;
            self.current_start = ep_len.pop().unwrap_or(0) as usize;
            self.ep_len = ep_len;
        } else {
            self.ep_start = vec![next as u32; len];
            self.ep_len = vec![0; len];
            (self.current_start, self.current_len) = (next, 0);
        }
        (self.len, self.next) = (len, next);
        Ok(())
    }

    /// Rows `idx` of `src` (`width` values per row) into `out`, replacing its contents.
    pub fn gather_into(src: &[f32], width: usize, idx: &[usize], out: &mut Vec<f32>) {
        out.clear();
        for &k in idx {
            out.extend_from_slice(&src[k * width..(k + 1) * width]);
        }
    }
}

