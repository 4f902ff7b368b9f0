//! Separable CMA-ES (Ros & Hansen, 2008): CMA-ES with a diagonal covariance, for problems of
//! hundreds to thousands of parameters where the full covariance's O(n²) memory and O(n³)
//! decomposition per generation would dominate (the spiking networks' ~900 parameters).
//! Ask/tell, minimising. Constants are Hansen's tutorial's with the covariance learning rates
//! scaled by (n + 2)/3, as the paper prescribes for the diagonal model.

use rand::rngs::Xoshiro256PlusPlus;

use crate::optim::cmaes::Strategy;
use rand_distr::{Distribution, StandardNormal};

/// The optimiser's state: mean, step size, diagonal covariance and evolution paths.
#[derive(Debug, Clone)]
pub struct SepCmaes {
    pub mean: Vec<f64>,
    pub sigma: f64,
    /// Diagonal of C.
    pub diag: Vec<f64>,
    p_sigma: Vec<f64>,
    p_c: Vec<f64>,
    generation: u64,
    /// CMA-ES's constants, with `c_1` and `c_mu` scaled for the diagonal model.
    s: Strategy,
}

impl SepCmaes {
    /// Starts at `mean` with step size `sigma` and per-coordinate scales `scales` (C = diag(scales²));
    /// `lambda` 0 picks 4 + ⌊3 ln n⌋.
    pub fn new(mean: Vec<f64>, sigma: f64, scales: &[f64], lambda: usize) -> Self {
        let n = mean.len();
        let nf = n as f64;
        let lambda = if lambda == 0 { 4 + (3.0 * nf.ln()).floor() as usize } else { lambda }.max(2);
        let mut s = Strategy::new(n, lambda);
        let sep = (nf + 2.0) / 3.0;
        s.c_1 = (sep * 2.0 / ((nf + 1.3).powi(2) + s.mu_eff)).min(1.0);
        s.c_mu = (1.0 - s.c_1).min(sep * 2.0 * (s.mu_eff - 2.0 + 1.0 / s.mu_eff) / ((nf + 2.0).powi(2) + s.mu_eff));
        Self { sigma, diag: scales.iter().map(|s| s * s).collect(), p_sigma: vec![0.0; n], p_c: vec![0.0; n], generation: 0, s, mean }
    }

    pub fn lambda(&self) -> usize {
        self.s.lambda
    }

    /// λ standard-normal draws `z_k`; the candidates are `m + σ √C z_k` ([`SepCmaes::candidate`]).
    pub fn ask(&self, rng: &mut Xoshiro256PlusPlus) -> Vec<Vec<f64>> {
        (0..self.s.lambda).map(|_| (0..self.mean.len()).map(|_| StandardNormal.sample(rng)).collect()).collect()
    }

    pub fn candidate(&self, z: &[f64]) -> Vec<f64> {
        self.mean.iter().zip(&self.diag).zip(z).map(|((m, c), z)| m + self.sigma * c.sqrt() * z).collect()
    }

    /// Updates from the draws `zs` and their losses (lower is better).
    pub fn tell(&mut self, zs: &[Vec<f64>], losses: &[f64]) {
        let n = self.mean.len();
        let mut order: Vec<usize> = (0..zs.len()).collect();
        order.sort_by(|&a, &b| losses[a].total_cmp(&losses[b]).then(a.cmp(&b)));
        let mut z_w = vec![0.0; n];
        for (&k, w) in order.iter().zip(&self.s.weights) {
            for (acc, z) in z_w.iter_mut().zip(&zs[k]) {
                *acc += w * z;
            }
        }
        let ps_rate = (self.s.c_sigma * (2.0 - self.s.c_sigma) * self.s.mu_eff).sqrt();
        for i in 0..n {
            let sd = self.diag[i].sqrt();
            self.mean[i] += self.sigma * sd * z_w[i];
            // C^{-1/2} y_w = z_w for a diagonal C.
            self.p_sigma[i] = (1.0 - self.s.c_sigma) * self.p_sigma[i] + ps_rate * z_w[i];
        }
        let g = (self.generation + 1) as f64;
        let ps_norm = self.p_sigma.iter().map(|x| x * x).sum::<f64>().sqrt();
        let stalled = ps_norm / (1.0 - (1.0 - self.s.c_sigma).powf(2.0 * g)).sqrt() >= (1.4 + 2.0 / (n as f64 + 1.0)) * self.s.chi_n;
        let h = if stalled { 0.0 } else { 1.0 };
        let pc_rate = h * (self.s.c_c * (2.0 - self.s.c_c) * self.s.mu_eff).sqrt();
        let delta_h = (1.0 - h) * self.s.c_c * (2.0 - self.s.c_c);
        for i in 0..n {
            let sd = self.diag[i].sqrt();
            self.p_c[i] = (1.0 - self.s.c_c) * self.p_c[i] + pc_rate * sd * z_w[i];
            let rank_mu: f64 = order.iter().zip(&self.s.weights).map(|(&k, w)| w * self.diag[i] * zs[k][i] * zs[k][i]).sum();
            self.diag[i] = (1.0 - self.s.c_1 - self.s.c_mu + self.s.c_1 * delta_h) * self.diag[i] + self.s.c_1 * self.p_c[i] * self.p_c[i] + self.s.c_mu * rank_mu;
            self.diag[i] = self.diag[i].max(1e-30);
        }
        self.sigma *= ((self.s.c_sigma / self.s.d_sigma) * (ps_norm / self.s.chi_n - 1.0)).exp();
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A badly scaled 200-dimensional ellipsoid: the diagonal adapts and the loss falls by 10⁶.
    #[test]
    fn solves_a_separable_ellipsoid() {
        let n = 200;
        let f = |x: &[f64]| x.iter().enumerate().map(|(i, v)| 10f64.powf(3.0 * i as f64 / (n - 1) as f64) * v * v).sum::<f64>();
        let mut es = SepCmaes::new(vec![1.0; n], 0.5, &vec![1.0; n], 0);
        let start = f(&es.mean);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for _ in 0..3000 {
            let zs = es.ask(&mut rng);
            let losses: Vec<f64> = zs.iter().map(|z| f(&es.candidate(z))).collect();
            es.tell(&zs, &losses);
        }
        assert!(f(&es.mean) < start * 1e-6, "{} from {start}", f(&es.mean));
    }
}
