//! Objects the hand manipulates: rigid bodies of one primitive shape and uniform density.
//!
//! Gymnasium-Robotics' three objects are [`Object::block`], [`Object::egg`] and [`Object::pen`];
//! the parametric family (boxes, capsules, cylinders, ellipsoids of any size) is the same type
//! with other numbers. Frames and units:
//!
//! * The object's frame has its origin at the centre of mass; capsules and cylinders lie along
//!   its z axis (MuJoCo's convention), ellipsoids and boxes have their semi-axes along x, y, z.
//! * Sizes are half-sizes (m), as MuJoCo's `size` attribute: a box's half-extents, a capsule's
//!   radius and the half-length of its cylindrical part, a cylinder's radius and half-length, an
//!   ellipsoid's semi-axes. Density in kg/m³; mass in kg; inertia in kg·m² about the centre.
//! * Mass properties are the analytic ones of the exact shape (Rapier's collider for an
//!   ellipsoid is the convex hull of points on it, whose own mass would be a few % low).
//! * MuJoCo's free-joint damping of Gymnasium-Robotics' objects (0.01 N·s/m and 0.01 N·m·s/rad)
//!   becomes Rapier's per-body damping rates: 0.01/m (1/s) linear, 0.01/Ī (1/s) angular with Ī the
//!   mean principal inertia (Rapier's angular damping is isotropic).

use serde::{Deserialize, Serialize};

use crate::error::positive;
use crate::BodyError;

/// The primitive shape of an object, with its half-sizes (m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ObjectShape {
    /// A box of half-extents `half_extents` (m).
    Box { half_extents: [f64; 3] },
    /// A capsule along z: `radius` and the half-length of its cylindrical part (m).
    Capsule { radius: f64, half_length: f64 },
    /// A cylinder along z: `radius` and half-length (m).
    Cylinder { radius: f64, half_length: f64 },
    /// An ellipsoid of semi-axes `radii` (m).
    Ellipsoid { radii: [f64; 3] },
}

/// The shapes in the order of the object descriptor's one-hot code ([`Object::descriptor`]).
pub const SHAPE_NAMES: [&str; 4] = ["box", "capsule", "cylinder", "ellipsoid"];

/// Length of [`Object::descriptor`]: the shape's one-hot code (4), its bounding half-extents (3,
/// m) and its mass (1, kg).
pub const DESCRIPTOR_LEN: usize = 8;

impl ObjectShape {
    /// Index of this shape in [`SHAPE_NAMES`].
    pub fn index(&self) -> usize {
        match self {
            ObjectShape::Box { .. } => 0,
            ObjectShape::Capsule { .. } => 1,
            ObjectShape::Cylinder { .. } => 2,
            ObjectShape::Ellipsoid { .. } => 3,
        }
    }

    pub fn name(&self) -> &'static str {
        SHAPE_NAMES[self.index()]
    }

    /// Half-extents of the shape's bounding box in the object frame (m).
    pub fn bounding_half_extents(&self) -> [f64; 3] {
        match *self {
            ObjectShape::Box { half_extents } => half_extents,
            ObjectShape::Capsule { radius, half_length } => [radius, radius, half_length + radius],
            ObjectShape::Cylinder { radius, half_length } => [radius, radius, half_length],
            ObjectShape::Ellipsoid { radii } => radii,
        }
    }

    /// Volume (m³).
    pub fn volume(&self) -> f64 {
        use std::f64::consts::PI;
        match *self {
            ObjectShape::Box { half_extents: [a, b, c] } => 8.0 * a * b * c,
            ObjectShape::Capsule { radius: r, half_length: h } => PI * r * r * 2.0 * h + 4.0 / 3.0 * PI * r.powi(3),
            ObjectShape::Cylinder { radius: r, half_length: h } => PI * r * r * 2.0 * h,
            ObjectShape::Ellipsoid { radii: [a, b, c] } => 4.0 / 3.0 * PI * a * b * c,
        }
    }

    /// Principal moments of inertia about the centre along x, y, z (kg·m²) of the solid of
    /// uniform density and mass `mass` (kg).
    pub fn principal_inertia(&self, mass: f64) -> [f64; 3] {
        match *self {
            ObjectShape::Box { half_extents: [a, b, c] } => [mass * (b * b + c * c) / 3.0, mass * (a * a + c * c) / 3.0, mass * (a * a + b * b) / 3.0],
            ObjectShape::Ellipsoid { radii: [a, b, c] } => [mass * (b * b + c * c) / 5.0, mass * (a * a + c * c) / 5.0, mass * (a * a + b * b) / 5.0],
            ObjectShape::Cylinder { radius: r, half_length: h } => {
                let transverse = mass * (3.0 * r * r + 4.0 * h * h) / 12.0;
                [transverse, transverse, mass * r * r / 2.0]
            }
            ObjectShape::Capsule { radius: r, half_length: h } => {
                // The cylinder and the two hemispheres (a sphere's mass), each about the centre.
                let (v_cyl, v_sph) = (std::f64::consts::PI * r * r * 2.0 * h, 4.0 / 3.0 * std::f64::consts::PI * r.powi(3));
                let (m_cyl, m_sph) = (mass * v_cyl / (v_cyl + v_sph), mass * v_sph / (v_cyl + v_sph));
                let transverse = m_cyl * (h * h / 3.0 + r * r / 4.0) + m_sph * (2.0 * r * r / 5.0 + h * h + 3.0 * h * r / 4.0);
                [transverse, transverse, m_cyl * r * r / 2.0 + m_sph * 2.0 * r * r / 5.0]
            }
        }
    }

    /// Checks every size is a finite number > 0; the error names the key.
    pub fn validate(&self) -> Result<(), BodyError> {
        match *self {
            ObjectShape::Box { half_extents } | ObjectShape::Ellipsoid { radii: half_extents } => {
                let key = if matches!(self, ObjectShape::Box { .. }) { ["half_extents[0]", "half_extents[1]", "half_extents[2]"] } else { ["radii[0]", "radii[1]", "radii[2]"] };
                for (k, h) in key.iter().zip(half_extents) {
                    positive(*k, h)?;
                }
            }
            ObjectShape::Capsule { radius, half_length } | ObjectShape::Cylinder { radius, half_length } => {
                positive("radius", radius)?;
                positive("half_length", half_length)?;
            }
        }
        Ok(())
    }
}

/// A rigid object of uniform density.
///
/// In a config it is one flat table: `type` (`box`, `capsule`, `cylinder` or `ellipsoid`), the
/// shape's sizes (`half_extents` for a box, `radius` and `half_length` for a capsule or cylinder,
/// `radii` for an ellipsoid) and `density`, e.g.
/// `object = { type = "capsule", radius = 0.008, half_length = 0.1, density = 1000 }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ObjectTable", into = "ObjectTable")]
pub struct Object {
    pub shape: ObjectShape,
    /// Density (kg/m³).
    pub density: f64,
}

impl Object {
    /// Gymnasium-Robotics' block: a 5 cm cube of 567 kg/m³ (70.9 g).
    pub fn block() -> Self {
        Self { shape: ObjectShape::Box { half_extents: [0.025; 3] }, density: 567.0 }
    }

    /// Gymnasium-Robotics' egg: an ellipsoid of semi-axes 3 × 3 × 4 cm at MuJoCo's default
    /// density, 1000 kg/m³ (151 g).
    pub fn egg() -> Self {
        Self { shape: ObjectShape::Ellipsoid { radii: [0.03, 0.03, 0.04] }, density: 1000.0 }
    }

    /// Gymnasium-Robotics' pen: a capsule of radius 8 mm and cylindrical half-length 10 cm at
    /// 1000 kg/m³ (42.4 g).
    pub fn pen() -> Self {
        Self { shape: ObjectShape::Capsule { radius: 0.008, half_length: 0.1 }, density: 1000.0 }
    }

    /// Checks sizes and density; the error names the key and what was expected.
    pub fn validate(&self) -> Result<(), BodyError> {
        self.shape.validate()?;
        positive("density", self.density)
    }

    /// Mass (kg).
    pub fn mass(&self) -> f64 {
        self.density * self.shape.volume()
    }

    /// Principal moments of inertia about the centre (kg·m²), object axes.
    pub fn principal_inertia(&self) -> [f64; 3] {
        self.shape.principal_inertia(self.mass())
    }

    /// What a policy is told about the object: the shape's one-hot code in [`SHAPE_NAMES`] order,
    /// its bounding half-extents (m) and its mass (kg).
    pub fn descriptor(&self) -> [f64; DESCRIPTOR_LEN] {
        let mut d = [0.0; DESCRIPTOR_LEN];
        d[self.shape.index()] = 1.0;
        d[4..7].copy_from_slice(&self.shape.bounding_half_extents());
        d[7] = self.mass();
        d
    }

    /// Rapier's linear and angular damping rates (1/s) equivalent to MuJoCo's free-joint damping
    /// of 0.01 (N·s/m, N·m·s/rad) on this object.
    pub fn damping_rates(&self) -> (f64, f64) {
        let i = self.principal_inertia();
        (0.01 / self.mass(), 0.01 / ((i[0] + i[1] + i[2]) / 3.0))
    }
}

/// An [`Object`] as a config table (see there).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectTable {
    #[serde(rename = "type")]
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    half_extents: Option<[f64; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    radius: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    half_length: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    radii: Option<[f64; 3]>,
    density: f64,
}

impl TryFrom<ObjectTable> for Object {
    type Error = String;

    fn try_from(t: ObjectTable) -> Result<Self, String> {
        let kind = t.kind.as_str();
        let keys = match kind {
            "box" => &["half_extents"][..],
            "capsule" | "cylinder" => &["radius", "half_length"][..],
            "ellipsoid" => &["radii"][..],
            _ => return Err(format!("object `type` = \"{kind}\": expected one of {}", SHAPE_NAMES.join(", "))),
        };
        let given = [("half_extents", t.half_extents.is_some()), ("radius", t.radius.is_some()), ("half_length", t.half_length.is_some()), ("radii", t.radii.is_some())];
        if let Some((key, _)) = given.iter().find(|(k, set)| *set && !keys.contains(k)) {
            return Err(format!("object key `{key}` does not apply to a {kind} (its sizes: {})", keys.join(", ")));
        }
        let missing = |key: &str| format!("object of type {kind} needs `{key}`");
        let shape = match kind {
            "box" => ObjectShape::Box { half_extents: t.half_extents.ok_or_else(|| missing("half_extents"))? },
            "capsule" => ObjectShape::Capsule { radius: t.radius.ok_or_else(|| missing("radius"))?, half_length: t.half_length.ok_or_else(|| missing("half_length"))? },
            "cylinder" => ObjectShape::Cylinder { radius: t.radius.ok_or_else(|| missing("radius"))?, half_length: t.half_length.ok_or_else(|| missing("half_length"))? },
            _ => ObjectShape::Ellipsoid { radii: t.radii.ok_or_else(|| missing("radii"))? },
        };
        let object = Object { shape, density: t.density };
        object.validate().map_err(|e| format!("object: {e}"))?;
        Ok(object)
    }
}

impl From<Object> for ObjectTable {
    fn from(o: Object) -> Self {
        let mut t = ObjectTable { kind: o.shape.name().to_string(), half_extents: None, radius: None, half_length: None, radii: None, density: o.density };
        match o.shape {
            ObjectShape::Box { half_extents } => t.half_extents = Some(half_extents),
            ObjectShape::Capsule { radius, half_length } | ObjectShape::Cylinder { radius, half_length } => {
                t.radius = Some(radius);
                t.half_length = Some(half_length);
            }
            ObjectShape::Ellipsoid { radii } => t.radii = Some(radii),
        }
        t
    }
}

/// Points on the ellipsoid of semi-axes `radii`, for its convex-hull collider: `rings` latitude
/// circles of `2·rings` points each, and the two poles.
pub fn ellipsoid_points(radii: [f64; 3], rings: usize) -> Vec<[f64; 3]> {
    use std::f64::consts::PI;
    let mut points = vec![[0.0, 0.0, radii[2]], [0.0, 0.0, -radii[2]]];
    for i in 1..=rings {
        let polar = PI * i as f64 / (rings + 1) as f64;
        for j in 0..2 * rings {
            let azimuth = PI * j as f64 / rings as f64;
            points.push([radii[0] * polar.sin() * azimuth.cos(), radii[1] * polar.sin() * azimuth.sin(), radii[2] * polar.cos()]);
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gymnasium_robotics_objects_weigh_what_mujoco_says() {
        assert!((Object::block().mass() - 0.070875).abs() < 1e-9);
        assert!((Object::egg().mass() - 4.0 / 3.0 * std::f64::consts::PI * 0.03 * 0.03 * 0.04 * 1000.0).abs() < 1e-12);
        // MuJoCo's capsule: cylinder of length 0.2 plus a sphere of radius 0.008.
        let pen = std::f64::consts::PI * 0.008f64.powi(2) * 0.2 + 4.0 / 3.0 * std::f64::consts::PI * 0.008f64.powi(3);
        assert!((Object::pen().mass() - 1000.0 * pen).abs() < 1e-12);
    }

    #[test]
    fn inertia_of_symmetric_limits() {
        // A cube's three moments are m·a²·2/3; a sphere-like ellipsoid's 2/5·m·r².
        let cube = ObjectShape::Box { half_extents: [0.1; 3] }.principal_inertia(2.0);
        assert!(cube.iter().all(|i| (i - 2.0 * 0.01 * 2.0 / 3.0).abs() < 1e-15));
        let ball = ObjectShape::Ellipsoid { radii: [0.1; 3] }.principal_inertia(2.0);
        assert!(ball.iter().all(|i| (i - 0.4 * 2.0 * 0.01).abs() < 1e-15));
        // A capsule with a vanishing cylinder is a sphere; with a vanishing radius, a rod (m·L²/12).
        let sphere = ObjectShape::Capsule { radius: 0.1, half_length: 1e-9 }.principal_inertia(2.0);
        assert!(sphere.iter().all(|i| (i - 0.4 * 2.0 * 0.01).abs() < 1e-9), "{sphere:?}");
        let rod = ObjectShape::Capsule { radius: 1e-6, half_length: 0.5 }.principal_inertia(3.0);
        assert!((rod[0] - 3.0 / 12.0).abs() < 1e-6 && rod[2] < 1e-11, "{rod:?}");
        let cyl = ObjectShape::Cylinder { radius: 0.1, half_length: 0.2 }.principal_inertia(1.0);
        assert!((cyl[2] - 0.005).abs() < 1e-15 && (cyl[0] - (0.03 + 0.16) / 12.0).abs() < 1e-15);
    }

    #[test]
    fn bad_sizes_name_their_key() {
        let e = Object { shape: ObjectShape::Capsule { radius: 0.01, half_length: -1.0 }, density: 1000.0 }.validate().unwrap_err();
        assert!(e.to_string().contains("half_length"), "{e}");
        let e = Object { shape: ObjectShape::Ellipsoid { radii: [0.01, 0.0, 0.01] }, density: 1000.0 }.validate().unwrap_err();
        assert!(e.to_string().contains("radii[1]"), "{e}");
        let e = Object { density: f64::NAN, ..Object::block() }.validate().unwrap_err();
        assert!(e.to_string().contains("density"), "{e}");
    }

    #[test]
    fn the_descriptor_codes_shape_size_and_mass() {
        let d = Object::pen().descriptor();
        assert_eq!(&d[..4], &[0.0, 1.0, 0.0, 0.0]);
        assert_eq!(&d[4..7], &[0.008, 0.008, 0.1 + 0.008]);
        assert!((d[7] - Object::pen().mass()).abs() < 1e-15);
    }

    #[test]
    fn objects_read_from_flat_tables_with_clear_errors() {
        let read = |s: &str| serde_json::from_str::<Object>(s).map_err(|e| e.to_string());
        assert_eq!(read(r#"{"type": "capsule", "radius": 0.008, "half_length": 0.1, "density": 1000}"#).unwrap(), Object::pen());
        assert!(read(r#"{"type": "cone", "radius": 0.008, "density": 1000}"#).unwrap_err().contains("expected one of box, capsule, cylinder, ellipsoid"));
        assert!(read(r#"{"type": "box", "radius": 0.008, "density": 1000}"#).unwrap_err().contains("`radius` does not apply to a box"));
        assert!(read(r#"{"type": "box", "density": 1000}"#).unwrap_err().contains("needs `half_extents`"));
        assert!(read(r#"{"type": "box", "half_extents": [0.1, -0.1, 0.1], "density": 1000}"#).unwrap_err().contains("half_extents[1]"));
        let round = serde_json::to_string(&Object::egg()).unwrap();
        assert_eq!(read(&round).unwrap(), Object::egg());
    }

    #[test]
    fn ellipsoid_points_lie_on_the_surface() {
        let r = [0.03, 0.02, 0.05];
        for p in ellipsoid_points(r, 6) {
            let s: f64 = (0..3).map(|k| (p[k] / r[k]).powi(2)).sum();
            assert!((s - 1.0).abs() < 1e-12);
        }
    }
}
