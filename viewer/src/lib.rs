//! nerve's viewer: any env with any controller, the body and the circuit moving together.
//!
//! | module | concept |
//! |---|---|
//! | [`sim`] | the env and policy stepped at real time, paused, single-stepped, faster or slower |
//! | [`hud`] | the HUD's numbers: status, action bars, per-joint circuit activity, spike raster |
//! | [`scene`] | Bevy: meshes from `Env::render_state()`, ground and grid, follow camera, HUD nodes |
//! | [`window`] | the interactive window (keys and mouse) |
//! | [`record`] | headless recording to PNG frames, with each body's projected pixel position |
//! | [`video`] | frames to an animated GIF (pure Rust) or an MP4 (ffmpeg, if installed) |
//!
//! Bodies need no viewer code: every shape and pose comes from `render_state()` (SI units, z up),
//! and colours are keyed on body names. Before Bevy starts, [`check_display`] and
//! [`probe_adapter`] turn "no display" and "no GPU" into messages that say what to do, instead of
//! the panics Bevy 0.19 raises inside its plugins.

pub mod hud;
pub mod record;
pub mod scene;
pub mod sim;
pub mod video;
pub mod window;

use std::fmt;

pub use record::{RecordOptions, RecordReport};
pub use sim::Simulation;
pub use window::{WindowOptions, WindowReport};

/// Why the viewer could not run; every variant says what to do.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewError {
    /// No X display to open a window on.
    NoDisplay(String),
    /// No GPU adapter (hardware or software) that wgpu can render with.
    NoGpu(String),
    /// The env has nothing to draw.
    NothingToRender(String),
    /// Bad options or an env error.
    Input(String),
    Render(String),
    Io(String),
}

impl fmt::Display for ViewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewError::NoDisplay(m) | ViewError::NoGpu(m) | ViewError::NothingToRender(m) | ViewError::Input(m) => f.write_str(m),
            ViewError::Render(m) => write!(f, "rendering failed: {m}"),
            ViewError::Io(m) => write!(f, "writing frames: {m}"),
        }
    }
}

impl std::error::Error for ViewError {}

/// Checks that an X display is there to open a window on (the viewer is built for X11; under
/// Wayland, XWayland provides one).
pub fn check_display() -> Result<(), ViewError> {
    check_display_value(std::env::var_os("DISPLAY"))
}

/// [`check_display`] for a given value of `DISPLAY`.
pub fn check_display_value(display: Option<std::ffi::OsString>) -> Result<(), ViewError> {
    let hint = "use `--record DIR --frames K` to render headless, or run under Xvfb (`xvfb-run nerve view ...`)";
    let Some(display) = display.filter(|d| !d.is_empty()) else {
        return Err(ViewError::NoDisplay(format!("no display: DISPLAY is not set; {hint}")));
    };
    let display = display.to_string_lossy().into_owned();
    // A local display `:N` has a socket; a remote one (host:N) is left to the window system.
    if let Some(n) = display.strip_prefix(':').and_then(|r| r.split('.').next()).and_then(|n| n.parse::<u32>().ok()) {
        if !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
            return Err(ViewError::NoDisplay(format!("no display: DISPLAY={display} has no X server socket; {hint}")));
        }
    }
    Ok(())
}

/// Finds the GPU adapter Bevy will render with (honouring `WGPU_BACKEND`), by asking wgpu first.
pub fn probe_adapter() -> Result<String, ViewError> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    match bevy::tasks::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default())) {
        Ok(adapter) => {
            let info = adapter.get_info();
            Ok(format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type))
        }
        Err(e) => Err(ViewError::NoGpu(format!(
            "no GPU adapter for rendering ({e}); install Mesa's software Vulkan (Debian: `apt install mesa-vulkan-drivers libvulkan1`), \
             or check that WGPU_BACKEND names an available backend"
        ))),
    }
}

/// Refuses envs that draw nothing.
pub fn check_renderable(sim: &Simulation) -> Result<(), ViewError> {
    if sim.render_state().bodies.is_empty() {
        return Err(ViewError::NothingToRender(format!(
            "{} has no render state (its `render_state()` lists no bodies), so there is nothing to view; `nerve eval` runs it without a viewer",
            sim.env().spec().id
        )));
    }
    Ok(())
}

/// Opens the interactive window.
pub fn view(sim: Simulation, opts: WindowOptions) -> Result<WindowReport, ViewError> {
    check_renderable(&sim)?;
    check_display()?;
    probe_adapter()?;
    window::run(sim, opts)
}

/// Records frames headless (no display needed).
pub fn record(sim: Simulation, opts: &RecordOptions) -> Result<RecordReport, ViewError> {
    check_renderable(&sim)?;
    let adapter = probe_adapter()?;
    record::record(sim, opts, adapter)
}
