//! What a viewer needs to draw an env: shapes and poses in SI units, no viewer types.

/// A primitive shape in its body's frame (m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A capsule along the local y axis: half the length of its straight part, and its radius.
    Capsule { half_height: f32, radius: f32 },
    /// An ellipsoid with these semi-axes.
    Ellipsoid { radii: [f32; 3] },
    /// A box with these half-extents.
    Cuboid { half_extents: [f32; 3] },
    /// A cylinder along the local y axis: half its length, and its radius.
    Cylinder { half_height: f32, radius: f32 },
}

/// One drawable part: a shape at a pose in the world frame.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderBody {
    /// A stable name (e.g. `"head"`, `"link_3"`): a viewer keys its colours on it.
    pub name: String,
    pub shape: Shape,
    /// Position (m), world frame, z up.
    pub position: [f32; 3],
    /// Orientation as a unit quaternion `[x, y, z, w]`.
    pub rotation: [f32; 4],
    /// 1 for a solid body; below 1 a translucent ghost of a goal (a target orientation, the
    /// fingertip targets) that a viewer blends over what is behind it.
    pub opacity: f32,
}

impl RenderBody {
    /// A solid body (`opacity` 1).
    pub fn solid(name: impl Into<String>, shape: Shape, position: [f32; 3], rotation: [f32; 4]) -> Self {
        Self { name: name.into(), shape, position, rotation, opacity: 1.0 }
    }
}

/// The opacity of a goal's ghost.
pub const GHOST_OPACITY: f32 = 0.35;

/// Everything drawable in an env at one instant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RenderState {
    /// Simulated time (s).
    pub time: f64,
    pub bodies: Vec<RenderBody>,
    /// Height of the floor (m, world z) for bodies that fly above one; `None`: a viewer puts its
    /// ground just below the lowest body (a swimmer's fluid bed).
    pub floor: Option<f32>,
    /// The env's camera distance from the bodies' centre (m), as Gymnasium's MuJoCo envs give a
    /// `DEFAULT_CAMERA_CONFIG`; `None`: the viewer frames the bodies itself.
    pub camera_distance: Option<f32>,
}

/// The hand tasks' camera distance (m): the hand and its goal fill the view.
pub const HAND_CAMERA_DISTANCE: f32 = 0.55;

impl RenderState {
    /// Quaternion `[x, y, z, w]` for a rotation of `yaw` radians about z.
    pub fn yaw_quaternion(yaw: f32) -> [f32; 4] {
        let (s, c) = (yaw / 2.0).sin_cos();
        [0.0, 0.0, s, c]
    }
}
