//! Benchmark scenarios for `nerve bench`, and the statistics their reports use.
//!
//! | module | concept |
//! |---|---|
//! | [`stats`] | Agarwal et al. (2021)'s aggregate metrics (IQM, median, mean, optimality gap), stratified-bootstrap confidence intervals, probability of improvement and performance profiles, as `rliable` computes them |

pub mod stats;
