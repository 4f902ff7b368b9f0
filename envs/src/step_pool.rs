//! A fork-join pool tuned for stepping envs: persistent workers that spin briefly between
//! steps instead of sleeping at once.
//!
//! A vectorised env step is short (tens of µs per env) and repeated millions of times. A
//! general-purpose pool (rayon) parks idle workers on a futex, and waking one costs ~25 µs on
//! a virtual machine: as much as stepping an env. Here each worker spins on an epoch counter
//! for [`SPIN`] before parking, and the calling thread runs share 0 itself, so back-to-back
//! steps never wait for a wake-up, and a pool that goes idle stops burning its cores.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle worker spins before parking.
pub const SPIN: Duration = Duration::from_micros(200);

/// The job of one fork-join round: called once per share index, concurrently.
type Job<'a> = dyn Fn(usize) + Sync + 'a;

struct Shared {
    /// Incremented once per round; workers run the job when they see a new value.
    epoch: AtomicU64,
    /// Workers that have not yet finished the current round.
    pending: AtomicUsize,
    /// The current round's job, valid while `pending > 0` (see `run`).
    job: Mutex<Option<&'static Job<'static>>>,
    /// Parking for idle workers.
    wake: Condvar,
    parked: Mutex<()>,
    shutdown: AtomicBool,
    /// A panic raised by a job in a worker, re-raised on the calling thread.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

/// `workers` persistent threads plus the calling thread: `run(job)` calls `job(0)` on the caller
/// and `job(1..=workers)` on the workers, and returns when all have finished.
pub struct StepPool {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
}

impl StepPool {
    pub fn new(workers: usize) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            pending: AtomicUsize::new(0),
            job: Mutex::new(None),
            wake: Condvar::new(),
            parked: Mutex::new(()),
            shutdown: AtomicBool::new(false),
            panic: Mutex::new(None),
        });
        let mut handles = Vec::with_capacity(workers);
        for index in 1..=workers {
            let shared = Arc::clone(&shared);
            let handle = std::thread::Builder::new().name(format!("nerve-step-{index}")).spawn(move || worker(&shared, index))?;
            handles.push(handle);
        }
        Ok(Self { shared, handles })
    }

    /// Threads taking part in a round: the workers and the caller.
    pub fn threads(&self) -> usize {
        self.handles.len() + 1
    }

    /// Runs `job(i)` for every `i` in `0..self.threads()`, `job(0)` on the calling thread.
    pub fn run(&self, job: &Job<'_>) {
        let workers = self.handles.len();
        if workers == 0 {
            job(0);
            return;
        }
        // SAFETY: the job's lifetime is erased to store it in the shared slot. It is only called
        // by workers that saw this round's epoch, and `run` does not return (not even by
        // unwinding: `job(0)` is caught) until every worker has finished it and the slot is
        // cleared, so no reference outlives the borrow.
        let erased: &'static Job<'static> = unsafe { std::mem::transmute::<&Job<'_>, &'static Job<'static>>(job) };
        *self.shared.job.lock().unwrap_or_else(|e| e.into_inner()) = Some(erased);
        self.shared.pending.store(workers, Ordering::Release);
        self.shared.epoch.fetch_add(1, Ordering::AcqRel);
        {
            let _guard = self.shared.parked.lock().unwrap_or_else(|e| e.into_inner());
            self.shared.wake.notify_all();
        }
        let own = catch_unwind(AssertUnwindSafe(|| job(0)));
        let start = Instant::now();
        while self.shared.pending.load(Ordering::Acquire) != 0 {
            if start.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        *self.shared.job.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if let Err(payload) = own {
            std::panic::resume_unwind(payload);
        }
        if let Some(payload) = self.shared.panic.lock().unwrap_or_else(|e| e.into_inner()).take() {
            std::panic::resume_unwind(payload);
        }
    }
}

fn worker(shared: &Shared, index: usize) {
    let mut seen = 0;
    loop {
        let mut idle_since = Instant::now();
        loop {
            if shared.shutdown.load(Ordering::Acquire) {
                return;
            }
            let epoch = shared.epoch.load(Ordering::Acquire);
            if epoch != seen {
                seen = epoch;
                break;
            }
            if idle_since.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                let guard = shared.parked.lock().unwrap_or_else(|e| e.into_inner());
                // Re-check under the lock: `run` notifies while holding it, so no wake-up is lost.
                if shared.epoch.load(Ordering::Acquire) == seen && !shared.shutdown.load(Ordering::Acquire) {
                    drop(shared.wake.wait_timeout(guard, Duration::from_millis(50)).unwrap_or_else(|e| e.into_inner()));
                }
                idle_since = Instant::now();
            }
        }
        let job = *shared.job.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(job) = job {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job(index))) {
                *shared.panic.lock().unwrap_or_else(|e| e.into_inner()) = Some(payload);
            }
        }
        shared.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for StepPool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Release);
        {
            let _guard = self.shared.parked.lock().unwrap_or_else(|e| e.into_inner());
            self.shared.wake.notify_all();
        }
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_share_runs_once_per_round() {
        let pool = StepPool::new(3).unwrap();
        let counts: Vec<AtomicUsize> = (0..4).map(|_| AtomicUsize::new(0)).collect();
        for round in 0..1000 {
            pool.run(&|i| {
                counts[i].fetch_add(1, Ordering::Relaxed);
            });
            // Idle gaps longer than the spin make the workers park; they must still wake.
            if round % 250 == 0 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 1000));
    }

    #[test]
    fn a_worker_panic_reaches_the_caller() {
        let pool = StepPool::new(1).unwrap();
        let result = catch_unwind(AssertUnwindSafe(|| pool.run(&|i| assert!(i == 0, "share {i} failed"))));
        assert!(result.is_err());
        let ran = AtomicUsize::new(0);
        pool.run(&|_| {
            ran.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(ran.load(Ordering::Relaxed), 2, "the pool still works");
    }
}
