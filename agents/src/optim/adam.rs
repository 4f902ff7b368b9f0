//! Adam (Kingma & Ba, 2015), twice over the same arithmetic: [`Adam`] on a flat parameter vector
//! (the evolution strategies' gradient estimates) and [`TensorAdam`] on candle variables (the
//! gradient learners), both with their moments exposed for checkpoints (candle-nn's are
//! private); and global-norm gradient clipping.

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

use serde::{Deserialize, Serialize};

/// Adam's hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamConfig {
    pub learning_rate: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self { learning_rate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
    }
}

/// Adam's state: first and second moments and the step count.
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    pub config: AdamConfig,
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    pub t: u64,
}

impl Adam {
    pub fn new(config: AdamConfig, dim: usize) -> Self {
        Self { config, m: vec![0.0; dim], v: vec![0.0; dim], t: 0 }
    }

    /// One step of *descent* along `grad`: `params -= lr · m̂ / (√v̂ + ε)`.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32]) {
        let c = self.config;
        self.t += 1;
        let bc1 = 1.0 - c.beta1.powi(self.t as i32);
        let bc2 = 1.0 - c.beta2.powi(self.t as i32);
        let step = c.learning_rate * bc2.sqrt() / bc1;
        for ((p, g), (m, v)) in params.iter_mut().zip(grad).zip(self.m.iter_mut().zip(self.v.iter_mut())) {
            let g = *g as f64;
            *m = (c.beta1 * *m as f64 + (1.0 - c.beta1) * g) as f32;
            *v = (c.beta2 * *v as f64 + (1.0 - c.beta2) * g * g) as f32;
            *p -= (step * *m as f64 / ((*v as f64).sqrt() + c.epsilon * bc2.sqrt())) as f32;
        }
    }
}

/// Adam over one flat f32 vector with [`TensorAdam`]'s arithmetic (`p −= lr·(m/bc₁)/(√(v/bc₂) + ε)`,
/// in f32, moments exposed for checkpoints): the optimiser of the off-policy learners'
/// hand-derived networks ([`crate::nets::dense`]). One pass over the buffers, no allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatAdam {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    pub t: u64,
    pub learning_rate: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
}

impl FlatAdam {
    /// Zero moments for `n` parameters; β = (0.9, 0.999).
    pub fn new(n: usize, learning_rate: f64, epsilon: f64) -> Self {
        Self { m: vec![0.0; n], v: vec![0.0; n], t: 0, learning_rate, beta1: 0.9, beta2: 0.999, epsilon }
    }

    /// One descent step along `grad`.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32]) {
        debug_assert!(params.len() == self.m.len() && grad.len() == self.m.len());
        self.t += 1;
        let inv_bc1 = (1.0 / (1.0 - self.beta1.powi(self.t as i32))) as f32;
        let inv_bc2 = (1.0 / (1.0 - self.beta2.powi(self.t as i32))) as f32;
        let (b1, b2, lr, eps) = (self.beta1 as f32, self.beta2 as f32, self.learning_rate as f32, self.epsilon as f32);
        let (c1, c2) = (1.0 - b1, 1.0 - b2);
        for (((p, &g), m), v) in params.iter_mut().zip(grad).zip(self.m.iter_mut()).zip(self.v.iter_mut()) {
            *m = b1 * *m + c1 * g;
            *v = b2 * *v + c2 * (g * g);
            *p -= lr * (*m * inv_bc1) / ((*v * inv_bc2).sqrt() + eps);
        }
    }
}

/// Polyak averaging of flat vectors: `target ← τ·source + (1 − τ)·target`.
pub fn polyak(target: &mut [f32], source: &[f32], tau: f64) {
    let (a, b) = (tau as f32, (1.0 - tau) as f32);
    for (t, &s) in target.iter_mut().zip(source) {
        *t = a * s + b * *t;
    }
}

/// Adam over candle variables, its moments kept as tensors so that a checkpoint can save them.
#[derive(Debug, Clone)]
pub struct TensorAdam {
    vars: Vec<Var>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    pub t: u64,
    pub learning_rate: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
}

impl TensorAdam {
    pub fn new(vars: Vec<Var>, learning_rate: f64, epsilon: f64) -> Result<Self> {
        let m = vars.iter().map(|v| v.zeros_like()).collect::<Result<_>>()?;
        let v = vars.iter().map(|v| v.zeros_like()).collect::<Result<_>>()?;
        Ok(Self { vars, m, v, t: 0, learning_rate, beta1: 0.9, beta2: 0.999, epsilon })
    }

    /// One descent step with the gradients in `grads` (variables without a gradient stay).
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t as i32);
        let bc2 = 1.0 - self.beta2.powi(self.t as i32);
        for ((var, m), v) in self.vars.iter().zip(self.m.iter_mut()).zip(self.v.iter_mut()) {
            let Some(g) = grads.get(var) else { continue };
            // candle detaches the gradients of intermediate nodes but not those it hands back for
            // variables: they still record the op that produced them. Without this `detach`, each
            // moment would chain to its predecessor through the graph, holding every past step's
            // tensors alive (a leak that grows with training, and a stack overflow when the chain
            // is finally dropped: seen after 156k PPO minibatch steps).
            let g = g.detach();
            let g = &g;
            *m = ((&*m * self.beta1)? + (g * (1.0 - self.beta1))?)?;
            *v = ((&*v * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let update = ((&*m / bc1)? / ((&*v / bc2)?.sqrt()? + self.epsilon)?)?;
            var.set(&(var.as_tensor() - (update * self.learning_rate)?)?)?;
        }
        Ok(())
    }

    /// Number of values in all the variables (and in each moment).
    pub fn n_values(&self) -> usize {
        self.vars.iter().map(|x| x.elem_count()).sum()
    }

    /// Overwrites the first and second moments from flat vectors (the layout of [`TensorAdam::moments`]).
    pub fn set_moments(&mut self, m: &[f32], v: &[f32]) -> Result<()> {
        let total = self.n_values();
        if m.len() != total || v.len() != total {
            candle_core::bail!("Adam moments of {} and {} values, the variables have {total}", m.len(), v.len());
        }
        let mut offset = 0;
        for (k, var) in self.vars.iter().enumerate() {
            let n = var.elem_count();
            self.m[k] = Tensor::from_slice(&m[offset..offset + n], var.shape(), var.device())?;
            self.v[k] = Tensor::from_slice(&v[offset..offset + n], var.shape(), var.device())?;
            offset += n;
        }
        Ok(())
    }

    /// First and second moments, flattened in variable order.
    pub fn moments(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let flat = |ts: &[Tensor]| -> Result<Vec<f32>> {
            let mut out = Vec::new();
            for t in ts {
                out.extend(t.flatten_all()?.to_vec1::<f32>()?);
            }
            Ok(out)
        };
        Ok((flat(&self.m)?, flat(&self.v)?))
    }
}

/// Scales every gradient so that their global L2 norm is at most `max_norm`; returns the norm
/// before clipping.
pub fn clip_grad_norm(grads: &mut GradStore, vars: &[Var], max_norm: f64) -> Result<f64> {
    let mut sum = 0.0;
    for v in vars {
        if let Some(g) = grads.get(v) {
            sum += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
        }
    }
    let norm = sum.sqrt();
    if norm > max_norm {
        let scale = max_norm / (norm + 1e-6);
        for v in vars {
            if let Some(g) = grads.remove(v) {
                grads.insert(v, (g * scale)?);
            }
        }
    }
    Ok(norm)
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::mlp::Mlp;
    use candle_core::Device;
    use controllers::Activation;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::SeedableRng;

    #[test]
    fn first_step_moves_each_parameter_by_the_learning_rate() {
        let mut adam = Adam::new(AdamConfig { learning_rate: 0.1, ..AdamConfig::default() }, 2);
        let mut p = [1.0, -2.0];
        adam.step(&mut p, &[3.0, -0.5]);
        // m̂ = g, v̂ = g²: the step is lr · sign(g) (up to ε).
        assert!((p[0] - 0.9).abs() < 1e-6 && (p[1] + 1.9).abs() < 1e-6, "{p:?}");
    }

    #[test]
    fn minimises_a_quadratic() {
        let mut adam = Adam::new(AdamConfig { learning_rate: 0.05, ..AdamConfig::default() }, 3);
        let target = [1.0_f32, -3.0, 0.5];
        let mut p = [0.0_f32; 3];
        for _ in 0..2000 {
            let g: Vec<f32> = p.iter().zip(&target).map(|(x, t)| 2.0 * (x - t)).collect();
            adam.step(&mut p, &g);
        }
        assert!(p.iter().zip(&target).all(|(x, t)| (x - t).abs() < 1e-3), "{p:?}");
    }

    /// The flat f32 Adam takes TensorAdam's steps (same moments, same parameters to f32 rounding).
    #[test]
    fn flat_adam_matches_tensor_adam() -> Result<()> {
        let dev = Device::Cpu;
        let init = [0.5_f32, -1.5, 2.0, 0.0];
        let var = Var::from_tensor(&Tensor::new(&init, &dev)?)?;
        let mut tensor_adam = TensorAdam::new(vec![var.clone()], 0.01, 1e-8)?;
        let mut flat = FlatAdam::new(4, 0.01, 1e-8);
        let mut p = init.to_vec();
        for step in 0..50 {
            let loss = (var.as_tensor() - 0.25)?.sqr()?.sum_all()?;
            tensor_adam.step(&loss.backward()?)?;
            let g: Vec<f32> = p.iter().map(|x| 2.0 * (x - 0.25)).collect();
            flat.step(&mut p, &g);
            let want = var.as_tensor().to_vec1::<f32>()?;
            for (a, b) in p.iter().zip(&want) {
                assert!((a - b).abs() < 1e-5, "step {step}: {a} vs {b}");
            }
        }
        let (m, v) = tensor_adam.moments()?;
        assert!(m.iter().zip(&flat.m).chain(v.iter().zip(&flat.v)).all(|(a, b)| (a - b).abs() < 1e-5));
        Ok(())
    }

    #[test]
    fn polyak_moves_a_fraction_tau() {
        let mut target = [1.0_f32, 0.0];
        polyak(&mut target, &[3.0, -2.0], 0.25);
        assert_eq!(target, [1.5, -0.5]);
    }

    /// A variable used through `exp` (as PPO's log-std is) gets a gradient that still records
    /// ops; Adam's moments must not keep that history, or it grows without bound.
    #[test]
    fn adam_moments_keep_no_autograd_history() -> Result<()> {
        let dev = Device::Cpu;
        let log_std = Var::from_tensor(&Tensor::new(&[0.3_f32, -0.2], &dev)?)?;
        let mut adam = TensorAdam::new(vec![log_std.clone()], 0.01, 1e-8)?;
        for _ in 0..3 {
            let loss = (log_std.exp()? - 2.0)?.sqr()?.sum_all()?;
            let grads = loss.backward()?;
            assert!(grads.get(&log_std).unwrap().track_op(), "candle's variable gradients record ops (else this test tests nothing)");
            adam.step(&grads)?;
        }
        assert!(adam.m.iter().chain(&adam.v).all(|t| !t.track_op()), "Adam's moments record ops");
        Ok(())
    }

    /// The tensor Adam takes the same steps as the flat-vector one (checked by hand above), and fits y = x0 − x1 + 1.
    #[test]
    fn adam_fits_a_linear_map() -> Result<()> {
        let dev = Device::Cpu;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mlp = Mlp::new(&[2, 1], Activation::Tanh, 1.0, &mut rng, &dev)?;
        let mut adam = TensorAdam::new(mlp.vars(), 0.01, 1e-8)?;
        let mut reference = Adam::new(AdamConfig { learning_rate: 0.01, ..Default::default() }, 3);
        let mut flat = mlp.flat()?;
        let x = Tensor::from_slice(&[1.0_f32, 2.0, -1.0, 0.5, 0.0, -2.0, 3.0, 1.0], (4, 2), &dev)?;
        let y = Tensor::from_slice(&[0.0_f32, -0.5, 3.0, 3.0], (4, 1), &dev)?; // y = x0 − x1 + 1
        for _ in 0..3000 {
            let loss = (mlp.forward(&x)? - &y)?.sqr()?.mean_all()?;
            let grads = loss.backward()?;
            let g: Vec<f32> = mlp.vars().iter().flat_map(|v| grads.get(v).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap()).collect();
            adam.step(&grads)?;
            reference.step(&mut flat, &g);
            let now = mlp.flat()?;
            assert!(now.iter().zip(&flat).all(|(a, b)| (a - b).abs() < 1e-4), "{now:?} vs {flat:?}");
        }
        let loss = (mlp.forward(&x)? - &y)?.sqr()?.mean_all()?.to_scalar::<f32>()?;
        assert!(loss < 1e-3, "loss {loss}");
        let w = mlp.flat()?;
        assert!((w[0] - 1.0).abs() < 0.05 && (w[1] + 1.0).abs() < 0.05 && (w[2] - 1.0).abs() < 0.05, "{w:?}");
        Ok(())
    }
}
