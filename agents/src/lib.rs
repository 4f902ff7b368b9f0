//! Learners. Each writes a run directory: `config.toml` (every hyperparameter), `metrics.csv`,
//! `summary.json`, `policy.safetensors`, `checkpoint.safetensors` (resumable), and a learning
//! curve (`learning_curve.png`/`.svg`).
//!
//! | agent | trains | file |
//! |---|---|---|
//! | `es` | any policy with a parameter vector (NCAP, MLP, travelling wave) | [`es`] |
//! | `cmaes` | low-dimensional parametric policies (NCAP, travelling wave) | [`cmaes`] |
//! | `ppo` | `mlp` and `ncap` (Gaussian policy, MLP critic) | [`ppo`] |
//! | `td3`, `ddpg` | `mlp` and `ncap` (deterministic actor, MLP critics) | [`td3`] |
//! | `sac` | `mlp` (tanh-squashed Gaussian, twin critics, tuned α) | [`sac`] |
//! | `mimic-pid` | `snn`, `snn-pd`: evolved to mimic a PID's recorded output (separable CMA-ES) | [`mimic_pid`] |

pub mod actor;
pub mod adam;
pub mod checkpoint;
pub mod cmaes;
pub mod es;
pub mod evaluate;
pub mod metrics;
pub mod mimic_pid;
pub mod mlp;
pub mod ncap_module;
pub mod nn;
pub mod plot;
pub mod policies;
pub mod ppo;
pub mod replay;
pub mod sac;
pub mod run;
pub mod seeds;
pub mod sep_cmaes;
pub mod td3;
pub mod train;

mod error;
mod fsutil;

pub use error::AgentError;
pub use fsutil::write_atomic;
pub use policies::{make_policy, POLICIES};
pub use run::{Progress, RunSpec, Summary, TrainContext};
