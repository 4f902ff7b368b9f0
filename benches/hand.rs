//! The hand tasks' throughput: `cargo bench --bench hand`.
//!
//! * `hand_env/<id>/step`: one env step (0.04 s: 5 physics substeps of 8 ms) with seeded random
//!   actions, resets included, on one thread, for HandReach-v0 (no object) and HandBlock-v0 (the
//!   block, Gymnasium-Robotics' HandManipulateBlock).
//! * `hand_vec_env/HandBlock-v0`: 8 envs stepped on one thread and on all cores.
//!
//! The physics substep alone: `cargo bench -p bodies --bench hand`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use envs::{AutoresetMode, Info, VecEnv};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;

fn single_env(c: &mut Criterion) {
    let mut group = c.benchmark_group("hand_env");
    group.throughput(Throughput::Elements(1));
    for id in ["HandReach-v0", "HandBlock-v0"] {
        let mut env = envs::make(id).unwrap();
        let spec = env.spec().clone();
        let mut obs = vec![0.0; spec.obs_dim()];
        let mut info = Info::default();
        env.reset(Some(0), &mut obs, &mut info).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        let mut action = vec![0.0; spec.act_dim()];
        let space = spec.action_space.as_box().unwrap().clone();
        group.bench_function(format!("{id}/step"), |b| {
            b.iter(|| {
                space.sample_into(&mut rng, &mut action);
                if env.step(black_box(&action), &mut obs, &mut info).unwrap().done() {
                    env.reset(None, &mut obs, &mut info).unwrap();
                }
            })
        });
    }
    group.finish();
}

fn vec_env(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let num_envs = 8;
    let mut group = c.benchmark_group("hand_vec_env");
    group.throughput(Throughput::Elements(num_envs as u64));
    for threads in [1, cores] {
        let mut venv = VecEnv::make("HandBlock-v0", num_envs, None, AutoresetMode::SameStep).unwrap().with_threads(threads).unwrap();
        venv.reset(Some(0)).unwrap();
        let actions = vec![0.1f32; num_envs * venv.spec().act_dim()];
        group.bench_function(format!("HandBlock-v0/x{num_envs}/{threads}_threads"), |b| b.iter(|| venv.step(black_box(&actions)).unwrap()));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = single_env, vec_env
}
criterion_main!(benches);
