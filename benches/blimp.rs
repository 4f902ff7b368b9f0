//! Blimp throughput and the spiking controller's cost: `cargo bench --bench blimp`.
//!
//! * `blimp_env/BlimpAltitude-v0/step`: one env step (20 Hz control, two 40 Hz physics steps) on one thread.
//! * `blimp_controller/{pid,snn}/act`: one control step of each controller (the SNN: 160 LIF
//!   neurons, 4 ticks).
//! * `blimp_vec_env`: 8 envs stepped on one thread and on all cores.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use envs::{AutoresetMode, Info, VecEnv};

fn single_env(c: &mut Criterion) {
    let mut group = c.benchmark_group("blimp_env");
    group.throughput(Throughput::Elements(1));
    let mut env = envs::make("BlimpAltitude-v0").unwrap();
    let mut obs = vec![0.0; 4];
    let mut info = Info::default();
    env.reset(Some(0), &mut obs, &mut info).unwrap();
    let mut pid = controllers::make("pid", env.spec(), None).unwrap();
    let mut action = [0.0];
    group.bench_function("BlimpAltitude-v0/step", |b| {
        b.iter(|| {
            pid.act(&obs, &mut action);
            if env.step(black_box(&action), &mut obs, &mut info).unwrap().done() {
                env.reset(None, &mut obs, &mut info).unwrap();
                pid.reset(None);
            }
        })
    });
    group.finish();
}

fn controllers_per_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("blimp_controller");
    group.throughput(Throughput::Elements(1));
    let env = envs::make("BlimpAltitude-v0").unwrap();
    for name in ["pid", "snn"] {
        let mut policy = controllers::make(name, env.spec(), None).unwrap();
        policy.reset(Some(0));
        let mut action = [0.0];
        let mut k = 0u32;
        group.bench_function(format!("{name}/act"), |b| {
            b.iter(|| {
                k = k.wrapping_add(1);
                let e = ((k % 200) as f32 - 100.0) / 100.0;
                policy.act(black_box(&[1.5, 1.5 + e, 0.1 * e, 0.0]), &mut action)
            })
        });
    }
    group.finish();
}

fn vec_env(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let num_envs = 8;
    let mut group = c.benchmark_group("blimp_vec_env");
    group.throughput(Throughput::Elements(num_envs as u64));
    for threads in [1, cores] {
        let mut venv = VecEnv::make("BlimpAltitude-v0", num_envs, None, AutoresetMode::SameStep).unwrap().with_threads(threads).unwrap();
        venv.reset(Some(0)).unwrap();
        let acts: Vec<f32> = (0..num_envs).map(|k| 0.2 + 0.05 * k as f32).collect();
        group.bench_function(format!("BlimpAltitude-v0/x{num_envs}/{threads}_threads"), |b| b.iter(|| venv.step(black_box(&acts)).unwrap()));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = single_env, controllers_per_step, vec_env
}
criterion_main!(benches);
