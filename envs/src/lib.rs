//! nerve's environments, with Gymnasium's semantics.
//!
//! * [`Env`]: `reset(seed)` and `step(action)` returning reward, `terminated`
//!   and `truncated`, with observation and action [`Space`]s and `dt`;
//!   observations go into caller buffers.
//! * [`VecEnv`]: N envs stepped in parallel with Gymnasium's autoreset.
//! * [`make`]: the registry of versioned env ids with typed, serde-read configs
//!   ([`registry`]: one table, filled by each task file's `register`).
//! * [`tasks`]: one task per file; [`task_family`]: one env over several (multi-task training).
//! * [`Signal`]: what each entry of an env's physical state is (unit, limits, reference);
//!   [`EpisodeMetric`]: what an env reports about a whole episode (RMSE, energy), and which way is better.

pub mod config;
pub mod env;
pub mod metric;
pub mod reference;
pub mod registry;
pub mod render;
pub mod signal;
pub mod snapshot;
pub mod space;
pub mod step_pool;
pub mod task_family;
pub mod tasks;
pub mod time_limit;
pub mod tracking;
pub mod vec_env;

pub use config::ConfigError;
pub use env::{check_action, check_goals, check_observation, Env, EnvError, EnvExt, EnvSpec, GoalSpec, Info, Step};
pub use registry::{entry, ids, make, make_with, registry, EnvEntry};
pub use metric::EpisodeMetric;
pub use signal::Signal;
pub use render::{RenderBody, RenderState, Shape, GHOST_OPACITY};
pub use space::{BoxSpace, Space};
pub use time_limit::TimeLimit;
pub use vec_env::{AutoresetMode, EpisodeStats, VecEnv};
