//! MuJoCo's inertia-box fluid model, quadratic terms only (viscosity 0).
//!
//! MuJoCo replaces each body by the box with the body's mass and inertia and
//! applies, at the centre of mass and in the box's (principal) frame,
//!
//! * drag force   `F_i = −½ ρ s_j s_k |v_i| v_i`
//! * drag torque  `τ_i = −ρ s_i (s_j⁴ + s_k⁴) / 64 · |ω_i| ω_i`
//!
//! where `s` are the box's full side lengths (m), `ρ` the fluid density
//! (kg/m³), `v` (m/s) and `ω` (rad/s) the body's velocity at its centre of mass
//! in the box frame, and (i, j, k) a cyclic permutation of (x, y, z). With zero
//! viscosity the linear (Stokes) terms vanish. This is what dm_control's
//! swimmer uses (`density="3000"`).

/// Quadratic drag coefficients of a box in a fluid, in its own frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InertiaBoxDrag {
    /// Force coefficients `½ ρ s_j s_k` (kg/m) per axis: `F_i = −c_i |v_i| v_i`.
    pub force_coeff: [f32; 3],
    /// Torque coefficients `ρ s_i (s_j⁴ + s_k⁴) / 64` (kg·m²) per axis: `τ_i = −c_i |ω_i| ω_i`.
    pub torque_coeff: [f32; 3],
}

impl InertiaBoxDrag {
    /// Drag of a box of full side lengths `size` (m) in a fluid of `density` (kg/m³).
    pub fn new(size: [f64; 3], density: f64) -> Self {
        let [sx, sy, sz] = size;
        let f = |a: f64, b: f64| (0.5 * density * a * b) as f32;
        let t = |s: f64, a: f64, b: f64| (density * s * (a.powi(4) + b.powi(4)) / 64.0) as f32;
        Self {
            force_coeff: [f(sy, sz), f(sz, sx), f(sx, sy)],
            torque_coeff: [t(sx, sy, sz), t(sy, sz, sx), t(sz, sx, sy)],
        }
    }

    /// Full box side lengths (m) of the uniform box with the given mass (kg) and
    /// principal moments of inertia (kg·m²), as MuJoCo derives them:
    /// `s_x = sqrt(6 (I_y + I_z − I_x) / m)`, and so on.
    pub fn equivalent_box(mass: f64, inertia: [f64; 3]) -> [f64; 3] {
        let [ix, iy, iz] = inertia;
        let side = |a: f64| (6.0 * a / mass).max(0.0).sqrt();
        [side(iy + iz - ix), side(iz + ix - iy), side(ix + iy - iz)]
    }

    /// Drag force (N) for a velocity `v` (m/s), both in the box frame.
    #[inline]
    pub fn force(&self, v: [f32; 3]) -> [f32; 3] {
        std::array::from_fn(|i| -self.force_coeff[i] * v[i].abs() * v[i])
    }

    /// Drag torque (N·m) for an angular velocity `w` (rad/s), both in the box frame.
    #[inline]
    pub fn torque(&self, w: [f32; 3]) -> [f32; 3] {
        std::array::from_fn(|i| -self.torque_coeff[i] * w[i].abs() * w[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swimmer_link_box_from_inertia() {
        // dm_control's swimmer link: mass 0.01 kg, box half-sizes (0.001, 0.05, 0.01) m.
        let m = 0.01;
        let (a, b, c) = (0.002_f64, 0.1_f64, 0.02_f64);
        let inertia = [m * (b * b + c * c) / 12.0, m * (a * a + c * c) / 12.0, m * (a * a + b * b) / 12.0];
        let s = InertiaBoxDrag::equivalent_box(m, inertia);
        for (got, want) in s.iter().zip([a, b, c]) {
            assert!((got - want).abs() < 1e-12, "{s:?}");
        }
    }

    #[test]
    fn coefficients_follow_the_formula() {
        let d = InertiaBoxDrag::new([0.002, 0.1, 0.02], 3000.0);
        // ½ ρ s_y s_z = 0.5 * 3000 * 0.1 * 0.02 = 3.0
        assert!((d.force_coeff[0] - 3.0).abs() < 1e-6);
        // ½ ρ s_z s_x = 0.5 * 3000 * 0.02 * 0.002 = 0.06
        assert!((d.force_coeff[1] - 0.06).abs() < 1e-7);
        // ρ s_z (s_x⁴ + s_y⁴)/64 = 3000 * 0.02 * (1.6e-11 + 1e-4) / 64
        let want = 3000.0 * 0.02 * (1.6e-11 + 1e-4) / 64.0;
        assert!((d.torque_coeff[2] as f64 - want).abs() < 1e-10);
        // Drag opposes motion, quadratically.
        let f = d.force([2.0, -1.0, 0.0]);
        assert_eq!(f, [-3.0 * 4.0, 0.06, 0.0]);
    }
}
