//! Clarke and Park transforms exactly as GEM writes them (amplitude-invariant).
//!
//! * `t23`: abc → αβ, `2/3 · [[1, −½, −½], [0, √3/2, −√3/2]]`.
//! * `t32`: αβ → abc, `[[1, 0], [−½, √3/2], [−½, −√3/2]]`.
//! * `q(x, ε)`: dq → αβ, a rotation by the electrical angle ε; `q_inv(x, ε) = q(x, −ε)`.
//! * `abc_to_dq(x, ε) = q_inv(t23(x), ε)`, `dq_to_abc(x, ε) = t32(q(x, ε))`.

const SQRT3_2: f64 = 0.866_025_403_784_438_6;

/// abc → αβ.
pub fn t23(abc: [f64; 3]) -> [f64; 2] {
    let [a, b, c] = abc;
    [2.0 / 3.0 * (a - 0.5 * b - 0.5 * c), 2.0 / 3.0 * (SQRT3_2 * b - SQRT3_2 * c)]
}

/// αβ → abc.
pub fn t32(ab: [f64; 2]) -> [f64; 3] {
    let [al, be] = ab;
    [al, -0.5 * al + SQRT3_2 * be, -0.5 * al - SQRT3_2 * be]
}

/// dq → αβ: rotation by ε (rad, electrical).
pub fn q(dq: [f64; 2], eps: f64) -> [f64; 2] {
    let (s, c) = eps.sin_cos();
    [c * dq[0] - s * dq[1], s * dq[0] + c * dq[1]]
}

/// αβ → dq.
pub fn q_inv(ab: [f64; 2], eps: f64) -> [f64; 2] {
    q(ab, -eps)
}

pub fn abc_to_dq(abc: [f64; 3], eps: f64) -> [f64; 2] {
    q_inv(t23(abc), eps)
}

pub fn dq_to_abc(dq: [f64; 2], eps: f64) -> [f64; 3] {
    t32(q(dq, eps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dq_round_trip_and_balanced_phases() {
        for k in 0..50 {
            let eps = -3.0 + 0.13 * k as f64;
            let dq = [0.3 * k as f64 - 4.0, 7.0 - 0.2 * k as f64];
            let abc = dq_to_abc(dq, eps);
            // A balanced three-phase set: the phases sum to zero.
            assert!((abc[0] + abc[1] + abc[2]).abs() < 1e-12);
            let back = abc_to_dq(abc, eps);
            assert!((back[0] - dq[0]).abs() < 1e-12 && (back[1] - dq[1]).abs() < 1e-12, "{dq:?} → {abc:?} → {back:?}");
        }
        // Amplitude invariance: i_q = 1 at ε = 0 is phase a = 0, b = √3/2, c = −√3/2.
        let abc = dq_to_abc([0.0, 1.0], 0.0);
        assert!((abc[0]).abs() < 1e-15 && (abc[1] - SQRT3_2).abs() < 1e-15 && (abc[2] + SQRT3_2).abs() < 1e-15);
        // The common mode is invisible to t23.
        assert_eq!(t23([1.0, 1.0, 1.0]), [0.0, 0.0]);
    }
}
