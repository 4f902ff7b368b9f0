//! The Bevy side: the bodies of `Env::render_state()` as meshes, a fluid-tinted ground with a
//! grid, a camera that follows the body, and the HUD. Shared by the window and the recorder.
//!
//! Frames: nerve's world is z-up; Bevy's is y-up. A nerve point `(x, y, z)` is Bevy's
//! `(x, z, −y)` (a −90° rotation about x), applied to positions and orientations alike, and
//! component by component: Bevy and Rapier use different glam versions.

use std::sync::Mutex;
use std::time::Instant;

use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::ui::UiTargetCamera;
use envs::{RenderBody, RenderState, Shape};

use crate::hud::{action_bars, status_lines, CircuitView, SpikeRaster};
use crate::sim::Simulation;

/// The simulation, behind a mutex (Bevy resources must be `Sync`; envs are only `Send`).
#[derive(Resource)]
pub struct Sim(pub Mutex<Simulation>);

impl Sim {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Simulation> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Mesh entity for render body `index`.
#[derive(Component)]
pub struct BodyPart(pub usize);

/// The viewer's camera: orbits `target` at `distance`, `yaw` and `pitch` (rad).
#[derive(Component, Debug, Clone, Copy)]
pub struct OrbitCamera {
    pub target: Vec3,
    /// Offset added to the followed point by panning (Bevy frame, m).
    pub pan: Vec3,
    pub yaw: f32,
    pub pitch: f32,
    pub distance: f32,
    /// Keep the target on the bodies' centre.
    pub follow: bool,
}

impl OrbitCamera {
    pub fn transform(&self) -> Transform {
        let focus = self.target + self.pan;
        let dir = Vec3::new(self.pitch.cos() * self.yaw.sin(), self.pitch.sin(), self.pitch.cos() * self.yaw.cos());
        Transform::from_translation(focus + dir * self.distance).looking_at(focus, Vec3::Y)
    }
}

/// Scene facts from the first render state: scale and ground height.
#[derive(Resource, Debug, Clone, Copy)]
pub struct SceneScale {
    /// Largest distance of a body from the bodies' centre, plus its size (m).
    pub extent: f32,
    /// Height of the ground (Bevy y, m).
    pub ground_y: f32,
    /// Grid spacing (m).
    pub grid: f32,
}

/// HUD markers.
#[derive(Component)]
pub struct HudRoot;
#[derive(Component)]
pub struct StatusText;
#[derive(Component)]
pub struct ActionFill(pub usize);
/// A circuit bar: joint (or value) index and role (0–3: b_dorsal, b_ventral, m_dorsal, m_ventral).
#[derive(Component)]
pub struct CircuitFill(pub usize, pub usize);
#[derive(Resource)]
pub struct Raster(pub SpikeRaster, pub Handle<Image>);

/// Time spent updating the HUD (s), summed over frames.
#[derive(Resource, Default, Debug, Clone, Copy)]
pub struct HudTiming {
    pub total_s: f64,
    pub frames: u64,
}

/// Nerve's z-up point in Bevy's y-up frame.
pub fn to_bevy(p: [f32; 3]) -> Vec3 {
    Vec3::new(p[0], p[2], -p[1])
}

fn to_bevy_rotation(q: [f32; 4]) -> Quat {
    Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2) * Quat::from_xyzw(q[0], q[1], q[2], q[3]).normalize()
}

pub fn body_transform(body: &RenderBody) -> Transform {
    let scale = match body.shape {
        Shape::Ellipsoid { radii } => Vec3::from_array(radii),
        _ => Vec3::ONE,
    };
    Transform { translation: to_bevy(body.position), rotation: to_bevy_rotation(body.rotation), scale }
}

/// The bodies' centre (Bevy frame).
pub fn centre(state: &RenderState) -> Vec3 {
    let n = state.bodies.len().max(1) as f32;
    state.bodies.iter().map(|b| to_bevy(b.position)).sum::<Vec3>() / n
}

/// Colour of a body, keyed on its name: heads and hulls stand out, chains shade head to tail.
pub fn body_color(body: &RenderBody, index: usize, count: usize) -> Color {
    match body.name.as_str() {
        "head" => Color::srgb(1.0, 0.85, 0.2),
        // A tracking task's target (the blimp's reference altitude) and a goal's ghost (a hand
        // task's target orientation or fingertip targets): green, unlike any body.
        "reference" => Color::srgb(0.2, 0.9, 0.4),
        name if name == "target" || name.starts_with("target_") => Color::srgb(0.2, 0.9, 0.4),
        // A manipulated object: pale, against the hand's warm colours.
        "object" => Color::srgb(0.85, 0.88, 0.95),
        _ => {
            // Warm colours, yellow-orange at the head to red at the tail: they stand out from
            // the blue fluid (the viewer's test tells body from background by red over blue).
            let t = if count > 1 { index as f32 / (count - 1) as f32 } else { 0.0 };
            Color::srgb(1.0 - 0.1 * t, 0.6 - 0.4 * t, 0.12)
        }
    }
}

/// The ground's colour: a fluid-tinted blue.
pub const GROUND: Color = Color::srgb(0.10, 0.26, 0.34);
/// The background's colour.
pub const SKY: Color = Color::srgb(0.03, 0.06, 0.10);

fn mesh_for(shape: Shape) -> Mesh {
    match shape {
        Shape::Capsule { half_height, radius } => Capsule3d::new(radius, 2.0 * half_height).into(),
        Shape::Ellipsoid { .. } => Sphere::new(1.0).mesh().uv(32, 18),
        Shape::Cuboid { half_extents: [x, y, z] } => Cuboid::new(2.0 * x, 2.0 * y, 2.0 * z).into(),
        Shape::Cylinder { half_height, radius } => Cylinder::new(radius, 2.0 * half_height).into(),
    }
}

/// Spawns the bodies, ground, light, camera and HUD. `target` is where the camera renders
/// (the window, or an image for recording). Returns the camera entity.
pub fn spawn_scene(world: &mut World, target: RenderTarget) -> Entity {
    let (state, circuit, n_actions, id) = {
        let sim = world.resource::<Sim>().lock();
        let circuit = sim.policy().activity().map(|a| (CircuitView::from_activity(&a), a.values.len()));
        (sim.render_state(), circuit, sim.action().len(), sim.env().spec().id.clone())
    };
    let c = centre(&state);
    let extent = state.bodies.iter().map(|b| (to_bevy(b.position) - c).length() + shape_size(b.shape)).fold(0.05_f32, f32::max);
    let lowest = state.bodies.iter().map(|b| to_bevy(b.position).y - shape_size(b.shape)).fold(f32::INFINITY, f32::min);
    let grid = 10f32.powf((extent / 3.0).log10().floor());
    // The ground is the env's floor if it has one (a blimp flies above it); else a little below
    // the lowest body (the swimmer floats just above it).
    let ground_y = state.floor.unwrap_or(lowest - 0.05 * extent);
    let scale = SceneScale { extent, ground_y, grid };
    world.insert_resource(scale);
    world.insert_resource(ClearColor(SKY));
    world.insert_resource(GlobalAmbientLight { color: Color::WHITE, brightness: 400.0, ..default() });

    let count = state.bodies.len();
    for (i, body) in state.bodies.iter().enumerate() {
        let mesh = world.resource_mut::<Assets<Mesh>>().add(mesh_for(body.shape));
        // A goal's ghost (opacity below 1) is blended over what is behind it.
        let opacity = body.opacity.clamp(0.0, 1.0);
        let material = world.resource_mut::<Assets<StandardMaterial>>().add(StandardMaterial {
            base_color: body_color(body, i, count).with_alpha(opacity),
            alpha_mode: if opacity < 1.0 { AlphaMode::Blend } else { AlphaMode::Opaque },
            perceptual_roughness: 0.5,
            ..default()
        });
        world.spawn((Mesh3d(mesh), MeshMaterial3d(material), body_transform(body), BodyPart(i), Name::new(body.name.clone())));
    }
    let ground_mesh = world.resource_mut::<Assets<Mesh>>().add(Plane3d::default().mesh().size(200.0 * extent, 200.0 * extent));
    let ground_material = world.resource_mut::<Assets<StandardMaterial>>().add(StandardMaterial { base_color: GROUND, perceptual_roughness: 0.9, ..default() });
    world.spawn((Mesh3d(ground_mesh), MeshMaterial3d(ground_material), Transform::from_xyz(c.x, scale.ground_y, c.z)));
    world.spawn((
        DirectionalLight { illuminance: 6000.0, shadow_maps_enabled: false, ..default() },
        Transform::from_xyz(0.3, 1.0, 0.4).looking_at(Vec3::ZERO, Vec3::Y),
    ));

    // Looking down on a swimmer shows its shape; a flying body is seen nearly side-on, so that its
    // height above the floor (and against its reference) reads at a glance.
    let pitch = if state.floor.is_some() { 0.3 } else { 0.9 };
    let distance = match (state.camera_distance, state.floor) {
        (Some(d), _) if d.is_finite() && d > 0.0 => d,
        (_, Some(_)) => 5.0 * extent,
        _ => 3.2 * extent,
    };
    let orbit = OrbitCamera { target: c, pan: Vec3::ZERO, yaw: 0.5, pitch, distance, follow: true };
    let camera = world.spawn((Camera3d::default(), target, orbit.transform(), orbit)).id();
    spawn_hud(world, camera, &id, n_actions, circuit);
    camera
}

fn shape_size(shape: Shape) -> f32 {
    match shape {
        Shape::Capsule { half_height, radius } => half_height + radius,
        Shape::Ellipsoid { radii } => radii.iter().copied().fold(0.0, f32::max),
        Shape::Cuboid { half_extents } => Vec3::from_array(half_extents).length(),
        Shape::Cylinder { half_height, radius } => half_height.hypot(radius),
    }
}

const PANEL: Color = Color::srgba(0.0, 0.0, 0.0, 0.55);
const TRACK: Color = Color::srgb(0.18, 0.18, 0.22);
const POSITIVE: Color = Color::srgb(0.35, 0.85, 0.45);
const DORSAL: Color = Color::srgb(0.95, 0.45, 0.35);
const VENTRAL: Color = Color::srgb(0.35, 0.6, 0.95);

fn spawn_hud(world: &mut World, camera: Entity, id: &str, n_actions: usize, circuit: Option<(CircuitView, usize)>) {
    let text_font = TextFont::from_font_size(11.0);
    let root = world
        .spawn((
            Node { position_type: PositionType::Absolute, top: px(6), left: px(6), flex_direction: FlexDirection::Column, row_gap: px(4), padding: UiRect::all(px(6)), ..default() },
            BackgroundColor(PANEL),
            UiTargetCamera(camera),
            HudRoot,
        ))
        .id();
    let status = world.spawn((Text::new(id.to_string()), text_font.clone(), TextColor(Color::WHITE), StatusText)).id();
    world.entity_mut(root).add_child(status);

    // Action bars: a track per action entry, filled from its centre.
    let actions = world.spawn(Node { flex_direction: FlexDirection::Column, row_gap: px(2), ..default() }).id();
    world.entity_mut(root).add_child(actions);
    let label = world.spawn((Text::new("actions"), text_font.clone(), TextColor(Color::srgb(0.7, 0.7, 0.7)))).id();
    world.entity_mut(actions).add_child(label);
    for i in 0..n_actions {
        let track = world.spawn((Node { width: px(110), height: px(5), ..default() }, BackgroundColor(TRACK))).id();
        let fill = world.spawn((Node { position_type: PositionType::Absolute, left: percent(50), width: percent(0), height: percent(100), ..default() }, BackgroundColor(POSITIVE), ActionFill(i))).id();
        world.entity_mut(track).add_child(fill);
        world.entity_mut(actions).add_child(track);
    }

    // The circuit, head to tail: per joint, four vertical bars (B dorsal, B ventral, muscle
    // dorsal, muscle ventral).
    let Some((view, n_values)) = circuit else { return };
    let panel = world.spawn(Node { flex_direction: FlexDirection::Column, row_gap: px(2), ..default() }).id();
    world.entity_mut(root).add_child(panel);
    match view {
        CircuitView::Segmented(joints) => {
            let title = world.spawn((Text::new("circuit, head to tail\nB dorsal, B ventral, muscle d, v\n(muscles also drawn at each hinge)"), text_font.clone(), TextColor(Color::srgb(0.7, 0.7, 0.7)))).id();
            world.entity_mut(panel).add_child(title);
            let row = world.spawn(Node { flex_direction: FlexDirection::Row, column_gap: px(6), align_items: AlignItems::FlexEnd, ..default() }).id();
            world.entity_mut(panel).add_child(row);
            for j in 0..joints.len() {
                let column = world.spawn(Node { flex_direction: FlexDirection::Column, align_items: AlignItems::Center, ..default() }).id();
                let bars = world.spawn(Node { flex_direction: FlexDirection::Row, column_gap: px(1), align_items: AlignItems::FlexEnd, height: px(30), ..default() }).id();
                for role in 0..4 {
                    let color = if role % 2 == 0 { DORSAL } else { VENTRAL };
                    let track = world.spawn((Node { width: px(4), height: px(30), align_items: AlignItems::FlexEnd, ..default() }, BackgroundColor(TRACK))).id();
                    let fill = world.spawn((Node { width: percent(100), height: percent(0), ..default() }, BackgroundColor(color), CircuitFill(j, role))).id();
                    world.entity_mut(track).add_child(fill);
                    world.entity_mut(bars).add_child(track);
                }
                let label = world.spawn((Text::new(format!("j{j}")), TextFont::from_font_size(9.0), TextColor(Color::srgb(0.7, 0.7, 0.7)))).id();
                world.entity_mut(column).add_children(&[bars, label]);
                world.entity_mut(row).add_child(column);
            }
        }
        CircuitView::Graded(values) => {
            for (k, (name, _)) in values.iter().enumerate() {
                let line = world.spawn(Node { flex_direction: FlexDirection::Row, column_gap: px(6), ..default() }).id();
                let label = world.spawn((Text::new(name.clone()), TextFont::from_font_size(11.0), TextColor(Color::srgb(0.7, 0.7, 0.7)))).id();
                let track = world.spawn((Node { width: px(100), height: px(7), ..default() }, BackgroundColor(TRACK))).id();
                let fill = world.spawn((Node { width: percent(0), height: percent(100), ..default() }, BackgroundColor(POSITIVE), CircuitFill(k, 0))).id();
                world.entity_mut(track).add_child(fill);
                world.entity_mut(line).add_children(&[track, label]);
                world.entity_mut(panel).add_child(line);
            }
        }
        CircuitView::Spikes => {
            let raster = SpikeRaster::new(n_values, 200);
            let (w, h) = raster.size();
            let image = Image::new(
                Extent3d { width: w as u32, height: h as u32, depth_or_array_layers: 1 },
                TextureDimension::D2,
                raster.rgba(),
                TextureFormat::Rgba8UnormSrgb,
                RenderAssetUsages::default(),
            );
            let handle = world.resource_mut::<Assets<Image>>().add(image);
            let title = world.spawn((Text::new("spikes: neurons by the last 200 steps"), text_font, TextColor(Color::srgb(0.7, 0.7, 0.7)))).id();
            let node = world.spawn((ImageNode::new(handle.clone()), Node { width: px(400), height: px((2 * h).clamp(40, 320) as f32), ..default() })).id();
            world.entity_mut(panel).add_children(&[title, node]);
            world.insert_resource(Raster(raster, handle));
        }
    }
}

/// Copies the bodies' poses from the env into their meshes.
pub fn sync_bodies(sim: Res<Sim>, mut parts: Query<(&BodyPart, &mut Transform)>) {
    let state = sim.lock().render_state();
    for (part, mut transform) in &mut parts {
        if let Some(body) = state.bodies.get(part.0) {
            *transform = body_transform(body);
        }
    }
}

/// Keeps the camera on the bodies' centre (while following) and applies its orbit.
pub fn follow_camera(sim: Res<Sim>, mut cameras: Query<(&mut OrbitCamera, &mut Transform)>) {
    let c = centre(&sim.lock().render_state());
    for (mut orbit, mut transform) in &mut cameras {
        if orbit.follow {
            orbit.target = c;
        }
        *transform = orbit.transform();
    }
}

/// The grid on the ground, centred under the camera's focus (snapped to the spacing).
pub fn draw_grid(scale: Res<SceneScale>, cameras: Query<&OrbitCamera>, mut gizmos: Gizmos) {
    let Some(orbit) = cameras.iter().next() else { return };
    let focus = orbit.target + orbit.pan;
    let snap = |v: f32| (v / scale.grid).round() * scale.grid;
    let at = Vec3::new(snap(focus.x), scale.ground_y + 0.001 * scale.extent, snap(focus.z));
    let iso = Isometry3d::new(at, Quat::from_rotation_x(std::f32::consts::FRAC_PI_2));
    gizmos.grid(iso, UVec2::splat(60), Vec2::splat(scale.grid), Color::srgba(0.55, 0.75, 0.85, 0.35));
}

/// The circuit on the body: at each hinge of a segmented circuit (NCAP), its dorsal (red) and
/// ventral (blue) muscle activations as bars on either side of the body, up to half a link long.
/// Hinge `j` joins bodies `j` and `j + 1` of the render state: at the +y end of capsule `j` (the
/// swimmer's convention: each link hangs from its parent's distal end), else midway.
pub fn draw_circuit_on_body(sim: Res<Sim>, mut gizmos: Gizmos) {
    let sim = sim.lock();
    let Some(activity) = sim.policy().activity() else { return };
    let CircuitView::Segmented(joints) = CircuitView::from_activity(&activity) else { return };
    let state = sim.render_state();
    if state.bodies.len() != joints.len() + 1 {
        return;
    }
    for (j, joint) in joints.iter().enumerate() {
        let (parent, child) = (&state.bodies[j], &state.bodies[j + 1]);
        let (a, b) = (to_bevy(parent.position), to_bevy(child.position));
        let hinge = match parent.shape {
            Shape::Capsule { half_height, .. } => {
                let t = body_transform(parent);
                t.translation + t.rotation * (Vec3::Y * half_height)
            }
            _ => (a + b) / 2.0,
        };
        // Perpendicular to the chain, in the ground plane.
        let side = Vec3::Y.cross(b - a).normalize_or_zero() * 0.5 * (b - a).length();
        gizmos.line(hinge, hinge + side * joint.muscle_dorsal.clamp(0.0, 1.0), DORSAL);
        gizmos.line(hinge, hinge - side * joint.muscle_ventral.clamp(0.0, 1.0), VENTRAL);
    }
}

/// Text, action bars and circuit bars from the simulation; times itself into [`HudTiming`].
#[allow(clippy::type_complexity)]
pub fn update_hud(
    sim: Res<Sim>,
    mut timing: ResMut<HudTiming>,
    raster: Option<ResMut<Raster>>,
    mut images: ResMut<Assets<Image>>,
    mut texts: Query<&mut Text, With<StatusText>>,
    mut action_fills: Query<(&ActionFill, &mut Node, &mut BackgroundColor), Without<CircuitFill>>,
    mut circuit_fills: Query<(&CircuitFill, &mut Node), Without<ActionFill>>,
) {
    let started = Instant::now();
    let sim = sim.lock();
    let lines = status_lines(&sim).join("\n");
    for mut text in &mut texts {
        if text.0 != lines {
            text.0 = lines.clone();
        }
    }
    let bars = action_bars(&sim);
    for (fill, mut node, mut color) in &mut action_fills {
        let v = bars.get(fill.0).copied().unwrap_or(0.0);
        node.width = percent(50.0 * v.abs());
        node.left = percent(if v < 0.0 { 50.0 + 50.0 * v } else { 50.0 });
        color.0 = if v < 0.0 { VENTRAL } else { POSITIVE };
    }
    if let Some(activity) = sim.policy().activity() {
        match CircuitView::from_activity(&activity) {
            CircuitView::Segmented(joints) => {
                for (fill, mut node) in &mut circuit_fills {
                    if let Some(j) = joints.get(fill.0) {
                        let v = [j.b_dorsal, j.b_ventral, j.muscle_dorsal, j.muscle_ventral][fill.1.min(3)];
                        node.height = percent(100.0 * v.clamp(0.0, 1.0));
                    }
                }
            }
            CircuitView::Graded(values) => {
                for (fill, mut node) in &mut circuit_fills {
                    if let Some((_, v)) = values.get(fill.0) {
                        node.width = percent(100.0 * v.clamp(0.0, 1.0));
                    }
                }
            }
            CircuitView::Spikes => {
                if let Some(mut raster) = raster {
                    raster.0.push(activity.values);
                    let pixels = raster.0.rgba();
                    if let Some(mut image) = images.get_mut(&raster.1) {
                        image.data = Some(pixels);
                    }
                }
            }
        }
    }
    timing.total_s += started.elapsed().as_secs_f64();
    timing.frames += 1;
}
