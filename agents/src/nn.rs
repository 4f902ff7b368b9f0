//! Neural-network pieces for the gradient learners, on candle (CPU, f32): an MLP with
//! orthogonal initialisation from a seeded generator (candle's CPU RNG cannot be seeded), Adam
//! with its moments exposed for checkpoints (candle-nn's are private), global-norm gradient
//! clipping, and a running mean/std normaliser.

use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Result, Tensor, Var};
use nalgebra::DMatrix;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};

use crate::mlp::Activation;

/// An orthogonal `rows × cols` matrix scaled by `gain` (Saxe et al., 2014), as PyTorch's
/// `orthogonal_` draws it: QR of a Gaussian matrix, signs fixed by R's diagonal.
pub fn orthogonal(rows: usize, cols: usize, gain: f64, rng: &mut Xoshiro256PlusPlus) -> Vec<f32> {
    let (tall_r, tall_c) = if rows >= cols { (rows, cols) } else { (cols, rows) };
    let a = DMatrix::<f64>::from_fn(tall_r, tall_c, |_, _| StandardNormal.sample(rng));
    let qr = a.qr();
    let (mut q, r) = (qr.q(), qr.r());
    for j in 0..tall_c {
        if r[(j, j)] < 0.0 {
            q.column_mut(j).neg_mut();
        }
    }
    let q = if rows >= cols { q } else { q.transpose() };
    (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j))).map(|(i, j)| (gain * q[(i, j)]) as f32).collect()
}

/// An MLP: hidden layers with `activation`, a linear output layer. Weights `[out, in]`
/// row-major, the [`crate::mlp::MlpPolicy`] layout.
#[derive(Debug, Clone)]
pub struct Mlp {
    layers: Vec<(Var, Var)>,
    activation: Activation,
}

impl Mlp {
    /// Orthogonal weights (gain √2 for hidden layers, `output_gain` for the last), zero biases.
    pub fn new(sizes: &[usize], activation: Activation, output_gain: f64, rng: &mut Xoshiro256PlusPlus, device: &Device) -> Result<Self> {
        let last = sizes.len() - 2;
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(k, w)| {
                let gain = if k == last { output_gain } else { std::f64::consts::SQRT_2 };
                let weight = Tensor::from_vec(orthogonal(w[1], w[0], gain, rng), (w[1], w[0]), device)?;
                Ok((Var::from_tensor(&weight)?, Var::zeros(w[1], DType::F32, device)?))
            })
            .collect::<Result<_>>()?;
        Ok(Self { layers, activation })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (k, (w, b)) in self.layers.iter().enumerate() {
            h = h.matmul(&w.t()?)?.broadcast_add(b)?;
            if k + 1 < self.layers.len() {
                h = match self.activation {
                    Activation::Tanh => fast_tanh(&h)?,
                    Activation::Relu => h.relu()?,
                };
            }
        }
        Ok(h)
    }

    pub fn vars(&self) -> Vec<Var> {
        self.layers.iter().flat_map(|(w, b)| [w.clone(), b.clone()]).collect()
    }

    /// A copy with variables of its own (e.g. a target network).
    pub fn deep_copy(&self) -> Result<Self> {
        let layers = self
            .layers
            .iter()
            .map(|(w, b)| Ok((Var::from_tensor(&w.as_tensor().copy()?)?, Var::from_tensor(&b.as_tensor().copy()?)?)))
            .collect::<Result<_>>()?;
        Ok(Self { layers, activation: self.activation })
    }

    /// All weights and biases, layer by layer, as one flat vector.
    pub fn flat(&self) -> Result<Vec<f32>> {
        flatten(&self.vars())
    }
}

/// The values of `vars`, concatenated.
pub fn flatten(vars: &[Var]) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    for v in vars {
        out.extend(v.flatten_all()?.to_vec1::<f32>()?);
    }
    Ok(out)
}

/// Overwrites `vars` from a flat vector (the layout of [`flatten`]).
pub fn unflatten(vars: &[Var], flat: &[f32]) -> Result<()> {
    let mut offset = 0;
    for v in vars {
        let n = v.elem_count();
        if offset + n > flat.len() {
            candle_core::bail!("flat vector too short: {} for at least {}", flat.len(), offset + n);
        }
        v.set(&Tensor::from_slice(&flat[offset..offset + n], v.shape(), v.device())?)?;
        offset += n;
    }
    if offset != flat.len() {
        candle_core::bail!("flat vector has {} values, the variables {offset}", flat.len());
    }
    Ok(())
}

/// Adam over candle variables, its moments kept as tensors so that a checkpoint can save them.
#[derive(Debug, Clone)]
pub struct Adam {
    vars: Vec<Var>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    pub t: u64,
    pub learning_rate: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
}

impl Adam {
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

    /// Overwrites the first and second moments from flat vectors (the layout of [`Adam::moments`]).
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

/// Running mean and variance (Chan et al.'s parallel update), as Gymnasium's
/// `NormalizeObservation` and `NormalizeReward` keep them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunningMeanStd {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub count: f64,
}

impl RunningMeanStd {
    pub fn new(dim: usize) -> Self {
        Self { mean: vec![0.0; dim], var: vec![1.0; dim], count: 1e-4 }
    }

    /// Folds in a batch of rows (row-major, `dim` columns).
    pub fn update(&mut self, batch: &[f32]) {
        let dim = self.mean.len();
        let n = (batch.len() / dim) as f64;
        if n == 0.0 {
            return;
        }
        for d in 0..dim {
            let column = batch.iter().skip(d).step_by(dim).map(|&x| x as f64);
            let batch_mean = column.clone().sum::<f64>() / n;
            let batch_var = column.map(|x| (x - batch_mean).powi(2)).sum::<f64>() / n;
            let delta = batch_mean - self.mean[d];
            let total = self.count + n;
            let m2 = self.var[d] * self.count + batch_var * n + delta * delta * self.count * n / total;
            self.mean[d] += delta * n / total;
            self.var[d] = m2 / total;
        }
        self.count += n;
    }

    /// Standard deviations with the normaliser's ε (1e-8 under the square root).
    pub fn std(&self) -> Vec<f64> {
        self.var.iter().map(|v| (v + 1e-8).sqrt()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn orthogonal_rows_or_columns_are_orthonormal() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        for (r, c) in [(8, 3), (3, 8), (5, 5)] {
            let w = orthogonal(r, c, 2.0, &mut rng);
            let m = DMatrix::from_row_slice(r, c, &w.iter().map(|&x| x as f64 / 2.0).collect::<Vec<_>>());
            let gram = if r >= c { m.transpose() * &m } else { &m * m.transpose() };
            assert!((gram - DMatrix::identity(r.min(c), r.min(c))).abs().max() < 1e-6);
        }
    }

    #[test]
    fn running_mean_std_matches_the_batch_statistics() {
        let mut rms = RunningMeanStd::new(2);
        let data: Vec<f32> = (0..200).map(|i| if i % 2 == 0 { i as f32 } else { -3.0 }).collect();
        rms.update(&data[..80]);
        rms.update(&data[80..]);
        let xs: Vec<f64> = data.iter().step_by(2).map(|&x| x as f64).collect();
        let mean = xs.iter().sum::<f64>() / 100.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 100.0;
        assert!((rms.mean[0] - mean).abs() < 1e-3 && (rms.var[0] - var).abs() / var < 1e-3);
        assert!((rms.mean[1] + 3.0).abs() < 1e-3 && rms.var[1] < 1e-3);
    }

    /// A variable used through `exp` (as PPO's log-std is) gets a gradient that still records
    /// ops; Adam's moments must not keep that history, or it grows without bound.
    #[test]
    fn adam_moments_keep_no_autograd_history() -> Result<()> {
        let dev = Device::Cpu;
        let log_std = Var::from_tensor(&Tensor::new(&[0.3_f32, -0.2], &dev)?)?;
        let mut adam = Adam::new(vec![log_std.clone()], 0.01, 1e-8)?;
        for _ in 0..3 {
            let loss = (log_std.exp()? - 2.0)?.sqr()?.sum_all()?;
            let grads = loss.backward()?;
            assert!(grads.get(&log_std).unwrap().track_op(), "candle's variable gradients record ops (else this test tests nothing)");
            adam.step(&grads)?;
        }
        assert!(adam.m.iter().chain(&adam.v).all(|t| !t.track_op()), "Adam's moments record ops");
        Ok(())
    }

    /// The tensor Adam takes the same steps as the flat-vector one (checked by hand in
    /// `crate::adam`), and fits y = x0 − x1 + 1.
    #[test]
    fn adam_fits_a_linear_map() -> Result<()> {
        let dev = Device::Cpu;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mlp = Mlp::new(&[2, 1], Activation::Tanh, 1.0, &mut rng, &dev)?;
        let mut adam = Adam::new(mlp.vars(), 0.01, 1e-8)?;
        let mut reference = crate::adam::Adam::new(crate::adam::AdamConfig { learning_rate: 0.01, ..Default::default() }, 3);
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

/// `tanh` as a rational minimax approximation, `x·P(x²)/Q(x²)` on x clamped to ±7.905 (the
/// form Eigen uses; within 4.3e-7 of `tanh`, a few f32 ulps near ±1), several times faster than
/// libm's `tanhf`, which took 40% of a PPO update. Its gradient is `1 − y²`. F32 CPU tensors;
/// anything else goes to candle's own `tanh`.
pub fn fast_tanh(x: &Tensor) -> Result<Tensor> {
    if x.dtype() != DType::F32 || !x.device().is_cpu() {
        return x.tanh();
    }
    x.contiguous()?.apply_op1(FastTanh)
}

/// The approximation on one value.
#[inline]
pub fn tanh_approx(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A: [f32; 7] = [4.893_524_6e-3, 6.372_619_3e-4, 1.485_722_4e-5, 5.122_297e-8, -8.604_672e-11, 2.000_187_9e-13, -2.760_768_5e-16];
    const B: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347e-4, 1.198_258_4e-6];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    // Horner with plain multiply-adds: `mul_add` would call libm's software fma on targets
    // built without the `fma` feature.
    let p = ((((((A[6] * x2 + A[5]) * x2 + A[4]) * x2 + A[3]) * x2 + A[2]) * x2 + A[1]) * x2) + A[0];
    let q = ((B[3] * x2 + B[2]) * x2 + B[1]) * x2 + B[0];
    x * p / q
}

struct FastTanh;

impl candle_core::CustomOp1 for FastTanh {
    fn name(&self) -> &'static str {
        "fast-tanh"
    }

    fn cpu_fwd(&self, storage: &candle_core::CpuStorage, layout: &candle_core::Layout) -> Result<(candle_core::CpuStorage, candle_core::Shape)> {
        let candle_core::CpuStorage::F32(values) = storage else {
            candle_core::bail!("fast-tanh: expected f32");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("fast-tanh: expected a contiguous tensor");
        };
        let out: Vec<f32> = values[start..end].iter().map(|&x| tanh_approx(x)).collect();
        Ok((candle_core::CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some((grad_res * (1.0 - res.sqr()?)?)?))
    }
}

#[cfg(test)]
mod fast_tanh_tests {
    use super::*;

    #[test]
    fn fast_tanh_is_within_5e7_of_tanh() {
        let mut worst = 0.0_f64;
        for k in -200_000..=200_000 {
            let x = k as f32 * 1e-4; // [−20, 20]
            worst = worst.max((tanh_approx(x) as f64 - (x as f64).tanh()).abs());
        }
        assert!(worst < 5e-7, "max |error| {worst:e}");
        assert_eq!(tanh_approx(0.0), 0.0);
        assert!(tanh_approx(30.0) <= 1.0 && tanh_approx(-30.0) >= -1.0);
    }

    #[test]
    fn fast_tanh_gradient_is_one_minus_y_squared() -> Result<()> {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::from_slice(&[-2.0_f32, -0.3, 0.0, 0.7, 3.0], 5, &dev)?)?;
        let y = fast_tanh(&x)?;
        let g = y.sum_all()?.backward()?;
        let got = g.get(&x).unwrap().to_vec1::<f32>()?;
        for (xi, gi) in [-2.0_f32, -0.3, 0.0, 0.7, 3.0].iter().zip(got) {
            assert!((gi - (1.0 - xi.tanh().powi(2))).abs() < 1e-6);
        }
        Ok(())
    }
}
