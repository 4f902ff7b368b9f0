//! A dense MLP with its backward pass derived by hand, over one flat parameter vector: the
//! off-policy learners' networks (critics, SAC's actor, TD3's MLP actor).
//!
//! Why not candle here: an off-policy update is a few dozen small matmuls, and candle's graph
//! (a tensor allocation per op, the backward's topological sort, a gradient store per call)
//! cost more than the arithmetic at 64×64 and a large share at 256×256. This module does the
//! same arithmetic with no allocation after the first call: every activation lives in a
//! [`Tape`] reused from update to update, matmuls go straight to the `gemm` crate (the kernels
//! candle itself calls), bias adds are fused into them, and the activation's derivative is read
//! off its output.
//!
//! Layout (shared with [`controllers::MlpPolicy`] and [`crate::nets::Mlp`], so a trained vector
//! runs as a policy and old checkpoints load): layer by layer, the weight `[out, in]` row-major,
//! then the bias `[out]`. Batches are row-major `[B, features]`. Hidden layers apply the
//! activation (ReLU, or the rational tanh of [`controllers::tanh_approx`]); the output layer is
//! linear.

use controllers::{tanh_approx, Activation};
use gemm::{gemm, Parallelism};
use rand::rngs::Xoshiro256PlusPlus;

use crate::nets::mlp::orthogonal;

/// An MLP's architecture: its layer widths and hidden activation (the parameters live outside,
/// as one flat vector, so that optimisers, targets and checkpoints see plain slices).
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    sizes: Vec<usize>,
    activation: Activation,
    /// Per layer: offset of its weight in the flat vector (its bias follows the weight).
    offsets: Vec<usize>,
    n_params: usize,
}

/// The activations of one forward pass (`acts[0]` the input, `acts[k]` layer k's output),
/// kept for the backward pass and reused between calls.
#[derive(Debug, Clone, Default)]
pub struct Tape {
    pub batch: usize,
    acts: Vec<Vec<f32>>,
    /// Ping-pong buffers of the backward pass.
    delta: Vec<f32>,
    upstream: Vec<f32>,
}

std::thread_local! {
    /// Floating-point operations (2·m·n·k per product) of every matmul this thread has run.
    static FLOPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The matmul FLOPs this thread has run so far (differences of it count an update's FLOPs).
pub fn matmul_flops() -> u64 {
    FLOPS.with(|f| f.get())
}

/// `dst[m×n] (=|+=) lhs[m×k] · rhs[k×n]`, each given by (row stride, column stride), on one
/// thread; the slices must cover every index the strides reach (asserted).
#[allow(clippy::too_many_arguments)]
fn matmul(m: usize, n: usize, k: usize, dst: &mut [f32], dst_rs: usize, dst_cs: usize, accumulate: bool, lhs: &[f32], lhs_rs: usize, lhs_cs: usize, rhs: &[f32], rhs_rs: usize, rhs_cs: usize) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    dst[i * dst_rs + j * dst_cs] = 0.0;
                }
            }
        }
        return;
    }
    FLOPS.with(|f| f.set(f.get() + 2 * (m * n * k) as u64));
    let reach = |rs: usize, cs: usize, r: usize, c: usize| (r - 1) * rs + (c - 1) * cs + 1;
    assert!(dst.len() >= reach(dst_rs, dst_cs, m, n) && lhs.len() >= reach(lhs_rs, lhs_cs, m, k) && rhs.len() >= reach(rhs_rs, rhs_cs, k, n), "matmul: a slice is shorter than its shape");
    // SAFETY: the assertion above bounds every element the strides address; `dst` is borrowed
    // mutably and so aliases neither operand.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            dst_cs as isize,
            dst_rs as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// `z[m×n] = x[m×k] · y[k×n]`, row-major, one thread: the kernel every layer calls, exposed to
/// measure this core's f32 matmul peak (`nerve perf --matmul`, `benches/updates.rs`).
pub fn matmul_f32(m: usize, n: usize, k: usize, z: &mut [f32], x: &[f32], y: &[f32]) {
    matmul(m, n, k, z, n, 1, false, x, k, 1, y, n, 1);
}

impl Dense {
    /// Layers `sizes[0] → sizes[1] → … → sizes[n]`; `activation` after every layer but the last.
    pub fn new(sizes: &[usize], activation: Activation) -> Self {
        assert!(sizes.len() >= 2, "an MLP needs an input and an output width");
        let mut offsets = Vec::with_capacity(sizes.len() - 1);
        let mut n = 0;
        for w in sizes.windows(2) {
            offsets.push(n);
            n += w[0] * w[1] + w[1];
        }
        Self { sizes: sizes.to_vec(), activation, offsets, n_params: n }
    }

    /// `input → hidden[0] → … → output`.
    pub fn mlp(input: usize, hidden: &[usize], output: usize, activation: Activation) -> Self {
        let sizes: Vec<usize> = std::iter::once(input).chain(hidden.iter().copied()).chain(std::iter::once(output)).collect();
        Self::new(&sizes, activation)
    }

    pub fn n_params(&self) -> usize {
        self.n_params
    }

    pub fn output_dim(&self) -> usize {
        *self.sizes.last().unwrap()
    }

    /// Initial parameters as [`crate::nets::Mlp::new`] draws them from the same generator:
    /// orthogonal weights (gain √2, the last layer `output_gain`), zero biases.
    pub fn init(&self, output_gain: f64, rng: &mut Xoshiro256PlusPlus) -> Vec<f32> {
        let mut p = vec![0.0; self.n_params];
        let last = self.sizes.len() - 2;
        for (k, w) in self.sizes.windows(2).enumerate() {
            let gain = if k == last { output_gain } else { std::f64::consts::SQRT_2 };
            let o = self.offsets[k];
            p[o..o + w[0] * w[1]].copy_from_slice(&orthogonal(w[1], w[0], gain, rng));
        }
        p
    }

    /// The weight `[out, in]` and bias `[out]` of layer `k` in `params`.
    fn layer<'p>(&self, params: &'p [f32], k: usize) -> (&'p [f32], &'p [f32]) {
        let (i, o) = (self.sizes[k], self.sizes[k + 1]);
        let w = self.offsets[k];
        (&params[w..w + i * o], &params[w + i * o..w + i * o + o])
    }

    /// Makes `tape` hold a batch of `batch` inputs and returns the input rows to fill.
    pub fn input<'t>(&self, tape: &'t mut Tape, batch: usize) -> &'t mut [f32] {
        if tape.acts.len() != self.sizes.len() {
            tape.acts = vec![Vec::new(); self.sizes.len()];
        }
        for (a, &w) in tape.acts.iter_mut().zip(&self.sizes) {
            a.resize(batch * w, 0.0);
        }
        tape.batch = batch;
        &mut tape.acts[0]
    }

    /// The forward pass over the input already in `tape` ([`Dense::input`]); returns the output
    /// `[B, out]`.
    pub fn forward<'t>(&self, params: &[f32], tape: &'t mut Tape) -> &'t [f32] {
        debug_assert_eq!(params.len(), self.n_params);
        let b = tape.batch;
        let n_layers = self.sizes.len() - 1;
        for k in 0..n_layers {
            let (i, o) = (self.sizes[k], self.sizes[k + 1]);
            let (w, bias) = self.layer(params, k);
            let (before, after) = tape.acts.split_at_mut(k + 1);
            let (x, y) = (&before[k], &mut after[0]);
            for row in y.chunks_exact_mut(o) {
                row.copy_from_slice(bias);
            }
            // y[B×o] += x[B×i] · wᵀ (wᵀ[i×o]: row stride 1, column stride i).
            matmul(b, o, i, y, o, 1, true, x, i, 1, w, 1, i);
            if k + 1 < n_layers {
                match self.activation {
                    Activation::Relu => y.iter_mut().for_each(|v| *v = v.max(0.0)),
                    Activation::Tanh => y.iter_mut().for_each(|v| *v = tanh_approx(*v)),
                }
            }
        }
        &tape.acts[n_layers]
    }

    /// The output of the last [`Dense::forward`] on `tape`.
    pub fn output<'t>(&self, tape: &'t Tape) -> &'t [f32] {
        &tape.acts[self.sizes.len() - 1]
    }

    /// The backward pass of the last forward on `tape`, from `grad_out` (∂L/∂output, `[B, out]`).
    /// Writes (overwrites) ∂L/∂params into `grad_params` if given, and ∂L/∂input restricted to
    /// the input columns `input_cols` into `grad_input` (`[B, input_cols.len()]`) if given.
    pub fn backward(&self, params: &[f32], tape: &mut Tape, grad_out: &[f32], grad_params: Option<&mut [f32]>, mut grad_input: Option<(&mut [f32], std::ops::Range<usize>)>) {
        let b = tape.batch;
        let n_layers = self.sizes.len() - 1;
        debug_assert_eq!(grad_out.len(), b * self.output_dim());
        let mut grad_params = grad_params;
        let Tape { acts, delta, upstream, .. } = tape;
        delta.clear();
        delta.extend_from_slice(grad_out);
        for k in (0..n_layers).rev() {
            let (i, o) = (self.sizes[k], self.sizes[k + 1]);
            let (w, _) = self.layer(params, k);
            let x = &acts[k];
            // delta: ∂L/∂(layer k's pre-activation), [B×o].
            if let Some(g) = grad_params.as_deref_mut() {
                let off = self.offsets[k];
                let (gw, gb) = g[off..off + i * o + o].split_at_mut(i * o);
                // gw[o×i] = deltaᵀ[o×B] · x[B×i].
                matmul(o, i, b, gw, i, 1, false, delta, 1, o, x, i, 1);
                gb.fill(0.0);
                for row in delta.chunks_exact(o) {
                    for (g, d) in gb.iter_mut().zip(row) {
                        *g += d;
                    }
                }
            }
            if k > 0 {
                // upstream[B×i] = delta[B×o] · w[o×i], then through layer k−1's activation.
                upstream.resize(b * i, 0.0);
                matmul(b, i, o, upstream, i, 1, false, delta, o, 1, w, i, 1);
                match self.activation {
                    // A select, not a branch: the sign of a ReLU's output is a coin flip.
                    Activation::Relu => upstream.iter_mut().zip(x.iter()).for_each(|(g, &y)| *g = if y > 0.0 { *g } else { 0.0 }),
                    Activation::Tanh => upstream.iter_mut().zip(x.iter()).for_each(|(g, &y)| *g *= 1.0 - y * y),
                }
                std::mem::swap(delta, upstream);
            } else if let Some((gi, cols)) = grad_input.take() {
                let n = cols.end - cols.start;
                // gi[B×n] = delta[B×o] · w[o×i][:, cols].
                matmul(b, n, o, gi, n, 1, false, delta, o, 1, &w[cols.start..], i, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    use crate::nets::Mlp;

    fn normal(n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f32> {
        (0..n).map(|_| StandardNormal.sample(rng)).collect()
    }

    /// The same weights from the same generator, the same outputs and gradients as candle's
    /// autograd through [`Mlp`] (ReLU and tanh, a batch of 7, input and parameter gradients).
    #[test]
    fn matches_candle_forward_and_backward() -> candle_core::Result<()> {
        for act in [Activation::Relu, Activation::Tanh] {
            let sizes = [5, 16, 12, 3];
            let dense = Dense::new(&sizes, act);
            let (mut r1, mut r2) = (Xoshiro256PlusPlus::seed_from_u64(3), Xoshiro256PlusPlus::seed_from_u64(3));
            let mut params = dense.init(0.7, &mut r1);
            let mlp = Mlp::new(&sizes, act, 0.7, &mut r2, &Device::Cpu)?;
            assert_eq!(params, mlp.flat()?);
            // Non-zero biases, so that the bias paths are exercised.
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
            for p in params.iter_mut() {
                *p += 0.05 * normal(1, &mut rng)[0];
            }
            crate::nets::unflatten(&mlp.vars(), &params)?;
            let b = 7;
            let x = normal(b * 5, &mut rng);
            let upstream = normal(b * 3, &mut rng);

            let mut tape = Tape::default();
            dense.input(&mut tape, b).copy_from_slice(&x);
            let out = dense.forward(&params, &mut tape).to_vec();
            let mut gp = vec![0.0; dense.n_params()];
            let mut gi = vec![0.0; b * 3];
            dense.backward(&params, &mut tape, &upstream, Some(&mut gp), Some((&mut gi, 1..4)));

            let xv = candle_core::Var::from_tensor(&Tensor::from_vec(x.clone(), (b, 5), &Device::Cpu)?)?;
            let y = mlp.forward(xv.as_tensor())?;
            let loss = (&y * Tensor::from_vec(upstream.clone(), (b, 3), &Device::Cpu)?)?.sum_all()?;
            let grads = loss.backward()?;
            let want_out = y.flatten_all()?.to_vec1::<f32>()?;
            for (a, w) in out.iter().zip(&want_out) {
                assert!((a - w).abs() < 1e-5, "{act:?} output {a} vs {w}");
            }
            let mut want = Vec::new();
            for v in mlp.vars() {
                want.extend(grads.get(&v).unwrap().flatten_all()?.to_vec1::<f32>()?);
            }
            for (k, (a, w)) in gp.iter().zip(&want).enumerate() {
                assert!((a - w).abs() < 1e-4 * (1.0 + w.abs()), "{act:?} param grad {k}: {a} vs {w}");
            }
            let gx = grads.get(&xv).unwrap().to_vec2::<f32>()?;
            for r in 0..b {
                for (c, col) in (1..4).enumerate() {
                    let (a, w) = (gi[r * 3 + c], gx[r][col]);
                    assert!((a - w).abs() < 1e-5 * (1.0 + w.abs()), "{act:?} input grad [{r},{col}]: {a} vs {w}");
                }
            }
        }
        Ok(())
    }

    /// Central finite differences on a tiny tanh net (f64 loss).
    #[test]
    fn gradient_matches_finite_differences() {
        let sizes = [3, 4, 2];
        let dense = Dense::new(&sizes, Activation::Tanh);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let params: Vec<f32> = dense.init(1.0, &mut rng).iter().map(|p| p + 0.1).collect();
        let x = [0.3_f32, -0.8, 0.5, 1.1, 0.2, -0.4];
        let loss = |p: &[f32]| -> f64 {
            let mut t = Tape::default();
            dense.input(&mut t, 2).copy_from_slice(&x);
            dense.forward(p, &mut t).iter().enumerate().map(|(k, &y)| (k as f64 + 1.0) * y as f64).sum()
        };
        let mut t = Tape::default();
        dense.input(&mut t, 2).copy_from_slice(&x);
        dense.forward(&params, &mut t);
        let mut g = vec![0.0; dense.n_params()];
        dense.backward(&params, &mut t, &[1.0, 2.0, 3.0, 4.0], Some(&mut g), None);
        for k in 0..params.len() {
            let h = 1e-2_f32;
            let (mut plus, mut minus) = (params.clone(), params.clone());
            plus[k] += h;
            minus[k] -= h;
            let fd = (loss(&plus) - loss(&minus)) / (2.0 * h as f64);
            assert!((fd - g[k] as f64).abs() < 2e-3 * (1.0 + fd.abs()), "param {k}: {} vs finite difference {fd}", g[k]);
        }
    }

    /// A tape reused for a different batch size gives what a fresh one gives.
    #[test]
    fn tapes_are_reusable_across_batch_sizes() {
        let dense = Dense::new(&[2, 8, 1], Activation::Relu);
        let params = dense.init(1.0, &mut Xoshiro256PlusPlus::seed_from_u64(0));
        let mut reused = Tape::default();
        dense.input(&mut reused, 5).fill(0.3);
        dense.forward(&params, &mut reused);
        let x = [0.5, -0.25];
        dense.input(&mut reused, 1).copy_from_slice(&x);
        let a = dense.forward(&params, &mut reused).to_vec();
        let mut fresh = Tape::default();
        dense.input(&mut fresh, 1).copy_from_slice(&x);
        assert_eq!(a, dense.forward(&params, &mut fresh));
    }
}
