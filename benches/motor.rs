//! Electric-drive envs' throughput: `cargo bench --bench motor`. One env step on one thread for
//! every motor family (speed control, continuous and finite), and a VecEnv of 64 envs on one
//! thread and on all cores. GEM's speed on this machine comes from `tools/gem/compare.sh`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use envs::{AutoresetMode, Info, VecEnv};

fn action_for(spec: &envs::EnvSpec, k: usize) -> Vec<f32> {
    match spec.action_space {
        envs::Space::Discrete { n } => vec![(k % n) as f32],
        _ => (0..spec.act_dim()).map(|j| 0.02 * (((k + 7 * j) % 5) as f32 - 2.0) / 2.0).collect(),
    }
}

fn single_env(c: &mut Criterion) {
    let mut group = c.benchmark_group("motor_env");
    group.throughput(Throughput::Elements(1));
    for motor in ["DcPermEx", "DcExtEx", "DcSeries", "DcShunt", "Pmsm"] {
        for suffix in ["", "Finite"] {
            let id = format!("{motor}Speed{suffix}-v0");
            let mut env = envs::make(&id).unwrap();
            let spec = env.spec().clone();
            let actions: Vec<Vec<f32>> = (0..100).map(|k| action_for(&spec, k)).collect();
            let mut obs = vec![0.0; spec.obs_dim()];
            let mut info = Info::default();
            env.reset(Some(0), &mut obs, &mut info).unwrap();
            let mut k = 0;
            group.bench_function(format!("{id}/step"), |b| {
                b.iter(|| {
                    k += 1;
                    if env.step(black_box(&actions[k % 100]), &mut obs, &mut info).unwrap().done() {
                        env.reset(None, &mut obs, &mut info).unwrap();
                    }
                })
            });
        }
    }
    group.finish();
}

fn vec_env(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let num_envs = 64;
    let mut group = c.benchmark_group("motor_vec_env");
    group.throughput(Throughput::Elements(num_envs as u64));
    for id in ["DcPermExSpeed-v0", "PmsmSpeed-v0"] {
        for threads in [1, cores] {
            let mut venv = VecEnv::make(id, num_envs, None, AutoresetMode::SameStep).unwrap().with_threads(threads).unwrap();
            venv.reset(Some(0)).unwrap();
            let dim = venv.spec().act_dim();
            let acts: Vec<f32> = (0..num_envs * dim).map(|k| 0.01 * ((k % 3) as f32 - 1.0)).collect();
            group.bench_function(format!("{id}/x{num_envs}/{threads}_threads"), |b| b.iter(|| venv.step(black_box(&acts)).unwrap()));
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2));
    targets = single_env, vec_env
}
criterion_main!(benches);
