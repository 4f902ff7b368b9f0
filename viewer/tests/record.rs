//! The viewer renders Swimmer6 with NCAP headless (Mesa's software Vulkan in CI) and the PNGs
//! show the swimmer where its pose says, moving between frames.

use viewer::{RecordOptions, Simulation};

struct Png {
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

impl Png {
    fn read(path: &std::path::Path) -> Png {
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgba);
        Png { width: info.width as usize, height: info.height as usize, rgba: buf }
    }

    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        let k = (y * self.width + x) * 4;
        [self.rgba[k], self.rgba[k + 1], self.rgba[k + 2]]
    }

    /// The swimmer's colours are warm (red over blue); the fluid-tinted ground and the sky are blue.
    fn warm(&self, x: usize, y: usize) -> bool {
        let [r, _, b] = self.at(x, y);
        r as i32 > b as i32 + 40
    }
}

fn distance_to_segment(p: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    let (ab, ap) = ([b[0] - a[0], b[1] - a[1]], [p[0] - a[0], p[1] - a[1]]);
    let t = ((ap[0] * ab[0] + ap[1] * ab[1]) / (ab[0] * ab[0] + ab[1] * ab[1]).max(1e-6)).clamp(0.0, 1.0);
    let q = [a[0] + t * ab[0] - p[0], a[1] + t * ab[1] - p[1]];
    (q[0] * q[0] + q[1] * q[1]).sqrt()
}

#[test]
fn swimmer_frames_show_the_swimmer_where_its_pose_says_and_it_moves() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frames");
    let env = envs::make("Swimmer6-v0").unwrap();
    let policy = controllers::make("ncap", env.spec(), None).unwrap();
    let sim = Simulation::new(env, policy, 0).unwrap();
    let opts = RecordOptions { dir: out.clone(), frames: 8, steps_per_frame: 5, width: 640, height: 360 };
    let report = viewer::record(sim, &opts).unwrap();
    assert_eq!(report.frames.len(), 8);

    let mut centres_first = None;
    for frame in &report.frames {
        let img = Png::read(&out.join(&frame.file));
        assert_eq!((img.width, img.height), (640, 360));
        // Not blank: many distinct colours.
        let mut colours: Vec<[u8; 3]> = (0..img.height).step_by(4).flat_map(|y| (0..img.width).step_by(4).map(move |x| (x, y))).map(|(x, y)| img.at(x, y)).collect();
        colours.sort();
        colours.dedup();
        assert!(colours.len() > 20, "frame {}: only {} colours", frame.index, colours.len());

        // Every body's projected centre is on swimmer-coloured pixels.
        let centres: Vec<[f32; 2]> = frame.bodies.iter().map(|(name, p)| p.unwrap_or_else(|| panic!("{name} off-screen"))).collect();
        for (c, (name, _)) in centres.iter().zip(&frame.bodies) {
            let (x, y) = (c[0].round() as usize, c[1].round() as usize);
            let hit = (y.saturating_sub(1)..=y + 1).any(|yy| (x.saturating_sub(1)..=x + 1).any(|xx| img.warm(xx, yy)));
            assert!(hit, "frame {}: {name} at ({x}, {y}) is {:?}, not the swimmer", frame.index, img.at(x, y));
        }
        // And swimmer-coloured pixels appear only along the body (outside the HUD panel).
        let spacing = centres.windows(2).map(|w| ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt()).fold(0.0, f32::max);
        let hud = frame.hud_rect.expect("the HUD is laid out");
        assert!(hud[2] < 0.5 * img.width as f32 && hud[3] < 0.7 * img.height as f32, "HUD panel {hud:?} covers the view");
        let (mut warm, mut stray) = (0, 0);
        for y in 0..img.height {
            for x in 0..img.width {
                let p = [x as f32 + 0.5, y as f32 + 0.5];
                if (hud[0]..=hud[2]).contains(&p[0]) && (hud[1]..=hud[3]).contains(&p[1]) || !img.warm(x, y) {
                    continue;
                }
                warm += 1;
                let d = centres.windows(2).map(|w| distance_to_segment(p, w[0], w[1])).fold(f32::INFINITY, f32::min);
                if d > 0.75 * spacing + 3.0 {
                    stray += 1;
                }
            }
        }
        assert!(warm > 30, "frame {}: the swimmer covers only {warm} pixels", frame.index);
        assert!(stray <= warm / 50, "frame {}: {stray} of {warm} swimmer-coloured pixels lie off the body", frame.index);
        centres_first.get_or_insert(centres);
    }
    // It moves: the body's shape (relative to its centre; the camera follows the centre) changes.
    let first = centres_first.unwrap();
    let last: Vec<[f32; 2]> = report.frames.last().unwrap().bodies.iter().map(|(_, p)| p.unwrap()).collect();
    let moved = first.iter().zip(&last).map(|(a, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()).fold(0.0, f32::max);
    assert!(moved > 5.0, "the swimmer's pixels moved at most {moved:.1} px over {:.2} s", report.frames.last().unwrap().time);
    let (a, b) = (Png::read(&out.join(&report.frames[0].file)), Png::read(&out.join(&report.frames[7].file)));
    let changed = a.rgba.chunks(4).zip(b.rgba.chunks(4)).filter(|(p, q)| p != q).count();
    assert!(changed > 100, "only {changed} pixels changed between the first and last frames");

    // frames.json is there; recording again into the same directory is refused.
    assert!(out.join("frames.json").exists());
    let env = envs::make("Swimmer6-v0").unwrap();
    let policy = controllers::make("ncap", env.spec(), None).unwrap();
    let err = viewer::record(Simulation::new(env, policy, 0).unwrap(), &opts).unwrap_err().to_string();
    assert!(err.contains("already exists and is not empty"), "{err}");
    // Nothing half-written next to it.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("frames")]);
}

#[test]
fn an_env_without_a_render_state_is_refused_with_a_message() {
    // Pendulum draws its rod, so wrap an env whose render state is empty.
    struct Blind(Box<dyn envs::Env>);
    impl envs::Env for Blind {
        fn spec(&self) -> &envs::EnvSpec {
            self.0.spec()
        }
        fn reset(&mut self, seed: Option<u64>, obs: &mut [f32], info: &mut envs::Info) -> Result<(), envs::EnvError> {
            self.0.reset(seed, obs, info)
        }
        fn step(&mut self, action: &[f32], obs: &mut [f32], info: &mut envs::Info) -> Result<envs::Step, envs::EnvError> {
            self.0.step(action, obs, info)
        }
        fn render_state(&self) -> envs::RenderState {
            envs::RenderState::default()
        }
    }
    let env: Box<dyn envs::Env> = Box::new(Blind(envs::make("Pendulum-v1").unwrap()));
    let policy = controllers::make("zero", env.spec(), None).unwrap();
    let sim = Simulation::new(env, policy, 0).unwrap();
    let opts = RecordOptions { dir: std::env::temp_dir().join("never-written"), frames: 1, steps_per_frame: 1, width: 64, height: 64 };
    let err = viewer::record(sim, &opts).unwrap_err().to_string();
    assert!(err.contains("has no render state"), "{err}");
    assert!(!opts.dir.exists());
}

#[test]
fn no_display_says_to_record_instead() {
    for display in [None, Some(""), Some(":987")] {
        let err = viewer::check_display_value(display.map(Into::into)).unwrap_err();
        assert!(matches!(err, viewer::ViewError::NoDisplay(_)));
        assert!(err.to_string().contains("--record DIR --frames K"), "{err}");
    }
}

#[test]
fn hand_frames_show_the_hand_the_object_and_the_goal_as_a_ghost() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frames");
    let env = envs::make("HandBlockRotateZ-v0").unwrap();
    let policy = controllers::make("zero", env.spec(), None).unwrap();
    let sim = Simulation::new(env, policy, 0).unwrap();
    let opts = RecordOptions { dir: out.clone(), frames: 2, steps_per_frame: 1, width: 640, height: 360 };
    let report = viewer::record(sim, &opts).unwrap();
    let img = Png::read(&out.join(&report.frames[1].file));
    // Below the HUD's text (white, in the top 100 rows).
    let pixels: Vec<[u8; 3]> = (100..img.height).flat_map(|y| (0..img.width).map(move |x| (x, y))).map(|(x, y)| img.at(x, y)).collect();
    let count = |f: &dyn Fn([u8; 3]) -> bool| pixels.iter().filter(|&&p| f(p)).count();
    // The hand: warm colours; the block: pale (every channel bright, little tint); the target
    // orientation's ghost: green over the background, blended (the viewer's ghost colour is
    // sRGB (0.2, 0.9, 0.4) at opacity 0.35, so never that saturated green itself).
    let hand = count(&|[r, _, b]| r as i32 > b as i32 + 40);
    let block = count(&|[r, g, b]| r > 150 && g > 150 && b > 150 && (r as i32 - b as i32).abs() < 40);
    let ghost = count(&|[r, g, b]| g as i32 > r as i32 + 25 && g as i32 > b as i32 + 10);
    let solid_green = count(&|[r, g, b]| r < 80 && g > 200 && b < 130);
    eprintln!("hand {hand} px, block {block} px, ghost {ghost} px, solid green {solid_green} px");
    // Measured (640×360, llvmpipe): hand 4657, block ≈ 500, ghost 2966, solid green 0.
    assert!(hand > 2000, "hand: {hand} warm pixels");
    assert!(block > 200, "block: {block} pale pixels");
    assert!(ghost > 200, "ghost: {ghost} green pixels");
    assert!(solid_green < ghost / 10, "the ghost looks opaque: {solid_green} of {ghost} green pixels fully saturated");
}
