//! Leaky integrate-and-fire neurons, one layer at a time, on a fixed neuron clock.
//!
//! Each tick of `dt` seconds, neuron i with input current `I_i` (in units of its resistance
//! times current, i.e. volts of steady-state potential) updates as the exact solution of
//! `τ_i dv/dt = −v + I_i` for a current held over the tick:
//!
//! `v ← α_i v + (1 − α_i) I_i`, with the leak `α_i = exp(−dt/τ_i)` in [0, 1);
//!
//! then, if `v ≥ θ_i` (its threshold), it spikes and `v` resets to 0 and stays there for the
//! layer's refractory period (whole ticks), ignoring input. Under a constant current `I > θ`
//! from rest, the first spike therefore comes at the first tick k with `I (1 − α^k) ≥ θ`, i.e.
//! `k = ⌈τ/dt · ln(I / (I − θ))⌉`: the continuous-time closed form rounded up to the clock.
//!
//! Per-neuron leaks and thresholds are passed in (they are a network's evolvable parameters);
//! they are clamped at use (α to [0, 0.9999], θ to ≥ 1e-3) so that any parameter vector is a
//! valid network. A layer allocates only when built.

/// The state of a layer of LIF neurons.
#[derive(Debug, Clone, PartialEq)]
pub struct LifLayer {
    /// Membrane potentials.
    pub potential: Vec<f32>,
    /// Ticks of refractory period left per neuron.
    refractory_left: Vec<u32>,
    /// 1.0 where a neuron spiked on the latest tick, else 0.0.
    pub spikes: Vec<f32>,
    /// Refractory period (ticks) after each spike.
    pub refractory_ticks: u32,
}

/// Largest leak used: a membrane time constant of about 10⁴ ticks.
pub const MAX_LEAK: f32 = 0.9999;
/// Smallest threshold used.
pub const MIN_THRESHOLD: f32 = 1e-3;

impl LifLayer {
    pub fn new(n: usize, refractory_ticks: u32) -> Self {
        Self { potential: vec![0.0; n], refractory_left: vec![0; n], spikes: vec![0.0; n], refractory_ticks }
    }

    pub fn len(&self) -> usize {
        self.potential.len()
    }

    pub fn is_empty(&self) -> bool {
        self.potential.is_empty()
    }

    /// Back to rest: potentials 0, no refractory period, no spikes.
    pub fn reset(&mut self) {
        self.potential.fill(0.0);
        self.refractory_left.fill(0);
        self.spikes.fill(0.0);
    }

    /// One tick under `current` (one entry per neuron) with per-neuron `leak` α and `threshold` θ.
    /// Returns the number of spikes.
    pub fn tick(&mut self, current: &[f32], leak: &[f32], threshold: &[f32]) -> usize {
        let mut count = 0;
        for i in 0..self.potential.len() {
            if self.refractory_left[i] > 0 {
                self.refractory_left[i] -= 1;
                self.potential[i] = 0.0;
                self.spikes[i] = 0.0;
                continue;
            }
            let alpha = leak[i].clamp(0.0, MAX_LEAK);
            let v = alpha * self.potential[i] + (1.0 - alpha) * current[i];
            if v >= threshold[i].max(MIN_THRESHOLD) {
                self.potential[i] = 0.0;
                self.spikes[i] = 1.0;
                self.refractory_left[i] = self.refractory_ticks;
                count += 1;
            } else {
                self.potential[i] = v;
                self.spikes[i] = 0.0;
            }
        }
        count
    }
}

/// The leak α = exp(−dt/τ) of a membrane time constant `tau` (s) on a clock of `dt` (s).
pub fn leak(tau: f32, dt: f32) -> f32 {
    (-dt / tau).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_spike_under_constant_current_comes_when_the_closed_form_says() {
        let dt = 1e-3;
        for (tau, current, theta) in [(0.02_f32, 1.5_f32, 1.0_f32), (0.005, 3.0, 1.0), (0.05, 1.01, 1.0), (0.01, 0.4, 0.25)] {
            let alpha = leak(tau, dt);
            let mut layer = LifLayer::new(1, 0);
            let closed_form = (tau as f64 / dt as f64 * (current as f64 / (current as f64 - theta as f64)).ln()).ceil() as usize;
            let first = (1..100_000).find(|_| layer.tick(&[current], &[alpha], &[theta]) == 1).unwrap();
            // f32 rounding may move a spike that lands within 1e-4 of a tick boundary by one tick.
            let exact = (tau as f64 / dt as f64 * (current as f64 / (current as f64 - theta as f64)).ln()).fract();
            assert!(first == closed_form || (exact < 1e-4 || exact > 1.0 - 1e-4), "τ = {tau}: first spike at tick {first}, closed form {closed_form}");
        }
        // Below threshold it never fires: the potential tends to I < θ.
        let mut layer = LifLayer::new(1, 0);
        assert!((0..10_000).all(|_| layer.tick(&[0.99], &[0.9], &[1.0]) == 0));
        assert!((layer.potential[0] - 0.99).abs() < 1e-5);
    }

    #[test]
    fn the_refractory_period_is_respected() {
        // A current strong enough to fire on every free tick: spikes come every (refractory + 1) ticks.
        for refractory in [0, 1, 3] {
            let mut layer = LifLayer::new(2, refractory);
            let spikes: Vec<usize> = (0..40).filter(|_| layer.tick(&[100.0, 100.0], &[0.5, 0.5], &[1.0, 1.0]) > 0).collect();
            let gaps: Vec<usize> = spikes.windows(2).map(|w| w[1] - w[0]).collect();
            assert!(gaps.iter().all(|&g| g == refractory as usize + 1), "refractory {refractory}: gaps {gaps:?}");
        }
        // During the refractory period input is ignored and the potential stays at reset.
        let mut layer = LifLayer::new(1, 2);
        layer.tick(&[100.0], &[0.0], &[1.0]);
        layer.tick(&[100.0], &[0.0], &[1.0]);
        assert_eq!((layer.potential[0], layer.spikes[0]), (0.0, 0.0));
    }

    #[test]
    fn parameters_are_clamped_at_use() {
        let mut layer = LifLayer::new(1, 0);
        // A negative threshold would fire at rest; it is clamped to 1e-3, so a zero current does not.
        assert_eq!(layer.tick(&[0.0], &[0.5], &[-1.0]), 0);
        // A leak above 1 would grow without bound; clamped, the potential stays below the input.
        for _ in 0..100 {
            layer.tick(&[0.5], &[3.0], &[10.0]);
        }
        assert!(layer.potential[0] > 0.0 && layer.potential[0] < 0.5);
    }
}
