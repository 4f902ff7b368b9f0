//! Running mean and variance of observations and returns, as Gymnasium's normalising wrappers
//! keep them.

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
}
