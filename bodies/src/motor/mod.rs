//! Electric drives with gym-electric-motor's (GEM 3.0) equations, parameters, nominal values and
//! limits: DC motors of four kinds and the permanent-magnet synchronous motor (PMSM), fed by
//! power converters from an ideal voltage supply and loaded mechanically.
//!
//! | module | concept |
//! |---|---|
//! | [`dc`] | DC motors: externally excited, series, shunt, permanently excited |
//! | [`pmsm`] | the PMSM in the rotor's dq frame |
//! | [`transforms`] | Clarke (abc ↔ αβ) and Park (αβ ↔ dq) transforms as GEM writes them |
//! | [`load`] | mechanical loads: polynomial static load, constant speed |
//! | [`actuator`] | a geared DC motor driving a joint of another body (current solved exactly) |
//! | [`converter`] | 1-, 2-, 4-quadrant DC converters and the B6 bridge, continuous and finite |
//! | [`drive`] | a motor, its converter, supply and load integrated over one control period |
//!
//! Units are SI: rad/s, N·m, A, V, Ω, H, Wb, kg·m². Converter outputs are fractions of the
//! supply voltage, as in GEM. Integration: classical RK4 over each control period τ with the
//! converter's voltage held (zero-order hold, GEM's convention), `substeps` RK4 steps per period
//! (default 1). GEM integrates the same held-voltage ODE with scipy's adaptive dopri5
//! (rtol 1e-6); RK4's local error at τ = 1e-4 s is of order (τ/T)⁵ with T the fastest time
//! constant (DC: l_a/r_a = 1.2 ms; PMSM: 1/(p·ω) ≥ 0.8 ms), below 1e-5 relative.

pub mod actuator;
pub mod converter;
pub mod dc;
pub mod drive;
pub mod load;
pub mod pmsm;
pub mod transforms;
