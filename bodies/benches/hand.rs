//! The Shadow hand's physics cost: `cargo bench -p bodies --bench hand`.
//!
//! * `hand/substep`: one physics substep (8 ms, one solver iteration) of the 24-hinge multibody,
//!   servo targets moving, no object.
//! * `hand/control_period`: one 0.04 s control period (5 substeps), new random targets each
//!   period: what one hand env step costs in physics.

use std::hint::black_box;

use bodies::hand::kinematics::{ACTUATORS, LINKS, N_ACTUATORS};
use bodies::hand::{Hand, HandParams};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

fn targets(rng: &mut Xoshiro256PlusPlus) -> [f64; N_ACTUATORS] {
    std::array::from_fn(|a| {
        let [lo, hi] = LINKS[ACTUATORS[a].joint + 1].range;
        rng.random_range(lo..=hi)
    })
}

fn hand(c: &mut Criterion) {
    let mut group = c.benchmark_group("hand");
    group.throughput(Throughput::Elements(1));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut hand = Hand::new(HandParams::default()).unwrap();
    let mut k = 0u64;
    group.bench_function("substep", |b| {
        b.iter(|| {
            k += 1;
            if k % 8 == 0 {
                hand.set_targets(&targets(&mut rng)).unwrap();
            }
            hand.step(1);
            black_box(hand.joint_positions()[5])
        })
    });
    let substeps = (0.04 / hand.params().physics_dt).round() as usize;
    group.bench_function("control_period", |b| {
        b.iter(|| {
            hand.set_targets(&targets(&mut rng)).unwrap();
            hand.step(substeps);
            black_box(hand.joint_positions()[5])
        })
    });
    group.finish();
}

criterion_group!(benches, hand);
criterion_main!(benches);
