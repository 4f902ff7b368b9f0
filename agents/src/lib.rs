//! Learners. Each writes a run directory ([`run`]): `config.toml` (every hyperparameter),
//! `metrics.csv`, `episodes.csv`, `summary.json`, `policy.safetensors`, `checkpoint.safetensors`
//! (resumable), and a learning curve (`learning_curve.png`/`.svg`).
//!
//! | module | what |
//! |---|---|
//! | [`learners`] | one file per algorithm (the table below), and [`learners::train`], which runs any of them |
//! | [`nets`] | candle modules for gradients: the MLP, NCAP, the actors, observation normalisers |
//! | [`optim`] | Adam (flat and over tensors), CMA-ES and separable CMA-ES as ask/tell optimisers |
//! | [`run`] | the run directory: `config.toml`, metrics, checkpoints, evaluation, plots, and [`run::Run`], its owner while a learner trains |
//!
//! | agent | trains | file |
//! |---|---|---|
//! | `es` | any policy with a parameter vector (NCAP, MLP, linear, travelling wave) | [`learners::es`] |
//! | `cmaes` | low-dimensional parametric policies (NCAP, travelling wave) | [`learners::cmaes`] |
//! | `ppo` | `mlp` and `ncap` (Gaussian policy, MLP critic) | [`learners::ppo`] |
//! | `td3`, `ddpg` | `mlp` and `ncap` (deterministic actor, MLP critics) | [`learners::td3`] |
//! | `sac` | `mlp` (tanh-squashed Gaussian, twin critics, tuned α) | [`learners::sac`] |
//! | `mimic-pid` | `snn`, `snn-pd`: evolved to mimic a PID's recorded output (separable CMA-ES) | [`learners::mimic_pid`] |

pub mod learners;
pub mod nets;
pub mod optim;
pub mod presets;
pub mod run;
pub mod seeds;

mod error;

pub use error::AgentError;
pub use run::{write_atomic, Progress, Run, RunSpec, Summary, TrainContext};
