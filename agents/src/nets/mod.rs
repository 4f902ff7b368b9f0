//! Candle modules for the gradient learners (CPU, f32), laid out so that after training the
//! plain-`f32` policies of `controllers` (the MLP, NCAP) run the same parameters.

pub mod actor;
pub mod dense;
pub mod mlp;
pub mod ncap;
pub mod normalizer;

pub use actor::Actor;
pub use dense::{Dense, Tape};
pub use mlp::{fast_tanh, flatten, unflatten, Mlp};
pub use ncap::NcapModule;
pub use normalizer::RunningMeanStd;
