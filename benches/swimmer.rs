//! Swimmer throughput: one env on one thread, and a VecEnv on one thread and on all cores.
//! `cargo bench --bench swimmer`; the side-by-side with dm_control is `tools/fidelity/compare.sh`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use envs::{AutoresetMode, Info, VecEnv};

fn actions(count: usize, dim: usize) -> Vec<f32> {
    (0..count * dim).map(|k| ((k * 7919) % 2001) as f32 / 1000.0 - 1.0).collect()
}

fn single_env(c: &mut Criterion) {
    let mut group = c.benchmark_group("swimmer_env");
    group.throughput(Throughput::Elements(1));
    for n in [6, 13] {
        let mut env = envs::make(&format!("Swimmer{n}-v0")).unwrap();
        let dim = env.spec().act_dim();
        let acts = actions(1000, dim);
        let mut obs = vec![0.0; env.spec().obs_dim()];
        let mut info = Info::default();
        env.reset(Some(0), &mut obs, &mut info).unwrap();
        let mut k = 0;
        group.bench_function(format!("Swimmer{n}-v0/step"), |b| {
            b.iter(|| {
                let a = &acts[(k % 1000) * dim..][..dim];
                k += 1;
                if env.step(black_box(a), &mut obs, &mut info).unwrap().done() {
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
    let mut group = c.benchmark_group("swimmer_vec_env");
    group.throughput(Throughput::Elements(num_envs as u64));
    for threads in [1, cores] {
        let mut venv = VecEnv::make("Swimmer6-v0", num_envs, None, AutoresetMode::SameStep).unwrap().with_threads(threads).unwrap();
        venv.reset(Some(0)).unwrap();
        let acts = actions(num_envs, 5);
        group.bench_function(format!("Swimmer6-v0/x{num_envs}/{threads}_threads"), |b| b.iter(|| venv.step(black_box(&acts)).unwrap()));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = single_env, vec_env
}
criterion_main!(benches);
