//! Optimisers: Adam (on a flat vector and on candle variables) and the covariance-matrix
//! adaptation evolution strategies, full and separable, as ask/tell optimisers.

pub mod adam;
pub mod cmaes;
pub mod sep_cmaes;

pub use adam::{clip_grad_norm, polyak, Adam, AdamConfig, FlatAdam, TensorAdam};
pub use cmaes::{Cmaes, Strategy};
pub use sep_cmaes::SepCmaes;
