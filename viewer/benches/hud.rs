//! The HUD's per-frame work without rendering: status text, action bars and the circuit view
//! from NCAP's activity (Swimmer6), and one env step for scale. The Bevy-side update (copying
//! these into UI nodes) is timed by `nerve view --record`, which reports it per frame.

use criterion::{criterion_group, criterion_main, Criterion};
use viewer::hud::{action_bars, status_lines, CircuitView};
use viewer::Simulation;

fn hud(c: &mut Criterion) {
    let env = envs::make("Swimmer6-v0").unwrap();
    let policy = controllers::make("ncap", env.spec(), None).unwrap();
    let mut sim = Simulation::new(env, policy, 0).unwrap();
    sim.step().unwrap();
    c.bench_function("hud/swimmer6_ncap_model", |b| {
        b.iter(|| {
            let lines = status_lines(&sim);
            let bars = action_bars(&sim);
            let view = sim.policy().activity().map(|a| CircuitView::from_activity(&a));
            std::hint::black_box((lines, bars, view));
        })
    });
    c.bench_function("hud/swimmer6_env_step", |b| b.iter(|| sim.step().unwrap()));
}

criterion_group!(benches, hud);
criterion_main!(benches);
