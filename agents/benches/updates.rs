//! One update step of each off-policy learner (SAC, TD3) with 64×64 and 256×256 networks, batch
//! 256, Pendulum-v1's shapes, from a replay buffer of random transitions; and the matmul peak
//! that the update's FLOP rate is compared with (a 512×512×512 f32 matmul on one thread, with
//! the `gemm` kernels the networks call). `cargo bench -p agents --bench updates`.

use std::hint::black_box;

use agents::learners::sac::{Sac, SacConfig};
use agents::learners::td3::{Td3, Td3Config, Variant};
use agents::learners::{timing_replay, timing_spec};
use controllers::{Activation, MlpConfig};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;

fn updates(c: &mut Criterion) {
    let (d, a) = (3, 1);
    let mut group = c.benchmark_group("update");
    group.throughput(Throughput::Elements(1));
    for h in [64, 256] {
        let hidden = vec![h, h];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        let replay = timing_replay(d, a, &mut rng);
        let cfg = SacConfig { hidden: hidden.clone(), ..SacConfig::default() };
        let actor = MlpConfig { hidden: hidden.clone(), activation: Activation::Relu, ..MlpConfig::default() };
        let mut sac = Sac::new(&cfg, &actor, d, &[-1.0], &[1.0], &mut rng);
        let mut step = 0;
        group.bench_function(format!("sac/{h}x{h}"), |b| {
            b.iter(|| {
                step += 1;
                black_box(sac.update(&replay, step, &mut rng, None).unwrap());
            })
        });
        let cfg = Td3Config { hidden: hidden.clone(), ..Td3Config::default() };
        let spec = timing_spec(d, a);
        let action_box = spec.action_space.as_box().unwrap().clone();
        let policy: toml::Table = toml::from_str(&format!("hidden = [{h}, {h}]\nactivation = \"relu\"")).unwrap();
        let mut td3 = Td3::new("td3", &cfg, Variant::Td3, "mlp", Some(&policy), &spec, &action_box, &mut rng).unwrap();
        group.bench_function(format!("td3/{h}x{h}"), |b| b.iter(|| black_box(td3.update(&replay, &mut rng, None).unwrap())));
    }
    group.finish();
}

fn matmul_peak(c: &mut Criterion) {
    let n = 512;
    let (x, y) = (vec![0.5_f32; n * n], vec![0.25_f32; n * n]);
    let mut z = vec![0.0_f32; n * n];
    let mut group = c.benchmark_group("matmul");
    group.throughput(Throughput::Elements(2 * (n * n * n) as u64));
    group.bench_function("f32_512_one_thread", |b| b.iter(|| agents::nets::dense::matmul_f32(n, n, n, &mut z, black_box(&x), black_box(&y))));
    group.finish();
}

criterion_group!(benches, updates, matmul_peak);
criterion_main!(benches);
