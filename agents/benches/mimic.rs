//! The mimic-PID evolution's throughput: candidate evaluations per second (one pass of the
//! 160-neuron SNN over 8 recorded 60 s PID flights, 9600 control steps), on one thread and on
//! all cores. `cargo bench -p agents --bench mimic`.

use std::hint::black_box;

use agents::learners::mimic_pid::{record, score_population, MimicPidConfig, Stage, Teacher};
use controllers::{Policy, SnnConfig, SnnController};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn evaluations(c: &mut Criterion) {
    let mut env = envs::make("BlimpAltitude-v0").unwrap();
    let mut teacher = Teacher::new(env.spec(), &MimicPidConfig::default(), "measured_climb_rate").unwrap();
    let recordings = record(env.as_mut(), &mut teacher, 0, 0, 8).unwrap();
    let template = SnnController::new("snn", env.spec(), SnnConfig::default()).unwrap();
    let base = template.parameters().unwrap().to_vec();
    let population = 24;
    let candidates: Vec<Vec<f32>> = (0..population).map(|k| base.iter().map(|p| p * (1.0 + 0.01 * k as f32)).collect()).collect();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut group = c.benchmark_group("mimic_pid");
    group.throughput(Throughput::Elements(population as u64));
    for threads in [1, cores] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        group.bench_function(format!("evaluations/{threads}_threads"), |b| {
            b.iter(|| score_population(&pool, &template, black_box(&candidates), &recordings, Stage::Pd).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(5));
    targets = evaluations
}
criterion_main!(benches);
