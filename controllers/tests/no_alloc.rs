//! The spiking controller and the PID allocate nothing per control step (a counting global
//! allocator; this test binary holds only this test, so nothing else allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn snn_and_pid_act_without_allocating() {
    let env = envs::make("BlimpAltitude-v0").unwrap();
    for name in ["snn", "snn-pd", "pid"] {
        let mut policy = controllers::make(name, env.spec(), None).unwrap();
        policy.reset(Some(0));
        let mut action = [0.0f32];
        let obs: Vec<[f32; 4]> = (0..1000).map(|k| [1.5, 1.5 + ((k % 50) as f32 - 25.0) / 50.0, 0.01 * (k % 7) as f32, 0.0]).collect();
        policy.act(&obs[0], &mut action);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        for o in &obs {
            policy.act(o, &mut action);
            std::hint::black_box(policy.activity());
            std::hint::black_box(policy.work());
        }
        let allocated = ALLOCATIONS.load(Ordering::Relaxed) - before;
        assert_eq!(allocated, 0, "{name}: {allocated} allocations in 1000 control steps");
    }
}
