//! Benchmark scenarios for `nerve bench`, and the statistics their reports use.
//!
//! | module | concept |
//! |---|---|
//! | [`scenario`] | scenario files (`scenarios/*.toml`): the question, envs with sweeps, entries (controllers, learners, transfers), seeds and what to report, checked whole before anything runs |
//! | [`stats`] | Agarwal et al. (2021)'s aggregate metrics (IQM, median, mean, optimality gap), stratified-bootstrap confidence intervals, probability of improvement and performance profiles, as `rliable` computes them |

pub mod scenario;
pub mod stats;

pub use scenario::Scenario;

/// A scenario that cannot run, or a bench that failed: the message names the file and key.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchError(pub String);

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}
