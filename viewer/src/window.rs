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
use bevy::time::Real;
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

/// How long to keep the window open.
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowOptions {
    /// Close after this many seconds of wall time (None: when the user closes it).
    pub seconds: Option<f64>,
}

/// What a window session did: frames drawn and how the simulation kept up with the clock.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct WindowReport {
    pub frames: u64,
    /// Wall time from the first frame to the last (s).
    pub wall_s: f64,
    /// Simulated time over the same span (s).
    pub simulated_s: f64,
    /// Simulated seconds per wall second (1 at real time and ×1 speed).
    pub real_time_factor: f64,
    /// Mean wall time of one HUD update (s).
    pub hud_update_s: f64,
}

/// Frame statistics, shared with the caller (`App::run` moves the world into the event loop).
#[derive(Resource, Clone, Default)]
struct Stats(Arc<Mutex<(WindowReport, Option<(f64, u64)>)>>);

#[derive(Resource, Clone, Copy)]
struct Deadline(Option<f64>);

/// Opens the window and runs until it is closed (or `opts.seconds` have passed).
pub fn run(sim: Simulation, opts: WindowOptions) -> Result<WindowReport, ViewError> {
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
    let stats = Stats::default();
    app.insert_resource(stats.clone());
    app.insert_resource(Deadline(opts.seconds));
    app.add_systems(Startup, |world: &mut World| {
        scene::spawn_scene(world, RenderTarget::Window(WindowRef::Primary));
    });
    app.add_systems(Update, (keys, advance, mouse, scene::sync_bodies, scene::follow_camera, scene::draw_grid, scene::draw_circuit_on_body, scene::update_hud, count_frame).chain());
    app.run();
    let message = failure.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    match message {
        Some(message) => Err(ViewError::Input(message)),
        None => Ok(stats.0.lock().unwrap_or_else(|e| e.into_inner()).0),
    }
}

/// Counts frames from the first one (start-up excluded), and closes at the deadline.
fn count_frame(sim: Res<Sim>, time: Res<Time<Real>>, timing: Res<HudTiming>, stats: Res<Stats>, deadline: Res<Deadline>, mut exit: MessageWriter<AppExit>) {
    let now = time.elapsed_secs_f64();
    let sim = sim.lock();
    let simulated = sim.total_steps as f64 * sim.env().spec().dt;
    let mut guard = stats.0.lock().unwrap_or_else(|e| e.into_inner());
    let (report, start) = &mut *guard;
    match *start {
        None => *start = Some((now, sim.total_steps)),
        Some((t0, steps0)) => {
            report.frames += 1;
            report.wall_s = now - t0;
            report.simulated_s = simulated - steps0 as f64 * sim.env().spec().dt;
            report.real_time_factor = report.simulated_s / report.wall_s.max(1e-9);
            report.hud_update_s = timing.total_s / timing.frames.max(1) as f64;
        }
    }
    if deadline.0.is_some_and(|s| now >= s) {
        exit.write(AppExit::Success);
    }
}

/// Steps what the wall clock owes (real time, not Bevy's virtual time, which clamps long frames).
fn advance(sim: Res<Sim>, time: Res<Time<Real>>, failure: Res<Failure>, mut exit: MessageWriter<AppExit>) {
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
