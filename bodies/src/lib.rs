//! Rapier models of nerve's bodies, and the physics Rapier lacks.
//!
//! A body knows nothing of rewards or tasks: it is built from a plain
//! parameter struct, takes actuator commands, advances in time, and reports its
//! physical state in SI units. Tasks live in the `envs` crate.
//!
//! | module | concept |
//! |---|---|
//! | [`altimeter`] | an altitude sensor at the control rate: latency, noise, dropouts |
//! | [`blimp`] | a small indoor blimp: envelope and gondola, net lift, drag, a lagged thruster |
//! | [`motor`] | electric drives with gym-electric-motor's models: DC motors, PMSM, converters, loads |
//! | [`fluid`] | MuJoCo's inertia-box fluid model (quadratic drag on a box) |
//! | [`hand`] | the Shadow dexterous hand (Gymnasium-Robotics' model): 24 hinges, 20 position servos |
//! | [`soft_limit`] | MuJoCo's soft joint limit (solref/solimp impedance) |
//! | [`swimmer`] | dm_control's N-link swimmer as a Rapier multibody |

pub mod altimeter;
pub mod blimp;
pub mod fluid;
pub mod hand;
pub mod motor;
pub mod soft_limit;
pub mod swimmer;

mod error;
pub use error::{BodyError, SnapshotError};
