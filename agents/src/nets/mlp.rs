//! The gradient learners' MLP on candle (CPU, f32): orthogonal initialisation from a seeded
//! generator (candle's CPU RNG cannot be seeded), the flat parameter layout that
//! [`controllers::MlpPolicy`] runs after training, and the fast tanh both share.

use candle_core::{DType, Device, Result, Tensor, Var};
use controllers::{tanh_approx, Activation};
use nalgebra::DMatrix;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};

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
/// row-major, the [`controllers::MlpPolicy`] layout.
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
}

/// `tanh` as a rational minimax approximation, `x·P(x²)/Q(x²)` on x clamped to ±7.905 (the
/// form Eigen uses; within 4.3e-7 of `tanh`, a few f32 ulps near ±1), several times faster than
/// libm's `tanhf`, which took 40% of a PPO update ([`controllers::tanh_approx`], which the
/// evaluation-time MLP runs too). Its gradient is `1 − y²`. F32 CPU tensors; anything else goes
/// to candle's own `tanh`.
pub fn fast_tanh(x: &Tensor) -> Result<Tensor> {
    if x.dtype() != DType::F32 || !x.device().is_cpu() {
        return x.tanh();
    }
    x.contiguous()?.apply_op1(FastTanh)
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
    use candle_core::Var;

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
