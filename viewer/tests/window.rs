//! The interactive viewer opens a window on an Xvfb display (started here; CI installs xvfb),
//! draws frames, and keeps the simulation at real time however slowly software rendering draws;
//! without a GPU adapter, the viewer says what to install.
//! Runs on the main thread, as winit's event loop requires (`harness = false`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use viewer::{Simulation, WindowOptions};

fn main() {
    let display = ":87";
    let socket = Path::new("/tmp/.X11-unix/X87");
    let mut xvfb = Command::new("Xvfb")
        .args([display, "-screen", "0", "1280x720x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("this test needs Xvfb (Debian: apt install xvfb): {e}"));
    let started = Instant::now();
    while !socket.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "Xvfb did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: single-threaded here; set before Bevy starts any thread.
    unsafe { std::env::set_var("DISPLAY", display) };

    let env = envs::make("Swimmer6-v0").unwrap();
    let policy = controllers::make("ncap", env.spec(), None).unwrap();
    let sim = Simulation::new(env, policy, 0).unwrap();
    let result = viewer::view(sim, WindowOptions { seconds: Some(4.0) });
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    let report = result.unwrap();
    println!("window: {report:?}");
    assert!(report.frames >= 3, "only {} frames in {:.1} s", report.frames, report.wall_s);
    // The simulation follows the wall clock: each frame steps what the clock owes.
    assert!((0.8..=1.2).contains(&report.real_time_factor), "simulation at {:.2}× real time", report.real_time_factor);
    println!("test window_keeps_real_time ... ok");

    // No GPU adapter (here: a backend this platform lacks) is a message that says what to
    // install, before Bevy starts and would panic; nothing is written.
    // SAFETY: single-threaded again (the app has exited).
    unsafe { std::env::set_var("WGPU_BACKEND", "metal") };
    let env = envs::make("Swimmer6-v0").unwrap();
    let policy = controllers::make("ncap", env.spec(), None).unwrap();
    let dir = std::env::temp_dir().join(format!("nerve-no-gpu-{}", std::process::id()));
    let opts = viewer::RecordOptions { dir: dir.clone(), frames: 1, steps_per_frame: 1, width: 64, height: 64 };
    let err = viewer::record(Simulation::new(env, policy, 0).unwrap(), &opts).unwrap_err();
    assert!(matches!(err, viewer::ViewError::NoGpu(_)), "{err}");
    assert!(err.to_string().contains("mesa-vulkan-drivers"), "{err}");
    assert!(!dir.exists());
    println!("test no_gpu_says_what_to_install ... ok");
}
