//! Policies, and the one registry of policy kinds ([`registry`], [`POLICIES`]): every controller
//! and every learnable policy implements [`Policy`], and [`make`] builds any of them by name for
//! an env.
//!
//! | module | what |
//! |---|---|
//! | [`ncap`] | the C. elegans swimming circuit (NCAP) and its ablations |
//! | [`mlp`], [`linear`] | the plain-`f32` MLP (what gradient learners' networks run as after training) and a linear feedback policy |
//! | [`pid`] | discrete PID with anti-windup and output limits (the blimp's controllers build on it) |
//! | [`cascaded_pi`], [`foc`], [`speed_loop`] | cascaded PI speed control of DC drives (symmetric optimum) and the PMSM's field-oriented cascade |
//! | [`lif`], [`snn`], [`spiking_cascade`] | leaky integrate-and-fire layers, the spiking PD + integral networks that mimic a PID, and the spiking speed loop of a drive |
//! | [`baselines`] | open-loop travelling wave, constant, replay, random and zero |
//! | [`rollout`] | running an episode of a policy on an env |

pub mod baselines;
pub mod cascaded_pi;
pub mod foc;
pub mod lif;
pub mod linear;
pub mod mlp;
pub mod ncap;
pub mod pid;
pub mod policy;
pub mod registry;
pub mod rollout;
pub mod snn;
pub mod speed_loop;
pub mod spiking_cascade;

pub use cascaded_pi::{CascadedPi, CascadedPiConfig};
pub use foc::FieldOrientedPi;
pub use linear::{LinearConfig, LinearPolicy};
pub use mlp::{tanh_approx, Activation, MlpConfig, MlpPolicy};
pub use baselines::{Constant, ConstantConfig, Replay, ReplayConfig, TravellingWave, TravellingWaveConfig, UniformRandom, Zero};
pub use ncap::{Ncap, NcapConfig, NcapInit};
pub use pid::{Pid, PidConfig, PidController, PidControllerConfig};
pub use policy::{check_parameters, observation_entry, Activity, ActivityKind, Policy, PolicyError, Work};
pub use registry::{entry, make, make_trained, ncap_config, ncap_dimensions, snn_config, PolicyEntry, TrainedParameters, POLICIES};
pub use rollout::{run_episode, run_episode_observed, Episode};
pub use snn::{SnnConfig, SnnController};
pub use speed_loop::SpeedLoop;
pub use spiking_cascade::{SpeedCascade, SpikingCascade};

