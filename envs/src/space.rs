//! Observation and action spaces, as Gymnasium's `Box` and `Discrete`.

use rand::{Rng, RngExt};
use std::fmt;

/// A space of observations or actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Space {
    /// A box in ℝⁿ with per-dimension bounds (Gymnasium's `Box`); bounds may be infinite.
    Box(BoxSpace),
    /// `{0, 1, …, n − 1}`, for switching actions (Gymnasium's `Discrete`).
    Discrete { n: usize },
}

/// Gymnasium's `Box`: `low ≤ x ≤ high` elementwise, of the given shape (row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct BoxSpace {
    pub low: Vec<f32>,
    pub high: Vec<f32>,
    pub shape: Vec<usize>,
}

impl BoxSpace {
    /// A flat box with the same bounds in every dimension.
    pub fn uniform(dim: usize, low: f32, high: f32) -> Self {
        Self { low: vec![low; dim], high: vec![high; dim], shape: vec![dim] }
    }

    /// Number of scalars (the product of the shape).
    pub fn dim(&self) -> usize {
        self.low.len()
    }

    /// Whether every bound is finite.
    pub fn is_bounded(&self) -> bool {
        self.low.iter().chain(&self.high).all(|b| b.is_finite())
    }

    /// Whether `x` lies in the box.
    pub fn contains(&self, x: &[f32]) -> bool {
        x.len() == self.dim() && x.iter().zip(self.low.iter().zip(&self.high)).all(|(v, (l, h))| *l <= *v && *v <= *h)
    }

    /// A uniform sample (bounded dimensions), a standard normal (unbounded ones), written into `out`.
    pub fn sample_into<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f32]) {
        for ((o, &l), &h) in out.iter_mut().zip(&self.low).zip(&self.high) {
            *o = if l.is_finite() && h.is_finite() {
                l + (h - l) * rng.random::<f32>()
            } else {
                let n: f32 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
                if l.is_finite() {
                    l + n.abs()
                } else if h.is_finite() {
                    h - n.abs()
                } else {
                    n
                }
            };
        }
    }

    /// Clips `x` into the box in place.
    pub fn clip(&self, x: &mut [f32]) {
        for ((v, &l), &h) in x.iter_mut().zip(&self.low).zip(&self.high) {
            *v = v.clamp(l, h);
        }
    }
}

impl Space {
    /// The box, if this is one.
    pub fn as_box(&self) -> Option<&BoxSpace> {
        match self {
            Space::Box(b) => Some(b),
            Space::Discrete { .. } => None,
        }
    }

    /// Scalars needed to hold one element (1 for `Discrete`).
    pub fn flat_dim(&self) -> usize {
        match self {
            Space::Box(b) => b.dim(),
            Space::Discrete { .. } => 1,
        }
    }
}

impl fmt::Display for Space {
    /// `Box(-1.0, 1.0, (5,), float32)` as Gymnasium prints it; non-uniform bounds are elided.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Space::Discrete { n } => write!(f, "Discrete({n})"),
            Space::Box(b) => {
                let bound = |v: &[f32]| {
                    let first = v.first().copied().unwrap_or(0.0);
                    if v.iter().all(|x| *x == first) {
                        format!("{first:?}").replace("inf", "inf")
                    } else {
                        "[..]".to_string()
                    }
                };
                let shape: Vec<String> = b.shape.iter().map(|s| s.to_string()).collect();
                let shape = if shape.len() == 1 { format!("({},)", shape[0]) } else { format!("({})", shape.join(", ")) };
                write!(f, "Box({}, {}, {}, float32)", bound(&b.low), bound(&b.high), shape)
            }
        }
    }
}
