//! NCAP as a differentiable module: the controllers crate's [`circuit`] (the one definition of
//! NCAP's equations) run on candle tensors, so that gradient learners (PPO, DDPG/TD3) train the
//! same circuit the controller runs.
//!
//! A batch of `B` samples flows through each neuron as a tensor of shape `[B]`; each weight is a
//! scalar [`Var`]. The sign constraints and the graded clamps are built from `relu` (derivative
//! 1 at 0) so that every clamp passes the gradient *at* its boundaries: PyTorch's inclusive
//! `clamp` convention, which the NCAP paper's implementation trained with. Inside a clamp's
//! range the gradient is exact; beyond it, zero; at a weight's sign boundary, the gradient of
//! the unconstrained circuit.

use candle_core::{DType, Device, Result, Tensor, Var};
use controllers::ncap::{circuit, hinge_weights, n_parameters, CircuitAlgebra, HingeActivity, NcapConfig};

/// [`CircuitAlgebra`] on candle tensors.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tensors;

impl CircuitAlgebra for Tensors {
    type Signal = Tensor;
    type Weight = Tensor;
    type Error = candle_core::Error;
    fn graded(&self, x: &Tensor) -> Result<Tensor> {
        // clamp(x, 0, 1) = 1 − relu(1 − relu(x)): derivative 1 on [0, 1], ends included.
        (1.0 - (1.0 - x.relu()?)?.relu()?)?.affine(1.0, 0.0)
    }
    fn scale(&self, x: &Tensor, c: f64) -> Result<Tensor> {
        x.affine(c, 0.0)
    }
    fn weigh(&self, w: &Tensor, x: &Tensor) -> Result<Tensor> {
        x.broadcast_mul(w)
    }
    fn add(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        a + b
    }
    fn sub(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        a - b
    }
    fn excitatory(&self, w: &Tensor) -> Result<Tensor> {
        w.relu()
    }
    fn inhibitory(&self, w: &Tensor) -> Result<Tensor> {
        w.neg()?.relu()?.neg()
    }
}

/// NCAP's weights as trainable variables, with the controller's parameter layout.
#[derive(Debug, Clone)]
pub struct NcapModule {
    config: NcapConfig,
    n_joints: usize,
    joint_range: f64,
    params: Vec<Var>,
}

impl NcapModule {
    /// A module for `n_joints` hinges of range `joint_range` (rad), starting from `init`
    /// (a flat vector in the controller's layout).
    pub fn new(config: &NcapConfig, n_joints: usize, joint_range: f64, init: &[f32], dtype: DType, device: &Device) -> Result<Self> {
        let n = n_parameters(n_joints, config.shared);
        if init.len() != n {
            candle_core::bail!("NCAP with {n_joints} hinges has {n} parameters, got {}", init.len());
        }
        let params = init.iter().map(|&p| Var::from_tensor(&Tensor::new(p as f64, device)?.to_dtype(dtype)?)).collect::<Result<_>>()?;
        Ok(Self { config: config.clone(), n_joints, joint_range, params })
    }

    /// A copy with variables of its own (e.g. a target network).
    pub fn deep_copy(&self) -> Result<Self> {
        let params = self.params.iter().map(|v| Var::from_tensor(&v.as_tensor().copy()?)).collect::<Result<_>>()?;
        Ok(Self { params, ..self.clone() })
    }

    /// The trainable variables, in the controller's layout.
    pub fn vars(&self) -> &[Var] {
        &self.params
    }

    /// The current parameters as a flat `f32` vector (what the controller and `policy.safetensors` hold).
    pub fn flat_parameters(&self) -> Result<Vec<f32>> {
        self.params.iter().map(|v| v.to_dtype(DType::F64)?.to_scalar::<f64>().map(|x| x as f32)).collect()
    }

    /// Torque commands `[B, n_joints]` for hinge angles `q` `[B, n_joints]` (rad) and the
    /// oscillator's dorsal and ventral drive `[B]` (each sample's own phase).
    pub fn forward(&self, q: &Tensor, osc_dorsal: &Tensor, osc_ventral: &Tensor) -> Result<Tensor> {
        let activity = self.activity(q, osc_dorsal, osc_ventral)?;
        let torques: Vec<Tensor> = activity.into_iter().map(|h| h.torque).collect();
        Tensor::stack(&torques, 1)
    }

    /// Every hinge's neurons for a batch.
    pub fn activity(&self, q: &Tensor, osc_dorsal: &Tensor, osc_ventral: &Tensor) -> Result<Vec<HingeActivity<Tensor>>> {
        let columns: Vec<Tensor> = (0..self.n_joints).map(|j| q.narrow(1, j, 1)?.squeeze(1)).collect::<Result<_>>()?;
        let tensors: Vec<Tensor> = self.params.iter().map(|v| v.as_tensor().clone()).collect();
        let weights: Vec<_> = (0..self.n_joints).map(|j| hinge_weights(&tensors, self.n_joints, self.config.shared, j)).collect();
        let mut out = Vec::with_capacity(self.n_joints);
        circuit(&Tensors, &columns, self.joint_range, (osc_dorsal, osc_ventral), &weights, self.config.sign_constrained, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use controllers::{Ncap, Policy};
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{RngExt, SeedableRng};

    const RANGE: f64 = std::f64::consts::FRAC_PI_3;

    /// A batch with angles across and beyond the range, and both oscillator phases.
    fn batch(b: usize, nj: usize) -> (Vec<f64>, Vec<f64>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let q = (0..b * nj).map(|_| rng.random_range(-1.4..1.4) * RANGE).collect();
        let osc_d = (0..b).map(|k| if k % 2 == 0 { 1.0 } else { 0.0 }).collect();
        (q, osc_d)
    }

    /// Σ c ⊙ u for fixed random c: a scalar loss whose gradient mixes every output.
    fn loss(module: &NcapModule, q: &[f64], osc_d: &[f64], nj: usize) -> Result<Tensor> {
        let dev = Device::Cpu;
        let b = osc_d.len();
        let q = Tensor::from_slice(q, (b, nj), &dev)?;
        let d = Tensor::from_slice(osc_d, b, &dev)?;
        let v = (1.0 - &d)?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let c: Vec<f64> = (0..b * nj).map(|_| rng.random_range(-1.0..1.0)).collect();
        (module.forward(&q, &d, &v)? * Tensor::from_slice(&c, (b, nj), &dev)?)?.sum_all()
    }

    fn value(params: &[f32], config: &NcapConfig, q: &[f64], osc: &[f64], nj: usize) -> f64 {
        let m = NcapModule::new(config, nj, RANGE, params, DType::F64, &Device::Cpu).unwrap();
        loss(&m, q, osc, nj).unwrap().to_scalar::<f64>().unwrap()
    }

    /// Autodiff gradients, and one-sided finite differences (h → left, right).
    fn gradients(params: &[f32], config: &NcapConfig) -> (Vec<f64>, Vec<(f64, f64)>) {
        let nj = 5;
        let (q, osc) = batch(64, nj);
        let m = NcapModule::new(config, nj, RANGE, params, DType::F64, &Device::Cpu).unwrap();
        let grads = loss(&m, &q, &osc, nj).unwrap().backward().unwrap();
        let auto: Vec<f64> = m.vars().iter().map(|v| grads.get(v).unwrap().to_scalar::<f64>().unwrap()).collect();
        let h = 1e-3_f32;
        let f0 = value(params, config, &q, &osc, nj);
        let fd = (0..params.len())
            .map(|i| {
                // The perturbed parameters are f32: divide by the step actually taken (exact in f64).
                let mut p = params.to_vec();
                p[i] = params[i] + h;
                let right = (value(&p, config, &q, &osc, nj) - f0) / (p[i] as f64 - params[i] as f64);
                p[i] = params[i] - h;
                let left = (f0 - value(&p, config, &q, &osc, nj)) / (params[i] as f64 - p[i] as f64);
                (left, right)
            })
            .collect();
        (auto, fd)
    }

    #[test]
    fn gradients_match_finite_differences() {
        for config in [NcapConfig::default(), NcapConfig { shared: false, ..NcapConfig::default() }, NcapConfig { sign_constrained: false, ..NcapConfig::default() }] {
            let n = n_parameters(5, config.shared);
            let params: Vec<f32> = (0..n).map(|i| if config.shared && i == 3 || !config.shared && i >= 10 { -0.7 - 0.05 * i as f32 } else { 0.8 + 0.07 * i as f32 }).collect();
            let (auto, fd) = gradients(&params, &config);
            for (i, (a, (l, r))) in auto.iter().zip(&fd).enumerate() {
                // Away from kinks both one-sided differences agree with autodiff (piecewise linear).
                assert!((a - l).abs() < 1e-6 * (1.0 + a.abs()) && (a - r).abs() < 1e-6 * (1.0 + a.abs()), "{config:?} param {i}: {a} vs ({l}, {r})");
            }
            assert!(auto.iter().any(|g| g.abs() > 1e-3), "the loss depends on the weights");
        }
    }

    #[test]
    fn at_a_sign_boundary_the_gradient_is_the_unconstrained_circuits() {
        let (ipsi, contra) = (2, 3);
        let free = NcapConfig { sign_constrained: false, ..NcapConfig::default() };
        // w_ipsi = 0: the excitatory clamp passes the gradient; it equals the unconstrained
        // circuit's, which (here) is the right-sided derivative; to the left the clamp holds.
        let at_ipsi = [0.9_f32, 1.1, 0.0, -0.6];
        let (auto, fd) = gradients(&at_ipsi, &NcapConfig::default());
        let (auto_free, fd_free) = gradients(&at_ipsi, &free);
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(same(&auto, &auto_free), "{auto:?} vs {auto_free:?}");
        assert!((auto[ipsi] - fd[ipsi].1).abs() < 1e-6 && (auto[ipsi] - fd_free[ipsi].1).abs() < 1e-6, "{} vs {:?}", auto[ipsi], fd[ipsi]);
        assert_eq!(fd[ipsi].0, 0.0, "left of 0 the clamp holds w_ipsi at 0");
        assert!(auto[ipsi].abs() > 1e-3, "the boundary gradient is informative");
        // w_contra = 0: likewise the unconstrained circuit's gradient (its right-sided derivative,
        // where the inhibitory clamp holds w_contra at 0).
        let at_contra = [0.9_f32, 1.1, 0.8, 0.0];
        let (auto, fd) = gradients(&at_contra, &NcapConfig::default());
        let (auto_free, fd_free) = gradients(&at_contra, &free);
        assert!(same(&auto, &auto_free), "{auto:?} vs {auto_free:?}");
        assert!((auto[contra] - fd_free[contra].1).abs() < 1e-6, "{} vs {:?}", auto[contra], fd_free[contra]);
        assert_eq!(fd[contra].1, 0.0, "right of 0 the clamp holds w_contra at 0");
        // Beyond a clamp the weight has no effect at all.
        let (auto, _) = gradients(&[0.9, 1.1, -0.5, 0.4], &NcapConfig::default());
        assert_eq!((auto[ipsi], auto[contra]), (0.0, 0.0));
    }

    #[test]
    fn the_module_and_the_controller_compute_the_same_circuit() {
        let nj = 5;
        let params = [0.7_f32, 1.3, 0.9, -0.6];
        let m = NcapModule::new(&NcapConfig::default(), nj, RANGE, &params, DType::F32, &Device::Cpu).unwrap();
        let mut ctrl = Ncap::new(nj, RANGE as f32, NcapConfig::default()).unwrap();
        ctrl.set_parameters(&params).unwrap();
        ctrl.reset(None);
        let (q, _) = batch(1, nj);
        let q32: Vec<f32> = q.iter().map(|&x| x as f32).collect();
        let mut u = [0.0_f32; 5];
        ctrl.act(&q32, &mut u); // step 0: dorsal phase
        let dev = Device::Cpu;
        let out = m
            .forward(&Tensor::from_slice(&q32, (1, nj), &dev).unwrap(), &Tensor::new(&[1.0_f32], &dev).unwrap(), &Tensor::new(&[0.0_f32], &dev).unwrap())
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        for (a, b) in out[0].iter().zip(&u) {
            assert!((a - b).abs() < 1e-6, "{:?} vs {u:?}", out[0]);
        }
        assert_eq!(m.flat_parameters().unwrap(), params);
    }
}
