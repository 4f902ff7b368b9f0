//! CMA-ES (Hansen & Ostermeier, 2001) as an ask/tell optimiser: the (μ/μ_w, λ) covariance-matrix
//! adaptation evolution strategy with cumulative step-size adaptation, rank-one and rank-μ
//! updates, following Hansen's tutorial "The CMA Evolution Strategy" (arXiv:1604.00772).
//!
//! Written here rather than taken from a crate: `fcmaes-core` and `cmaes` seed their RNG but
//! keep their state private (no resumable checkpoint), and `haru_cmaes` cannot be seeded. The
//! learner ([`crate::learners::cmaes`]) checkpoints the whole state and draws each generation's
//! samples from its own stream.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};

/// The strategy's constants for dimension n and population λ (the tutorial's Table 1); shared
/// with the separable variant ([`crate::optim::sep_cmaes`]), which rescales `c_1` and `c_mu`.
#[derive(Debug, Clone)]
pub struct Strategy {
    pub lambda: usize,
    pub weights: Vec<f64>,
    pub mu_eff: f64,
    pub c_sigma: f64,
    pub d_sigma: f64,
    pub c_c: f64,
    pub c_1: f64,
    pub c_mu: f64,
    pub chi_n: f64,
}

impl Strategy {
    pub fn new(n: usize, lambda: usize) -> Self {
        let nf = n as f64;
        let mu = lambda / 2;
        let raw: Vec<f64> = (1..=mu).map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - (i as f64).ln()).collect();
        let sum: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / sum).collect();
        let mu_eff = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let c_sigma = (mu_eff + 2.0) / (nf + mu_eff + 5.0);
        let d_sigma = 1.0 + 2.0 * (((mu_eff - 1.0) / (nf + 1.0)).sqrt() - 1.0).max(0.0) + c_sigma;
        let c_c = (4.0 + mu_eff / nf) / (nf + 4.0 + 2.0 * mu_eff / nf);
        let c_1 = 2.0 / ((nf + 1.3).powi(2) + mu_eff);
        let c_mu = (1.0 - c_1).min(2.0 * (mu_eff - 2.0 + 1.0 / mu_eff) / ((nf + 2.0).powi(2) + mu_eff));
        let chi_n = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));
        Self { lambda, weights, mu_eff, c_sigma, d_sigma, c_c, c_1, c_mu, chi_n }
    }
}

/// The search distribution N(m, σ² C) and the evolution paths: everything a resume needs, as an
/// ask/tell optimiser ([`Cmaes::sample`], then [`Cmaes::tell`] with the candidates ranked).
#[derive(Debug, Clone)]
pub struct Cmaes {
    pub mean: DVector<f64>,
    pub sigma: f64,
    pub cov: DMatrix<f64>,
    pub p_sigma: DVector<f64>,
    pub p_c: DVector<f64>,
    /// C = B diag(D²) Bᵀ, refreshed from `cov` each generation.
    pub b: DMatrix<f64>,
    pub d: DVector<f64>,
}

impl Cmaes {
    pub fn new(mean: DVector<f64>, sigma: f64) -> Self {
        let n = mean.len();
        let mut dist = Self {
            mean,
            sigma,
            cov: DMatrix::identity(n, n),
            p_sigma: DVector::zeros(n),
            p_c: DVector::zeros(n),
            b: DMatrix::identity(n, n),
            d: DVector::from_element(n, 1.0),
        };
        dist.decompose();
        dist
    }

    /// λ steps `y_k = B D z_k`, `z_k ~ N(0, I)`; the candidates are `m + σ y_k`.
    pub fn sample(&self, rng: &mut Xoshiro256PlusPlus, lambda: usize) -> Vec<DVector<f64>> {
        let n = self.mean.len();
        (0..lambda).map(|_| &self.b * DVector::from_iterator(n, (0..n).map(|_| StandardNormal.sample(rng))).component_mul(&self.d)).collect()
    }

    /// Moves the distribution after generation `generation` (0-based): `order` lists the steps
    /// `ys` best first. Mean, both evolution paths, C (rank-one and rank-μ) and σ (CSA).
    pub fn tell(&mut self, s: &Strategy, ys: &[DVector<f64>], order: &[usize], generation: u64) {
        let n = self.mean.len();
        let y_w = order.iter().zip(&s.weights).map(|(&k, w)| &ys[k] * *w).fold(DVector::zeros(n), |acc, v| acc + v);
        self.mean += &y_w * self.sigma;
        // Step-size path, with C^{-1/2} y_w = B D⁻¹ Bᵀ y_w.
        let c_inv_sqrt_y = &self.b * (self.b.transpose() * &y_w).component_div(&self.d);
        self.p_sigma = &self.p_sigma * (1.0 - s.c_sigma) + c_inv_sqrt_y * (s.c_sigma * (2.0 - s.c_sigma) * s.mu_eff).sqrt();
        let g = (generation + 1) as f64;
        let stalled = self.p_sigma.norm() / (1.0 - (1.0 - s.c_sigma).powf(2.0 * g)).sqrt() >= (1.4 + 2.0 / (n as f64 + 1.0)) * s.chi_n;
        let h = if stalled { 0.0 } else { 1.0 };
        self.p_c = &self.p_c * (1.0 - s.c_c) + &y_w * (h * (s.c_c * (2.0 - s.c_c) * s.mu_eff).sqrt());
        let mut rank_mu = DMatrix::zeros(n, n);
        for (&k, w) in order.iter().zip(&s.weights) {
            rank_mu += &ys[k] * ys[k].transpose() * *w;
        }
        let delta_h = (1.0 - h) * s.c_c * (2.0 - s.c_c);
        self.cov = &self.cov * (1.0 - s.c_1 - s.c_mu + s.c_1 * delta_h) + &self.p_c * self.p_c.transpose() * s.c_1 + rank_mu * s.c_mu;
        self.sigma *= ((s.c_sigma / s.d_sigma) * (self.p_sigma.norm() / s.chi_n - 1.0)).exp();
    }

    /// B and D from C (C is kept symmetric; tiny negative eigenvalues from rounding are floored).
    pub fn decompose(&mut self) {
        self.cov = (&self.cov + self.cov.transpose()) * 0.5;
        let eig = SymmetricEigen::new(self.cov.clone());
        self.b = eig.eigenvectors;
        self.d = eig.eigenvalues.map(|v| v.max(1e-20).sqrt());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn strategy_constants_match_the_tutorial_for_n_4() {
        // n = 4: λ = 4 + ⌊3 ln 4⌋ = 8, μ = 4.
        let s = Strategy::new(4, 8);
        assert_eq!(s.weights.len(), 4);
        assert!((s.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(s.weights.windows(2).all(|w| w[0] > w[1]));
        // μ_eff for these weights is ≈ 2.60 (Hansen's purecma gives the same).
        assert!((s.mu_eff - 2.6).abs() < 0.01, "{}", s.mu_eff);
        assert!(s.c_1 + s.c_mu <= 1.0 && s.c_sigma < 1.0 && s.d_sigma >= 1.0);
    }

    /// CMA-ES minimises a badly scaled quadratic (a pure-optimiser check, no env).
    #[test]
    fn adapts_to_an_ellipsoid() {
        let n = 6;
        let s = Strategy::new(n, 10);
        let mut dist = Cmaes::new(DVector::from_element(n, 3.0), 1.0);
        let f = |x: &DVector<f64>| -> f64 { x.iter().enumerate().map(|(i, v)| 10f64.powi(i as i32) * v * v).sum() };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for g in 0..600 {
            let ys = dist.sample(&mut rng, s.lambda);
            let fx: Vec<f64> = ys.iter().map(|y| f(&(&dist.mean + y * dist.sigma))).collect();
            let mut order: Vec<usize> = (0..s.lambda).collect();
            order.sort_by(|&a, &b| fx[a].total_cmp(&fx[b]));
            dist.tell(&s, &ys, &order, g);
            dist.decompose();
        }
        assert!(f(&dist.mean) < 1e-10, "f = {}", f(&dist.mean));
        // The learned covariance is elongated along the flat axis (i = 0) vs the steep one.
        assert!(dist.cov[(0, 0)] > 100.0 * dist.cov[(n - 1, n - 1)]);
    }
}
