//! The spiking controller and the PID allocate nothing per control step (a counting global
//! allocator). Allocations are counted per thread: the test harness's own threads (its main
//! thread, output capture) may allocate while the test runs, and a process-wide counter once
//! failed CI on exactly that (2 allocations that were not the controller's).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Allocations made by this thread (a const-initialised `Cell` needs no allocation itself).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations_on_this_thread() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: a thread being torn down has no thread-locals left; its allocations do not count.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
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
        let before = allocations_on_this_thread();
        for o in &obs {
            policy.act(o, &mut action);
            std::hint::black_box(policy.activity());
            std::hint::black_box(policy.work());
        }
        let allocated = allocations_on_this_thread() - before;
        assert_eq!(allocated, 0, "{name}: {allocated} allocations in 1000 control steps");
    }
}
