//! Electric-drive envs' throughput: `cargo bench --bench motor`. One env step on one thread for
//! every motor family (speed control, continuous and finite), and a VecEnv of 64 envs on one
//! thread and on all cores; and one control step of the motor controllers (the cascaded PI of a
//! DC drive, the PMSM's field-oriented cascade, the spiking speed loop over each). GEM's speed on
//! this machine comes from `tools/gem/compare.sh`.

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

/// One `act` of each motor controller on an observation recorded mid-run (the motor turning,
/// currents flowing), so that no branch short-cuts.
fn controllers(c: &mut Criterion) {
    let mut group = c.benchmark_group("motor_controller");
    group.throughput(Throughput::Elements(1));
    for id in ["DcPermExSpeed-v0", "DcSeriesSpeed-v0", "PmsmSpeed-v0"] {
        for name in ["cascaded-pi", "snn"] {
            let mut env = envs::make(id).unwrap();
            let mut policy = controllers::make(name, env.spec(), None).unwrap();
            let mut obs = vec![0.0; env.spec().obs_dim()];
            let mut action = vec![0.0; env.spec().act_dim()];
            let mut info = Info::default();
            env.reset(Some(0), &mut obs, &mut info).unwrap();
            let mut pi = controllers::make("cascaded-pi", env.spec(), None).unwrap();
            for _ in 0..500 {
                pi.act(&obs, &mut action);
                env.step(&action, &mut obs, &mut info).unwrap();
            }
            group.bench_function(format!("{id}/{name}"), |b| b.iter(|| policy.act(black_box(&obs), &mut action)));
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2));
    targets = single_env, vec_env, controllers
}
criterion_main!(benches);
