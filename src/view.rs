//! `nerve view`: watch an env with a controller or a trained checkpoint, in a window or recorded
//! headless to PNG frames (and a GIF or MP4).

use std::path::PathBuf;

use clap::Args;

use crate::CliError;

#[derive(Args)]
pub struct ViewArgs {
    #[command(flatten)]
    target: crate::eval::EnvPolicyArgs,
    /// Seed of the first episode (episode k uses S + k).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Close the window after this many seconds and print frame and real-time figures.
    #[arg(long)]
    seconds: Option<f64>,
    /// Render headless (no window) to PNG frames in this directory (must not exist or be empty).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Frames to record.
    #[arg(long, default_value_t = 100)]
    frames: usize,
    /// Control steps per recorded frame.
    #[arg(long, default_value_t = 1)]
    steps_per_frame: usize,
    /// Recorded image size (pixels).
    #[arg(long, default_value_t = 960)]
    width: u32,
    #[arg(long, default_value_t = 540)]
    height: u32,
    /// Also assemble the recorded frames into FILE.gif (built in) or FILE.mp4 (needs ffmpeg).
    #[arg(long)]
    video: Option<PathBuf>,
}

#[cfg(not(feature = "viewer"))]
pub fn run(_args: ViewArgs) -> Result<(), CliError> {
    Err(CliError(
        "this nerve was built without the viewer; rebuild with `cargo build --release --features viewer` (it compiles Bevy, ~15 min the first time)".into(),
    ))
}

#[cfg(feature = "viewer")]
pub fn run(args: ViewArgs) -> Result<(), CliError> {
    use viewer::{RecordOptions, Simulation};

    if let Some(out) = &args.video {
        viewer::video::check_output(out).map_err(|e| CliError(e.to_string()))?;
    }
    let (env, policy, _, _) = args.target.load()?;
    let sim = Simulation::new(env, policy, args.seed)?;
    let view_err = |e: viewer::ViewError| CliError(e.to_string());
    if args.record.is_none() && args.video.is_none() {
        let report = viewer::view(sim, viewer::WindowOptions { seconds: args.seconds }).map_err(view_err)?;
        println!(
            "{} frames in {:.1} s ({:.1} frames/s); simulation at {:.2}× real time; HUD update {:.3} ms per frame",
            report.frames,
            report.wall_s,
            report.frames as f64 / report.wall_s.max(1e-9),
            report.real_time_factor,
            report.hud_update_s * 1e3
        );
        return Ok(());
    }
    // Recording: into --record DIR, or a temporary directory when only --video is asked for.
    let temporary = args.record.is_none();
    let dir = match &args.record {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("nerve-view-{}", std::process::id())),
    };
    let opts = RecordOptions { dir: dir.clone(), frames: args.frames, steps_per_frame: args.steps_per_frame, width: args.width, height: args.height };
    let report = viewer::record(sim, &opts).map_err(view_err)?;
    let video = args.video.as_ref().map(|out| viewer::video::encode(&dir, &report, out).map_err(view_err));
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Some(result) = video {
        result?;
    }
    println!(
        "recorded {} frames of {} · {} ({}×{}, {:.1} fps playback) on {}",
        report.frames.len(),
        report.env,
        report.controller,
        report.width,
        report.height,
        report.fps,
        report.adapter
    );
    println!(
        "rendering ran at {:.2}× real time ({:.1} frames/s); HUD update {:.3} ms per frame",
        report.real_time_factor,
        report.frames.len() as f64 / report.wall_s.max(1e-9),
        report.hud_update_s * 1e3
    );
    if !temporary {
        println!("wrote {}/frame_00000.png … and frames.json", dir.display());
    }
    if let Some(out) = &args.video {
        println!("wrote {}", out.display());
    }
    Ok(())
}
