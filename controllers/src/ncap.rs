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

use crate::policy::{check_parameters, Activity, ActivityKind, Policy, PolicyError, Work};

/// `clamp(x, 0, 1)`: a graded neuron's output.
#[inline]
pub fn graded(x: f32) -> f32 {
    x.clamp(0.0, 1.0)
}

/// The arithmetic NCAP's equations use. The circuit is written once, in [`circuit`], over this
/// trait; the controller runs it on `f32` ([`Plain`]), the gradient learners on autodiff
/// tensors (a batch per signal), so the two can never drift apart.
pub trait CircuitAlgebra {
    /// A neuron's signal: one value, or one per sample of a batch.
    type Signal;
    /// A synaptic weight.
    type Weight;
    type Error;
    /// `clamp(x, 0, 1)`, a graded neuron's output. (Autodiff convention: derivative 1 on the
    /// closed interval [0, 1], as PyTorch's `clamp`.)
    fn graded(&self, x: &Self::Signal) -> Result<Self::Signal, Self::Error>;
    /// `c · x` for a constant `c`.
    fn scale(&self, x: &Self::Signal, c: f64) -> Result<Self::Signal, Self::Error>;
    /// `w · x`.
    fn weigh(&self, w: &Self::Weight, x: &Self::Signal) -> Result<Self::Signal, Self::Error>;
    fn add(&self, a: &Self::Signal, b: &Self::Signal) -> Result<Self::Signal, Self::Error>;
    fn sub(&self, a: &Self::Signal, b: &Self::Signal) -> Result<Self::Signal, Self::Error>;
    /// `max(w, 0)`: an excitatory synapse's sign constraint (autodiff: derivative 1 at w = 0).
    fn excitatory(&self, w: &Self::Weight) -> Result<Self::Weight, Self::Error>;
    /// `min(w, 0)`: an inhibitory synapse's sign constraint (autodiff: derivative 1 at w = 0).
    fn inhibitory(&self, w: &Self::Weight) -> Result<Self::Weight, Self::Error>;
}

/// One hinge's synaptic weights (before the sign constraints).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HingeWeights<W> {
    pub prop: W,
    pub osc: W,
    pub ipsi: W,
    pub contra: W,
}

/// One hinge's neurons after a step, and its torque command `u = m_d − m_v`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HingeActivity<S> {
    pub b_dorsal: S,
    pub b_ventral: S,
    pub m_dorsal: S,
    pub m_ventral: S,
    pub torque: S,
}

/// NCAP's equations, the one definition: hinge angles `q` (rad, head to tail), the hinge
/// range (rad), the oscillator's (dorsal, ventral) drive, and each hinge's weights give each
/// hinge's neurons and torque command. Written into `out` (cleared first).
pub fn circuit<A: CircuitAlgebra>(
    alg: &A,
    q: &[A::Signal],
    joint_range: f64,
    oscillator: (&A::Signal, &A::Signal),
    weights: &[HingeWeights<A::Weight>],
    sign_constrained: bool,
    out: &mut Vec<HingeActivity<A::Signal>>,
) -> Result<(), A::Error> {
    out.clear();
    // Proprioception of the previous hinge: q_d = graded(q/range), q_v = graded(−q/range)
    // (the normalised angle's clamp to [−1, 1] is subsumed by graded's clamp to [0, 1]).
    let mut previous: Option<(A::Signal, A::Signal)> = None;
    for (j, w) in weights.iter().enumerate() {
        let constrained;
        let w = if sign_constrained {
            constrained = HingeWeights {
                prop: alg.excitatory(&w.prop)?,
                osc: alg.excitatory(&w.osc)?,
                ipsi: alg.excitatory(&w.ipsi)?,
                contra: alg.inhibitory(&w.contra)?,
            };
            &constrained
        } else {
            w
        };
        let (b_d, b_v) = match &previous {
            None => (alg.graded(&alg.weigh(&w.osc, oscillator.0)?)?, alg.graded(&alg.weigh(&w.osc, oscillator.1)?)?),
            Some((q_d, q_v)) => (alg.graded(&alg.weigh(&w.prop, q_d)?)?, alg.graded(&alg.weigh(&w.prop, q_v)?)?),
        };
        let m_d = alg.graded(&alg.add(&alg.weigh(&w.ipsi, &b_d)?, &alg.weigh(&w.contra, &b_v)?)?)?;
        let m_v = alg.graded(&alg.add(&alg.weigh(&w.ipsi, &b_v)?, &alg.weigh(&w.contra, &b_d)?)?)?;
        let torque = alg.sub(&m_d, &m_v)?;
        previous = Some((alg.graded(&alg.scale(&q[j], 1.0 / joint_range)?)?, alg.graded(&alg.scale(&q[j], -1.0 / joint_range)?)?));
        out.push(HingeActivity { b_dorsal: b_d, b_ventral: b_v, m_dorsal: m_d, m_ventral: m_v, torque });
    }
    Ok(())
}

/// [`CircuitAlgebra`] on plain `f32` numbers: the controller's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plain;

impl CircuitAlgebra for Plain {
    type Signal = f32;
    type Weight = f32;
    type Error = std::convert::Infallible;
    fn graded(&self, x: &f32) -> Result<f32, Self::Error> {
        Ok(graded(*x))
    }
    fn scale(&self, x: &f32, c: f64) -> Result<f32, Self::Error> {
        Ok(x * c as f32)
    }
    fn weigh(&self, w: &f32, x: &f32) -> Result<f32, Self::Error> {
        Ok(w * x)
    }
    fn add(&self, a: &f32, b: &f32) -> Result<f32, Self::Error> {
        Ok(a + b)
    }
    fn sub(&self, a: &f32, b: &f32) -> Result<f32, Self::Error> {
        Ok(a - b)
    }
    fn excitatory(&self, w: &f32) -> Result<f32, Self::Error> {
        Ok(w.max(0.0))
    }
    fn inhibitory(&self, w: &f32) -> Result<f32, Self::Error> {
        Ok(w.min(0.0))
    }
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

/// The square-wave oscillator's (dorsal, ventral) drive at control step `k` of a period of
/// `period` steps: the first half dorsal, the second ventral.
pub fn oscillator(period: usize, k: usize) -> (f32, f32) {
    if k % period < period / 2 {
        (1.0, 0.0)
    } else {
        (0.0, 1.0)
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
    weights: Vec<HingeWeights<f32>>,
    hinges: Vec<HingeActivity<f32>>,
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
        let n_params = n_parameters(n_joints, config.shared);
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
            weights: Vec::with_capacity(n_joints),
            hinges: Vec::with_capacity(n_joints),
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
        oscillator(self.config.oscillator_period, k)
    }

    /// The hinge range (rad) that normalises proprioception.
    pub fn joint_range(&self) -> f32 {
        self.joint_range
    }

    /// Each hinge's weights as stored (the sign constraints apply at use, in [`circuit`]).
    pub fn hinge_weights(&self) -> Vec<HingeWeights<f32>> {
        (0..self.n_joints).map(|j| hinge_weights(&self.params, self.n_joints, self.config.shared, j)).collect()
    }
}

/// Hinge `joint`'s weights in a flat parameter vector (see [`Ncap`] for the layout).
pub fn hinge_weights<W: Clone>(params: &[W], n_joints: usize, shared: bool, joint: usize) -> HingeWeights<W> {
    if shared {
        HingeWeights { prop: params[0].clone(), osc: params[1].clone(), ipsi: params[2].clone(), contra: params[3].clone() }
    } else {
        // Hinge 0 has no proprioceptive input: its w_prop is never used, so any weight serves.
        let prop = if joint == 0 { params[0].clone() } else { params[joint].clone() };
        HingeWeights { osc: params[0].clone(), prop, ipsi: params[n_joints + joint].clone(), contra: params[2 * n_joints + joint].clone() }
    }
}

/// Number of parameters of NCAP with `n_joints` hinges.
pub fn n_parameters(n_joints: usize, shared: bool) -> usize {
    if shared {
        4
    } else {
        1 + (n_joints - 1) + 2 * n_joints
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
        self.weights.clear();
        for j in 0..self.n_joints {
            self.weights.push(hinge_weights(&self.params, self.n_joints, self.config.shared, j));
        }
        let Ok(()) = circuit(
            &Plain,
            &obs[..self.n_joints],
            self.joint_range as f64,
            (&osc_d, &osc_v),
            &self.weights,
            self.config.sign_constrained,
            &mut self.hinges,
        );
        for (j, h) in self.hinges.iter().enumerate() {
            action[j] = h.torque;
            self.activity[4 * j..4 * j + 4].copy_from_slice(&[h.b_dorsal, h.b_ventral, h.m_dorsal, h.m_ventral]);
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
        Some(Activity { labels: &self.activity_labels, values: &self.activity, kind: ActivityKind::Graded, potentials: None })
    }

    /// Per hinge: the angle's normalisation (1), the two B-neurons' weighted inputs (2), the two
    /// muscles' two weighted inputs each (4), the torque (1).
    fn work(&self) -> Option<Work> {
        Some(Work { spikes: 0, synaptic_ops: 0, macs: 8 * self.n_joints as u64 })
    }
}
