//! The interactive viewer: a window, the simulation at real time, keys and mouse.
//!
//! | input | action |
//! |---|---|
//! | space | pause / resume |
//! | `.` or → | one control step (while paused) |
//! | `[` / `]` | slower / faster (×⅛ … ×8 real time) |
//! | `r` | reset (next episode seed) |
//! | `f` | follow the body on / off |
//! | left drag | orbit |
//! | right drag | pan |
//! | wheel | zoom |
//! | esc | quit |

use std::sync::{Arc, Mutex};

use bevy::camera::RenderTarget;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy::window::{PrimaryWindow, WindowRef};

use crate::scene::{self, HudTiming, OrbitCamera, SceneScale, Sim};
use crate::sim::Simulation;
use crate::ViewError;

/// A fatal error from inside the app (e.g. the env refused a step), reported after it exits
/// (shared: `App::run` moves the world into the event loop).
#[derive(Resource, Clone, Default)]
struct Failure(Arc<Mutex<Option<String>>>);

impl Failure {
    fn set(&self, message: String) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
    }
}

/// Opens the window and runs until it is closed.
pub fn run(sim: Simulation) -> Result<(), ViewError> {
    let title = format!("nerve · {} · {}", sim.env().spec().id, sim.policy().name());
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window { title, resolution: (1280, 720).into(), ..default() }),
        ..default()
    }));
    app.insert_resource(Sim(Mutex::new(sim)));
    app.init_resource::<HudTiming>();
    let failure = Failure::default();
    app.insert_resource(failure.clone());
    app.add_systems(Startup, |world: &mut World| {
        scene::spawn_scene(world, RenderTarget::Window(WindowRef::Primary));
    });
    app.add_systems(Update, (keys, advance, mouse, scene::sync_bodies, scene::follow_camera, scene::draw_grid, scene::update_hud).chain());
    app.run();
    let message = failure.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    match message {
        Some(message) => Err(ViewError::Input(message)),
        None => Ok(()),
    }
}

fn advance(sim: Res<Sim>, time: Res<Time>, failure: Res<Failure>, mut exit: MessageWriter<AppExit>) {
    if let Err(e) = sim.lock().advance(time.delta_secs_f64()) {
        failure.set(e.to_string());
        exit.write(AppExit::error());
    }
}

fn keys(sim: Res<Sim>, input: Res<ButtonInput<KeyCode>>, mut cameras: Query<&mut OrbitCamera>, failure: Res<Failure>, mut exit: MessageWriter<AppExit>) {
    let mut sim = sim.lock();
    let result = (|| {
        if input.just_pressed(KeyCode::Space) {
            sim.paused = !sim.paused;
        }
        if input.just_pressed(KeyCode::Period) || input.just_pressed(KeyCode::ArrowRight) {
            sim.paused = true;
            sim.step()?;
        }
        if input.just_pressed(KeyCode::BracketLeft) {
            sim.slower();
        }
        if input.just_pressed(KeyCode::BracketRight) {
            sim.faster();
        }
        if input.just_pressed(KeyCode::KeyR) {
            sim.reset()?;
        }
        Ok::<(), envs::EnvError>(())
    })();
    if let Err(e) = result {
        failure.set(e.to_string());
        exit.write(AppExit::error());
    }
    if input.just_pressed(KeyCode::KeyF) {
        for mut orbit in &mut cameras {
            orbit.follow = !orbit.follow;
            orbit.pan = Vec3::ZERO;
        }
    }
    if input.just_pressed(KeyCode::Escape) {
        exit.write(AppExit::Success);
    }
}

fn mouse(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    scale: Res<SceneScale>,
    windows: Query<&Window, With<PrimaryWindow>>,
    mut cameras: Query<&mut OrbitCamera>,
) {
    let height = windows.iter().next().map_or(720.0, |w| w.height().max(1.0));
    for mut orbit in &mut cameras {
        if buttons.pressed(MouseButton::Left) {
            orbit.yaw -= motion.delta.x * 0.008;
            orbit.pitch = (orbit.pitch + motion.delta.y * 0.008).clamp(0.05, 1.5);
        }
        if buttons.pressed(MouseButton::Right) {
            // Pan in the ground plane, at the speed the cursor moves over it.
            let per_pixel = orbit.distance / height;
            let (s, c) = orbit.yaw.sin_cos();
            let right = Vec3::new(c, 0.0, -s);
            let forward = Vec3::new(-s, 0.0, -c);
            orbit.pan += (-motion.delta.x * right + motion.delta.y * forward) * per_pixel;
        }
        if scroll.delta.y != 0.0 {
            let factor = (1.0 - 0.1 * scroll.delta.y.clamp(-5.0, 5.0)).max(0.2);
            orbit.distance = (orbit.distance * factor).clamp(0.2 * scale.extent, 200.0 * scale.extent);
        }
    }
}
