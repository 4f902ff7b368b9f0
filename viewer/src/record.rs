//! Headless recording: no window, the camera renders into an image, and every frame is read back
//! and written as a PNG. The loop is ours (Bevy's runner is not used): one frame advances the
//! simulation by a fixed number of control steps, so a recording is the same for the same seed
//! whatever the machine's speed.
//!
//! Next to the frames, `frames.json` records, per frame, the simulated time and where each body's
//! centre projects in the image (pixels from the top-left, by the camera that rendered it): what
//! a test needs to check that the pixels are where the pose says.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::{PollType, TextureFormat};
use bevy::render::renderer::RenderDevice;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::RenderPlugin;
use bevy::ui::{ComputedNode, UiGlobalTransform};
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use serde::Serialize;

use crate::scene::{self, HudTiming, Sim};
use crate::sim::Simulation;
use crate::ViewError;

/// What to record.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// Output directory; it must not exist or be empty (nothing is overwritten).
    pub dir: PathBuf,
    pub frames: usize,
    /// Control steps per frame (1: one frame per control period).
    pub steps_per_frame: usize,
    pub width: u32,
    pub height: u32,
}

/// One recorded frame's facts.
#[derive(Debug, Clone, Serialize)]
pub struct FrameInfo {
    pub index: usize,
    /// Simulated time in the episode (s).
    pub time: f64,
    pub file: String,
    /// Each body's name and its centre's pixel `[x, y]` (None when off-screen).
    pub bodies: Vec<(String, Option<[f32; 2]>)>,
    /// The HUD panel's pixel rectangle `[left, top, right, bottom]`.
    pub hud_rect: Option<[f32; 4]>,
}

/// A recording's summary: written to `frames.json`.
#[derive(Debug, Clone, Serialize)]
pub struct RecordReport {
    pub env: String,
    pub controller: String,
    pub width: u32,
    pub height: u32,
    pub steps_per_frame: usize,
    /// Control period (s), and the frame rate at which the frames play back in real time.
    pub dt: f64,
    pub fps: f64,
    pub frames: Vec<FrameInfo>,
    /// Wall time of the whole recording, rendering and readback included (s).
    pub wall_s: f64,
    /// Simulated seconds per wall second while recording (≥ 1: faster than real time).
    pub real_time_factor: f64,
    /// Mean wall time of one HUD update (s).
    pub hud_update_s: f64,
    /// The GPU adapter (e.g. `llvmpipe` for Mesa's software Vulkan).
    pub adapter: String,
}

#[derive(Resource, Clone, Default)]
struct Captures(Arc<Mutex<Vec<(usize, Image)>>>);

/// Renders `opts.frames` frames of `sim` into PNGs under `opts.dir`.
pub fn record(sim: Simulation, opts: &RecordOptions, adapter: String) -> Result<RecordReport, ViewError> {
    if opts.frames == 0 || opts.steps_per_frame == 0 || opts.width < 16 || opts.height < 16 {
        return Err(ViewError::Input("--frames and steps per frame must be ≥ 1, and the image at least 16×16 pixels".into()));
    }
    let staging = staging_dir(&opts.dir)?;
    let result = render_frames(sim, opts, adapter, &staging);
    match result {
        Ok(report) => {
            let json = serde_json::to_string_pretty(&report).map_err(|e| ViewError::Io(format!("frames.json: {e}")))?;
            std::fs::write(staging.join("frames.json"), json).map_err(|e| ViewError::Io(format!("{}: {e}", staging.display())))?;
            // The directory appears complete or not at all.
            if opts.dir.exists() {
                std::fs::remove_dir(&opts.dir).map_err(|e| ViewError::Io(format!("{}: {e}", opts.dir.display())))?;
            }
            std::fs::rename(&staging, &opts.dir).map_err(|e| ViewError::Io(format!("{} → {}: {e}", staging.display(), opts.dir.display())))?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// A fresh sibling directory to write into; refuses a non-empty `dir`.
fn staging_dir(dir: &Path) -> Result<PathBuf, ViewError> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir).map_err(|e| ViewError::Io(format!("{}: {e}", dir.display())))?.next().is_none();
        if !empty {
            return Err(ViewError::Input(format!("{}: already exists and is not empty; choose another --record directory", dir.display())));
        }
    }
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "frames".into());
    let staging = dir.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| ViewError::Io(format!("{}: {e}", staging.display())))?;
    Ok(staging)
}

fn render_frames(sim: Simulation, opts: &RecordOptions, adapter: String, out: &Path) -> Result<RecordReport, ViewError> {
    let env_id = sim.env().spec().id.clone();
    let controller = sim.policy().name().to_string();
    let dt = sim.env().spec().dt;

    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin { primary_window: None, exit_condition: ExitCondition::DontExit, ..default() })
            .set(RenderPlugin { synchronous_pipeline_compilation: true, ..default() })
            .disable::<WinitPlugin>(),
    );
    app.insert_resource(Sim(Mutex::new(sim)));
    app.init_resource::<HudTiming>();
    let captures = Captures::default();
    app.insert_resource(captures.clone());
    app.add_systems(Update, (scene::sync_bodies, scene::follow_camera, scene::draw_grid, scene::draw_circuit_on_body, scene::update_hud).chain());
    app.finish();
    app.cleanup();

    let world = app.world_mut();
    let target = world.resource_mut::<Assets<Image>>().add(Image::new_target_texture(opts.width, opts.height, TextureFormat::Rgba8UnormSrgb, None));
    let camera = scene::spawn_scene(world, RenderTarget::from(target.clone()));

    let update = |app: &mut App| -> Result<(), ViewError> {
        app.update();
        app.world()
            .resource::<RenderDevice>()
            .wgpu_device()
            .poll(PollType::Wait { submission_index: None, timeout: None })
            .map(|_| ())
            .map_err(|e| ViewError::Render(format!("waiting for the GPU: {e}")))
    };
    // Warm-up frames: pipelines compile and the camera learns its target's size.
    for _ in 0..3 {
        update(&mut app)?;
    }

    let started = Instant::now();
    let mut frames = Vec::with_capacity(opts.frames);
    for index in 0..opts.frames {
        if index > 0 {
            let world = app.world_mut();
            let mut sim = world.resource::<Sim>().lock();
            for _ in 0..opts.steps_per_frame {
                sim.step().map_err(|e| ViewError::Input(e.to_string()))?;
            }
        }
        let captures = captures.0.clone();
        app.world_mut().spawn(Screenshot::image(target.clone())).observe(move |event: On<ScreenshotCaptured>| {
            captures.lock().unwrap_or_else(|e| e.into_inner()).push((index, event.image.clone()));
        });
        update(&mut app)?;
        frames.push(project_bodies(app.world_mut(), camera, index));
    }
    // Readbacks land a frame or two later.
    for _ in 0..4 {
        if captures.0.lock().unwrap_or_else(|e| e.into_inner()).len() >= opts.frames {
            break;
        }
        update(&mut app)?;
    }
    let wall_s = started.elapsed().as_secs_f64();
    let mut images = std::mem::take(&mut *captures.0.lock().unwrap_or_else(|e| e.into_inner()));
    if images.len() != opts.frames {
        return Err(ViewError::Render(format!("{} of {} frames came back from the GPU", images.len(), opts.frames)));
    }
    images.sort_by_key(|(i, _)| *i);
    for ((index, image), frame) in images.into_iter().zip(&frames) {
        write_png(&out.join(&frame.file), image).map_err(|e| ViewError::Io(format!("frame {index}: {e}")))?;
    }
    let timing = *app.world().resource::<HudTiming>();
    let simulated = (opts.frames - 1) as f64 * opts.steps_per_frame as f64 * dt;
    Ok(RecordReport {
        env: env_id,
        controller,
        width: opts.width,
        height: opts.height,
        steps_per_frame: opts.steps_per_frame,
        dt,
        fps: 1.0 / (dt * opts.steps_per_frame as f64),
        frames,
        wall_s,
        real_time_factor: simulated / wall_s.max(1e-9),
        hud_update_s: timing.total_s / timing.frames.max(1) as f64,
        adapter,
    })
}

/// Each body's centre in pixels, by the camera as it rendered this frame.
fn project_bodies(world: &mut World, camera: Entity, index: usize) -> FrameInfo {
    let sim_state = world.resource::<Sim>().lock().render_state();
    let time = world.resource::<Sim>().lock().episode_time();
    let mut query = world.query::<(&Camera, &GlobalTransform)>();
    let bodies = match query.get(world, camera) {
        Ok((cam, transform)) => sim_state
            .bodies
            .iter()
            .map(|b| (b.name.clone(), cam.world_to_viewport(transform, scene::to_bevy(b.position)).ok().map(|p| [p.x, p.y])))
            .collect(),
        Err(_) => sim_state.bodies.iter().map(|b| (b.name.clone(), None)).collect(),
    };
    let mut hud = world.query_filtered::<(&ComputedNode, &UiGlobalTransform), With<scene::HudRoot>>();
    let hud_rect = hud.iter(world).next().map(|(node, transform)| {
        let (c, half) = (transform.affine().translation, node.size / 2.0);
        [c.x - half.x, c.y - half.y, c.x + half.x, c.y + half.y]
    });
    FrameInfo { index, time, file: format!("frame_{index:05}.png"), bodies, hud_rect }
}

fn write_png(path: &Path, image: Image) -> Result<(), String> {
    let rgba = image.try_into_dynamic().map_err(|e| format!("unreadable frame: {e:?}"))?.to_rgba8();
    let (w, h) = (rgba.width(), rgba.height());
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgba.as_raw()).map_err(|e| e.to_string())
}
