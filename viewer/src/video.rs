//! Recorded frames to a video: an animated GIF in pure Rust (the `gif` crate, no tool needed), or
//! an MP4 through `ffmpeg` when it is on `PATH`. Written to a temporary file and renamed, so a
//! failed encode leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::record::RecordReport;
use crate::ViewError;

/// The video formats: GIF (built in) and MP4 (ffmpeg).
enum Format {
    Gif,
    Mp4,
}

/// Checks `out` before anything is rendered: a `.gif` or `.mp4` name, and ffmpeg for MP4.
pub fn check_output(out: &Path) -> Result<(), ViewError> {
    match format(out)? {
        Format::Gif => Ok(()),
        Format::Mp4 => match Command::new("ffmpeg").arg("-version").output() {
            Ok(o) if o.status.success() => Ok(()),
            _ => Err(no_ffmpeg()),
        },
    }
}

fn format(out: &Path) -> Result<Format, ViewError> {
    match out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("gif") => Ok(Format::Gif),
        Some("mp4") => Ok(Format::Mp4),
        _ => Err(ViewError::Input(format!("--video {}: expected a .gif or .mp4 file name", out.display()))),
    }
}

fn no_ffmpeg() -> ViewError {
    ViewError::Input("--video FILE.mp4 needs ffmpeg on PATH (Debian: `apt install ffmpeg`); `--video FILE.gif` needs nothing".into())
}

/// Encodes the frames of `report` (PNGs in `frames_dir`) into `out` (`.gif` or `.mp4`).
pub fn encode(frames_dir: &Path, report: &RecordReport, out: &Path) -> Result<(), ViewError> {
    let tmp = temporary_sibling(out);
    let result = match format(out)? {
        Format::Gif => gif(frames_dir, report, &tmp),
        Format::Mp4 => mp4(frames_dir, report, &tmp),
    };
    match result {
        Ok(()) => std::fs::rename(&tmp, out).map_err(|e| ViewError::Io(format!("{}: {e}", out.display()))),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn temporary_sibling(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "video".into());
    let ext = out.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
    out.with_file_name(format!(".{name}.partial-{}.{ext}", std::process::id()))
}

fn read_rgba(path: &Path) -> Result<(u32, u32, Vec<u8>), ViewError> {
    let err = |e: String| ViewError::Io(format!("{}: {e}", path.display()));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).map_err(|e| err(e.to_string()))?));
    let mut reader = decoder.read_info().map_err(|e| err(e.to_string()))?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or_else(|| err("image too large".into()))?];
    let info = reader.next_frame(&mut buf).map_err(|e| err(e.to_string()))?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(err(format!("expected 8-bit RGBA, got {:?} {:?}", info.color_type, info.bit_depth)));
    }
    buf.truncate(info.buffer_size());
    Ok((info.width, info.height, buf))
}

fn gif(frames_dir: &Path, report: &RecordReport, out: &Path) -> Result<(), ViewError> {
    let io = |e: String| ViewError::Io(format!("{}: {e}", out.display()));
    let file = std::fs::File::create(out).map_err(|e| io(e.to_string()))?;
    let (w, h) = (report.width as u16, report.height as u16);
    let mut encoder = ::gif::Encoder::new(std::io::BufWriter::new(file), w, h, &[]).map_err(|e| io(e.to_string()))?;
    encoder.set_repeat(::gif::Repeat::Infinite).map_err(|e| io(e.to_string()))?;
    // GIF delays are in centiseconds.
    let delay = (100.0 / report.fps).round().clamp(2.0, 65_535.0) as u16;
    for frame in &report.frames {
        let (fw, fh, mut rgba) = read_rgba(&frames_dir.join(&frame.file))?;
        let mut gif_frame = ::gif::Frame::from_rgba_speed(fw as u16, fh as u16, &mut rgba, 10);
        gif_frame.delay = delay;
        encoder.write_frame(&gif_frame).map_err(|e| io(e.to_string()))?;
    }
    Ok(())
}

fn mp4(frames_dir: &Path, report: &RecordReport, out: &Path) -> Result<(), ViewError> {
    let pattern = frames_dir.join("frame_%05d.png");
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-framerate"])
        .arg(format!("{:.4}", report.fps))
        .arg("-i")
        .arg(&pattern)
        .args(["-pix_fmt", "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-f", "mp4"])
        .arg(out)
        .status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(ViewError::Io(format!("ffmpeg failed ({s}) writing {}", out.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(no_ffmpeg()),
        Err(e) => Err(ViewError::Io(format!("running ffmpeg: {e}"))),
    }
}
