//! NCAP: the C. elegans swimming circuit as a controller (Bhattasali et al., 2022).
//!
//! Per hinge `i` (head to tail) there are a dorsal and a ventral B-neuron and
//! muscle, all graded: `graded(x) = clamp(x, 0, 1)`.
//!
//! * Proprioception: the hinge angle normalised by its range,
//!   `x_i = clamp(q_i / range, −1, 1)`, split into `q_d = graded(x_i)` and
//!   `q_v = graded(−x_i)`.
//! * B-neurons: hinge 0 takes a square-wave oscillator (period 60 control
//!   steps: the first half drives the dorsal side, the second the ventral)
//!   through `w_osc`; hinge `i > 0` takes the proprioception of hinge `i − 1`
//!   through `w_prop`, each side its own side: `b_d = graded(w_prop · q_d,i−1)`.
//! * Muscles: `m_d = graded(w_ipsi · b_d + w_contra · b_v)`, `m_v` mirrored.
//! * Torque command: `u_i = m_d − m_v ∈ [−1, 1]`.
//!
//! Excitatory weights (`w_osc`, `w_prop`, `w_ipsi`) are clamped ≥ 0 and the
//! inhibitory one (`w_contra`) ≤ 0 *at use*, so a learner may push a
//! parameter through zero but the circuit keeps its signs. By default the four
//! weights are shared by all hinges and start at +1, +1, +1, −1.
//!
//! The paper's ablations are options: `shared = false` (per-hinge weights),
//! `sign_constrained = false`, and `init = "random"`.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::policy::{check_parameters, Activity, ActivityKind, Policy, PolicyError};

/// `clamp(x, 0, 1)`: a graded neuron's output.
#[inline]
pub fn graded(x: f32) -> f32 {
    x.clamp(0.0, 1.0)
}

/// How NCAP's weights start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NcapInit {
    /// +1 for excitatory weights, −1 for inhibitory ones (the paper's prior).
    #[default]
    Unit,
    /// Magnitudes ~ U(0, 1) with the prior's signs (uniform on [−1, 1] when unconstrained), from `init_seed`.
    Random,
}

/// NCAP's options (all optional in a config file; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NcapConfig {
    /// One set of weights for all hinges (4 parameters) or one per hinge.
    pub shared: bool,
    /// Clamp excitatory weights ≥ 0 and inhibitory ≤ 0 at use.
    pub sign_constrained: bool,
    pub init: NcapInit,
    /// Seed for `init = "random"`.
    pub init_seed: u64,
    /// Oscillator period in control steps (half dorsal, half ventral).
    pub oscillator_period: usize,
}

impl Default for NcapConfig {
    fn default() -> Self {
        Self { shared: true, sign_constrained: true, init: NcapInit::Unit, init_seed: 0, oscillator_period: 60 }
    }
}

/// The NCAP circuit for a swimmer with `n_joints` hinges.
#[derive(Debug, Clone)]
pub struct Ncap {
    name: String,
    config: NcapConfig,
    n_joints: usize,
    /// Hinge range (rad) that normalises the proprioceptive input.
    joint_range: f32,
    /// Shared: `[w_prop, w_osc, w_ipsi, w_contra]`. Unshared: `w_osc`, then
    /// `w_prop` of hinges 1…n−1, then `w_ipsi` of hinges 0…n−1, then `w_contra` of hinges 0…n−1.
    params: Vec<f32>,
    /// Control steps since reset (drives the oscillator).
    step: usize,
    activity: Vec<f32>,
    activity_labels: Vec<String>,
}

/// Weights of one hinge, after the sign constraints.
#[derive(Debug, Clone, Copy)]
struct HingeWeights {
    prop: f32,
    osc: f32,
    ipsi: f32,
    contra: f32,
}

impl Ncap {
    pub fn new(n_joints: usize, joint_range: f32, config: NcapConfig) -> Result<Self, PolicyError> {
        let err = |message: String| PolicyError::Config { controller: "ncap".into(), message };
        if n_joints < 1 {
            return Err(err(format!("n_joints = {n_joints}: expected ≥ 1")));
        }
        if !(joint_range.is_finite() && joint_range > 0.0) {
            return Err(err(format!("joint_range = {joint_range}: expected radians > 0")));
        }
        if config.oscillator_period < 2 {
            return Err(err(format!("oscillator_period = {}: expected ≥ 2 control steps", config.oscillator_period)));
        }
        let n_params = if config.shared { 4 } else { 1 + (n_joints - 1) + 2 * n_joints };
        // Sign of each parameter under the prior: +1 excitatory, −1 inhibitory.
        let signs: Vec<f32> = (0..n_params)
            .map(|k| {
                let inhibitory = if config.shared { k == 3 } else { k >= 1 + (n_joints - 1) + n_joints };
                if inhibitory {
                    -1.0
                } else {
                    1.0
                }
            })
            .collect();
        let params = match config.init {
            NcapInit::Unit => signs,
            NcapInit::Random => {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.init_seed);
                signs
                    .iter()
                    .map(|s| if config.sign_constrained { s * rng.random::<f32>() } else { rng.random_range(-1.0..1.0) })
                    .collect()
            }
        };
        let mut name = "ncap".to_string();
        if !config.shared {
            name.push_str("-unshared");
        }
        if !config.sign_constrained {
            name.push_str("-unconstrained");
        }
        if config.init == NcapInit::Random {
            name.push_str("-random-init");
        }
        let activity_labels = (0..n_joints)
            .flat_map(|j| ["b_dorsal", "b_ventral", "m_dorsal", "m_ventral"].map(|n| format!("joint_{j}.{n}")))
            .collect();
        Ok(Self {
            name,
            config,
            n_joints,
            joint_range,
            params,
            step: 0,
            activity: vec![0.0; 4 * n_joints],
            activity_labels,
        })
    }

    pub fn config(&self) -> &NcapConfig {
        &self.config
    }

    pub fn n_joints(&self) -> usize {
        self.n_joints
    }

    /// The oscillator's (dorsal, ventral) drive at control step `k`.
    pub fn oscillator(&self, k: usize) -> (f32, f32) {
        let period = self.config.oscillator_period;
        if k % period < period / 2 {
            (1.0, 0.0)
        } else {
            (0.0, 1.0)
        }
    }

    fn weights(&self, joint: usize) -> HingeWeights {
        let n = self.n_joints;
        let p = &self.params;
        let raw = if self.config.shared {
            HingeWeights { prop: p[0], osc: p[1], ipsi: p[2], contra: p[3] }
        } else {
            HingeWeights {
                osc: p[0],
                prop: if joint == 0 { 0.0 } else { p[joint] },
                ipsi: p[n + joint],
                contra: p[2 * n + joint],
            }
        };
        if self.config.sign_constrained {
            HingeWeights { prop: raw.prop.max(0.0), osc: raw.osc.max(0.0), ipsi: raw.ipsi.max(0.0), contra: raw.contra.min(0.0) }
        } else {
            raw
        }
    }
}

impl Policy for Ncap {
    fn name(&self) -> &str {
        &self.name
    }

    fn reset(&mut self, _seed: Option<u64>) {
        self.step = 0;
        self.activity.fill(0.0);
    }

    /// `obs` starts with the hinge angles (rad), head to tail, as the swimmer's does.
    fn act(&mut self, obs: &[f32], action: &mut [f32]) {
        let (osc_d, osc_v) = self.oscillator(self.step);
        let mut prev = (0.0, 0.0);
        for j in 0..self.n_joints {
            let w = self.weights(j);
            let (bd_in, bv_in) = if j == 0 { (w.osc * osc_d, w.osc * osc_v) } else { (w.prop * prev.0, w.prop * prev.1) };
            let (b_d, b_v) = (graded(bd_in), graded(bv_in));
            let m_d = graded(w.ipsi * b_d + w.contra * b_v);
            let m_v = graded(w.ipsi * b_v + w.contra * b_d);
            action[j] = m_d - m_v;
            self.activity[4 * j..4 * j + 4].copy_from_slice(&[b_d, b_v, m_d, m_v]);
            let x = (obs[j] / self.joint_range).clamp(-1.0, 1.0);
            prev = (graded(x), graded(-x));
        }
        self.step += 1;
    }

    fn parameters(&self) -> Option<&[f32]> {
        Some(&self.params)
    }

    fn set_parameters(&mut self, params: &[f32]) -> Result<(), PolicyError> {
        check_parameters(&self.name, self.params.len(), params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    fn parameter_names(&self) -> Vec<String> {
        if self.config.shared {
            return ["w_prop", "w_osc", "w_ipsi", "w_contra"].map(String::from).to_vec();
        }
        let n = self.n_joints;
        let mut names = vec!["w_osc".to_string()];
        names.extend((1..n).map(|j| format!("w_prop.{j}")));
        names.extend((0..n).map(|j| format!("w_ipsi.{j}")));
        names.extend((0..n).map(|j| format!("w_contra.{j}")));
        names
    }

    fn activity(&self) -> Option<Activity<'_>> {
        Some(Activity { labels: &self.activity_labels, values: &self.activity, kind: ActivityKind::Graded })
    }
}
