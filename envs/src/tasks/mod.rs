//! One task per file, each with its doc table (observation, action, reward, termination, reset).

pub mod blimp_altitude;
pub mod motor;
pub mod motor_reference;
pub mod pendulum;
pub mod swimmer;
