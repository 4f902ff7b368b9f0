//! One task per file, each with its doc table (observation, action, reward, termination, reset).

pub mod blimp_altitude;
pub mod hand;
pub mod hand_manipulate;
pub mod hand_pose;
pub mod hand_reach;
pub mod motor;
pub mod motor_reference;
pub mod pendulum;
pub mod point_reach;
pub mod swimmer;

use serde::{Deserialize, Serialize};

/// Sparse or dense reward of a goal-conditioned task (Gymnasium-Robotics' `reward_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardType {
    /// 0 on success, −1 otherwise.
    Sparse,
    /// Minus a distance to the goal (the task's table says which).
    Dense,
}

/// The Euclidean distance between two goals (their units), accumulated in f64.
pub fn goal_distance(achieved: &[f32], desired: &[f32]) -> f64 {
    achieved.iter().zip(desired).map(|(a, d)| (*a as f64 - *d as f64).powi(2)).sum::<f64>().sqrt()
}
