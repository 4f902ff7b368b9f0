//! Adam (Kingma & Ba, 2015) on a flat parameter vector, with its state exposed for checkpoints.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
