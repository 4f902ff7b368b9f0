//! The statistics of Agarwal et al., "Deep RL at the Edge of the Statistical Precipice"
//! (NeurIPS 2021), computed as their library `rliable` 1.2 computes them.
//!
//! Scores are a [`ScoreMatrix`]: `n_runs × n_tasks` (a "task" is an env or env variant; a run is
//! one training seed). What is defined where:
//!
//! | statistic | definition (rliable) |
//! |---|---|
//! | [`iqm`] | 25 % trimmed mean over all runs and tasks flattened: ⌊n/4⌋ values cut from each end (`scipy.stats.trim_mean`) |
//! | [`mean`] | mean over tasks of the per-task mean |
//! | [`median`] | median over tasks of the per-task mean |
//! | [`optimality_gap`] | γ − mean of min(score, γ) over all runs and tasks |
//! | [`probability_of_improvement`] | mean over tasks of P(X > Y) per task, the Mann–Whitney U of X over Y divided by N_x·N_y (ties count one half) |
//! | [`performance_profile`] | fraction of all runs with score strictly above τ |
//! | [`interval`] | a statistic's percentile confidence interval over a stratified bootstrap: each task's runs resampled with replacement, independently per task |
//!
//! Percentiles are numpy's default (linear, Hyndman–Fan type 7), with the bounds at
//! 100·(1 − c)/2 and 100·(1 − (1 − c)/2) computed as arch does. The bootstrap draws from this
//! crate's own seeded stream (Xoshiro256++), so intervals agree with rliable's within Monte-Carlo
//! error, not bit for bit; point estimates agree to rounding.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// Scores of `n_runs` runs on `n_tasks` tasks, row-major: `scores[run * n_tasks + task]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreMatrix {
    n_runs: usize,
    n_tasks: usize,
    scores: Vec<f64>,
}

/// Why a score matrix could not be made.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsError(pub String);

impl std::fmt::Display for StatsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StatsError {}

impl ScoreMatrix {
    /// A matrix from rows (one per run, each with a score per task). Every row must have the
    /// same number of tasks, and every score must be finite.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Self, StatsError> {
        let n_tasks = rows.first().map_or(0, Vec::len);
        if rows.is_empty() || n_tasks == 0 {
            return Err(StatsError("a score matrix needs at least one run and one task".into()));
        }
        if let Some(r) = rows.iter().position(|r| r.len() != n_tasks) {
            return Err(StatsError(format!("run {r} has {} task scores, run 0 has {n_tasks}", rows[r].len())));
        }
        let scores: Vec<f64> = rows.concat();
        if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
            return Err(StatsError(format!("score of run {} on task {} is {}: expected a finite number", i / n_tasks, i % n_tasks, scores[i])));
        }
        Ok(Self { n_runs: rows.len(), n_tasks, scores })
    }

    pub fn n_runs(&self) -> usize {
        self.n_runs
    }

    pub fn n_tasks(&self) -> usize {
        self.n_tasks
    }

    pub fn get(&self, run: usize, task: usize) -> f64 {
        self.scores[run * self.n_tasks + task]
    }

    /// All scores, run-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.scores
    }

    /// Task `task`'s scores over runs.
    pub fn task(&self, task: usize) -> impl Iterator<Item = f64> + '_ {
        (0..self.n_runs).map(move |r| self.get(r, task))
    }

    /// Each task's mean over runs.
    pub fn task_means(&self) -> Vec<f64> {
        (0..self.n_tasks).map(|t| self.task(t).sum::<f64>() / self.n_runs as f64).collect()
    }
}

fn sorted(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.into_iter().collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The interquartile mean: the mean of all scores after cutting ⌊n/4⌋ from each end.
pub fn iqm(s: &ScoreMatrix) -> f64 {
    trimmed_mean(s.as_slice(), 0.25)
}

/// The mean of `values` after cutting ⌊proportion·n⌋ from each end of their sorted order
/// (scipy's `trim_mean`; NaN for no values).
pub fn trimmed_mean(values: &[f64], proportion: f64) -> f64 {
    let v = sorted(values.iter().copied());
    let k = (proportion * v.len() as f64) as usize;
    let kept = &v[k..v.len() - k];
    kept.iter().sum::<f64>() / kept.len() as f64
}

/// The mean over tasks of each task's mean score.
pub fn mean(s: &ScoreMatrix) -> f64 {
    let m = s.task_means();
    m.iter().sum::<f64>() / m.len() as f64
}

/// The median over tasks of each task's mean score.
pub fn median(s: &ScoreMatrix) -> f64 {
    percentile(&sorted(s.task_means()), 50.0)
}

/// γ minus the mean of min(score, γ) over all runs and tasks: how far below γ (for normalised
/// scores, the best known score, 1) the runs fall. Lower is better.
pub fn optimality_gap(s: &ScoreMatrix, gamma: f64) -> f64 {
    gamma - s.as_slice().iter().map(|&x| x.min(gamma)).sum::<f64>() / s.as_slice().len() as f64
}

/// P(X > Y): for each task, the probability that a run of X scores above a run of Y (ties count
/// one half), averaged over tasks. The matrices may have different numbers of runs.
///
/// # Panics
/// If `x` and `y` have different numbers of tasks (a programming error).
pub fn probability_of_improvement(x: &ScoreMatrix, y: &ScoreMatrix) -> f64 {
    assert_eq!(x.n_tasks, y.n_tasks, "probability of improvement compares the same tasks");
    let per_task = (0..x.n_tasks).map(|t| {
        let mut u = 0.0;
        for a in x.task(t) {
            for b in y.task(t) {
                u += if a > b { 1.0 } else if a == b { 0.5 } else { 0.0 };
            }
        }
        u / (x.n_runs * y.n_runs) as f64
    });
    per_task.sum::<f64>() / x.n_tasks as f64
}

/// The fraction of all runs (every task) whose score is strictly above each `tau`.
pub fn performance_profile(s: &ScoreMatrix, taus: &[f64]) -> Vec<f64> {
    let n = s.as_slice().len() as f64;
    taus.iter().map(|&tau| s.as_slice().iter().filter(|&&x| x > tau).count() as f64 / n).collect()
}

/// The `p`-th percentile (0–100) of `sorted` values by linear interpolation between order
/// statistics, bit for bit as numpy's default method.
///
/// # Panics
/// If `sorted` is empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    assert!(n > 0, "percentile of no values");
    let h = (n - 1) as f64 * (p / 100.0);
    if h >= (n - 1) as f64 {
        return sorted[n - 1];
    }
    if h <= 0.0 {
        return sorted[0];
    }
    let lo = h.floor();
    let g = h - lo;
    let (a, b) = (sorted[lo as usize], sorted[lo as usize + 1]);
    let d = b - a;
    if g >= 0.5 { b - d * (1.0 - g) } else { a + d * g }
}

/// A point estimate and its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub point: f64,
    pub lo: f64,
    pub hi: f64,
}

/// How a bootstrap is run: replications, interval size (0.95 for a 95 % interval) and the seed
/// of its random stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    pub reps: usize,
    pub confidence: f64,
    pub seed: u64,
}

impl Default for Bootstrap {
    /// rliable's default for aggregate metrics: 50 000 replications, 95 %.
    fn default() -> Self {
        Self { reps: 50_000, confidence: 0.95, seed: 0 }
    }
}

impl Bootstrap {
    /// The interval's percentile bounds, as arch computes them from the interval size.
    fn bounds(&self) -> (f64, f64) {
        let alpha = (1.0 - self.confidence) / 2.0;
        (100.0 * alpha, 100.0 * (1.0 - alpha))
    }
}

/// Resamples each task's runs with replacement, independently per task, into `out`.
fn resample_into(s: &ScoreMatrix, rng: &mut Xoshiro256PlusPlus, out: &mut ScoreMatrix) {
    for r in 0..s.n_runs {
        for t in 0..s.n_tasks {
            let pick = rng.random_range(0..s.n_runs);
            out.scores[r * s.n_tasks + t] = s.get(pick, t);
        }
    }
}

fn percentile_interval(point: f64, mut stats: Vec<f64>, b: &Bootstrap) -> Interval {
    stats.sort_by(f64::total_cmp);
    let (p_lo, p_hi) = b.bounds();
    Interval { point, lo: percentile(&stats, p_lo), hi: percentile(&stats, p_hi) }
}

/// `statistic` of `s` with its percentile interval over a stratified bootstrap (each task's
/// runs resampled with replacement, tasks kept), as rliable's `get_interval_estimates`.
pub fn interval(s: &ScoreMatrix, statistic: impl Fn(&ScoreMatrix) -> f64, b: &Bootstrap) -> Interval {
    intervals(s, |m| vec![statistic(m)], b)[0]
}

/// Several statistics of one matrix (e.g. a profile's points, one per τ), each with its
/// interval, from the same resamples.
pub fn intervals(s: &ScoreMatrix, statistics: impl Fn(&ScoreMatrix) -> Vec<f64>, b: &Bootstrap) -> Vec<Interval> {
    let points = statistics(s);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(b.seed);
    let mut resampled = s.clone();
    let mut columns: Vec<Vec<f64>> = vec![Vec::with_capacity(b.reps); points.len()];
    for _ in 0..b.reps {
        resample_into(s, &mut rng, &mut resampled);
        for (c, v) in columns.iter_mut().zip(statistics(&resampled)) {
            c.push(v);
        }
    }
    points.into_iter().zip(columns).map(|(p, c)| percentile_interval(p, c, b)).collect()
}

/// P(X > Y) with its interval: X's and Y's runs resampled independently, each within its
/// tasks (rliable's `StratifiedIndependentBootstrap`).
pub fn probability_of_improvement_interval(x: &ScoreMatrix, y: &ScoreMatrix, b: &Bootstrap) -> Interval {
    let point = probability_of_improvement(x, y);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(b.seed);
    let (mut rx, mut ry) = (x.clone(), y.clone());
    let stats = (0..b.reps)
        .map(|_| {
            resample_into(x, &mut rng, &mut rx);
            resample_into(y, &mut rng, &mut ry);
            probability_of_improvement(&rx, &ry)
        })
        .collect();
    percentile_interval(point, stats, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test vectors of rliable's definitions (all dyadic, so exact): A is 4 runs × 3 tasks,
    // B 2 runs × 3 tasks.
    fn a() -> ScoreMatrix {
        ScoreMatrix::from_rows(&[vec![0.5, 1.25, 0.0], vec![0.75, 1.0, 0.125], vec![0.25, 1.5, 0.0], vec![1.0, 0.875, 0.25]]).unwrap()
    }

    fn b() -> ScoreMatrix {
        ScoreMatrix::from_rows(&[vec![0.5, 1.0, 0.25], vec![0.25, 1.25, 0.0]]).unwrap()
    }

    #[test]
    fn point_estimates_match_rliable() {
        // IQM of A: n = 12, k = 3, the middle six sum to 3.625.
        assert_eq!(iqm(&a()), 3.625 / 6.0);
        assert_eq!(median(&a()), 0.625);
        assert_eq!(mean(&a()), 0.625);
        assert_eq!(optimality_gap(&a(), 1.0), 0.4375);
        assert_eq!(iqm(&b()), 0.5);
        assert_eq!(median(&b()), 0.375);
        assert_eq!(optimality_gap(&b(), 1.0), 0.5);
        assert_eq!(probability_of_improvement(&a(), &b()), 0.5625);
        assert_eq!(probability_of_improvement(&b(), &a()), 0.4375);
        assert_eq!(performance_profile(&a(), &[0.0, 0.25, 0.5, 1.0, 1.25]), [10.0 / 12.0, 7.0 / 12.0, 0.5, 2.0 / 12.0, 1.0 / 12.0]);
    }

    #[test]
    fn rliable_own_probability_of_improvement_case() {
        let x = ScoreMatrix::from_rows(&[vec![1.0, 2.0], vec![2.0, 2.0], vec![1.0, 1.0], vec![2.0, 1.0]]).unwrap();
        let y = ScoreMatrix::from_rows(&[vec![1.0, 1.0], vec![2.0, 2.0], vec![3.0, 3.0]]).unwrap();
        assert!((probability_of_improvement(&x, &y) - 1.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn trim_count_is_a_quarter_rounded_down() {
        // n = 7: k = 1, so the mean of the middle five.
        assert_eq!(trimmed_mean(&[7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 100.0], 0.25), (2.0 + 3.0 + 4.0 + 5.0 + 7.0) / 5.0);
        // n = 3: nothing is cut.
        assert_eq!(trimmed_mean(&[1.0, 2.0, 6.0], 0.25), 3.0);
    }

    #[test]
    fn percentiles_interpolate_as_numpy() {
        let v = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 100.0), 8.0);
        assert_eq!(percentile(&v, 50.0), 3.0);
        // h = 3·0.9 = 2.7 → 4 + 0.7·4, through numpy's upper branch b − d·(1 − g).
        assert_eq!(percentile(&v, 90.0), 8.0 - 4.0 * (1.0 - (3.0 * 0.9 - 2.0)));
        // arch's bound for a 95 % interval is not exactly 2.5.
        let (lo, hi) = Bootstrap { reps: 1, confidence: 0.95, seed: 0 }.bounds();
        assert_eq!(lo, 2.500000000000002);
        assert_eq!(hi, 97.5);
    }

    #[test]
    fn bootstrap_intervals_bracket_the_point_and_are_reproducible() {
        let boot = Bootstrap { reps: 2000, confidence: 0.95, seed: 3 };
        let i = interval(&a(), iqm, &boot);
        assert!(i.lo <= i.point && i.point <= i.hi && i.lo < i.hi, "{i:?}");
        assert_eq!(i, interval(&a(), iqm, &boot));
        // rliable's interval for this matrix at 1000 reps (its own stream): [0.4167, 0.7917].
        assert!((i.lo - 0.4167).abs() < 0.06 && (i.hi - 0.7917).abs() < 0.06, "{i:?}");
        let p = probability_of_improvement_interval(&a(), &b(), &boot);
        assert!(p.lo <= 0.5625 && 0.5625 <= p.hi, "{p:?}");
        // A matrix with one run per task has nothing to resample: a zero-width interval.
        let one = ScoreMatrix::from_rows(&[vec![0.25, 0.75]]).unwrap();
        let j = interval(&one, mean, &boot);
        assert_eq!((j.lo, j.hi), (0.5, 0.5));
    }

    #[test]
    fn bad_matrices_are_refused_with_the_reason() {
        assert!(ScoreMatrix::from_rows(&[]).is_err());
        let e = ScoreMatrix::from_rows(&[vec![1.0, 2.0], vec![1.0]]).unwrap_err();
        assert_eq!(e.0, "run 1 has 1 task scores, run 0 has 2");
        let e = ScoreMatrix::from_rows(&[vec![1.0, f64::NAN]]).unwrap_err();
        assert!(e.0.contains("run 0 on task 1 is NaN"), "{e}");
    }
}
