//! Running a grid: finished cells are reused, the rest run on `jobs` worker threads (one cell
//! per worker, each cell single-threaded), controllers and learners first, then the transfers
//! that evaluate the learners' policies.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::cell::{run_cell, CellRecord, CellStore, Outcome};
use crate::grid::Grid;
use crate::scenario::Scenario;
use crate::BenchError;

/// What the runner tells its caller (on the caller's thread), for a progress bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Cell `index` was finished before: its record is reused.
    Reused { index: usize },
    Started { index: usize },
    /// Env steps taken by cell `index` since its last event.
    Steps { index: usize, env_steps: u64 },
    Finished { index: usize },
}

/// How a grid run ended.
#[derive(Debug)]
pub enum GridOutcome {
    /// Every cell's record, in grid order.
    Done(Vec<CellRecord>),
    /// Stopped: `finished` of the grid's cells are done; running the grid again resumes it.
    Stopped { finished: usize },
}

/// Runs the cells of `grid` that are not finished in `store`, on `jobs` threads.
/// `only`: run just these cells (their transfer sources must be finished) and return `Stopped`
/// with the count done if other cells are still missing.
pub fn run_grid(
    scenario: &Scenario,
    grid: &Grid,
    store: &CellStore,
    jobs: usize,
    only: Option<&[usize]>,
    stop: &Arc<AtomicBool>,
    mut on_event: impl FnMut(&Event),
) -> Result<GridOutcome, BenchError> {
    if jobs == 0 {
        return Err(BenchError("--jobs 0: expected at least one worker".into()));
    }
    let mut records: Vec<Option<CellRecord>> = vec![None; grid.cells.len()];
    for (i, cell) in grid.cells.iter().enumerate() {
        if let Some(r) = store.finished(cell)? {
            records[i] = Some(r);
            on_event(&Event::Reused { index: i });
        }
    }
    let selected = |i: usize| only.is_none_or(|o| o.contains(&i));
    for phase in 0..2 {
        // Cells with equal keys (e.g. a nominal env and a sweep point equal to it) are one
        // computation: run the first, and the others read its record afterwards.
        let mut todo: Vec<usize> = Vec::new();
        for i in (0..grid.cells.len()).filter(|&i| grid.cells[i].phase() == phase && records[i].is_none() && selected(i)) {
            if !todo.iter().any(|&t| grid.cells[t].key == grid.cells[i].key) {
                todo.push(i);
            }
        }
        if todo.is_empty() {
            continue;
        }
        let next = AtomicUsize::new(0);
        let failure: Mutex<Option<BenchError>> = Mutex::new(None);
        let (tx, rx) = mpsc::channel::<(Event, Option<Outcome>)>();
        std::thread::scope(|scope| {
            for _ in 0..jobs.min(todo.len()) {
                let tx = tx.clone();
                let (todo, next, failure) = (&todo, &next, &failure);
                scope.spawn(move || loop {
                    if stop.load(Ordering::Relaxed) || failure.lock().expect("not poisoned").is_some() {
                        return;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&index) = todo.get(k) else { return };
                    let _ = tx.send((Event::Started { index }, None));
                    let mut on_steps = |env_steps: u64| {
                        let _ = tx.send((Event::Steps { index, env_steps }, None));
                    };
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_cell(scenario, grid, index, store, stop, &mut on_steps)))
                        .unwrap_or_else(|panic| {
                            let what = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
                            Err(BenchError(format!("cell {}: panicked: {what}", grid.cells[index].key)))
                        });
                    match result {
                        Ok(outcome) => {
                            let _ = tx.send((Event::Finished { index }, Some(outcome)));
                        }
                        Err(e) => {
                            failure.lock().expect("not poisoned").get_or_insert(e);
                            // The other workers stop too (learners checkpoint), so the error shows now.
                            stop.store(true, Ordering::Relaxed);
                            return;
                        }
                    }
                });
            }
            drop(tx);
            for (event, outcome) in rx {
                match outcome {
                    Some(Outcome::Done(record)) => {
                        let Event::Finished { index } = event else { unreachable!("outcomes come with Finished") };
                        records[index] = Some(record);
                        on_event(&event);
                    }
                    Some(Outcome::Stopped) => {}
                    None => on_event(&event),
                }
            }
        });
        if let Some(e) = failure.into_inner().expect("not poisoned") {
            return Err(e);
        }
        let waiting: Vec<usize> = (0..grid.cells.len()).filter(|&i| grid.cells[i].phase() == phase && records[i].is_none() && selected(i)).collect();
        for i in waiting {
            if let Some(r) = store.finished(&grid.cells[i])? {
                records[i] = Some(r);
                on_event(&Event::Reused { index: i });
            }
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    let finished = records.iter().filter(|r| r.is_some()).count();
    if finished < records.len() {
        return Ok(GridOutcome::Stopped { finished });
    }
    Ok(GridOutcome::Done(records.into_iter().map(|r| r.expect("all finished")).collect()))
}

/// The records of every cell of `grid`, all of which must be finished (`--report-only`).
pub fn finished_records(grid: &Grid, store: &CellStore) -> Result<Vec<CellRecord>, BenchError> {
    let mut out = Vec::with_capacity(grid.cells.len());
    let mut missing = 0;
    for cell in &grid.cells {
        match store.finished(cell)? {
            Some(r) => out.push(r),
            None => missing += 1,
        }
    }
    if missing > 0 {
        return Err(BenchError(format!(
            "{missing} of {} cells are not finished in {} (for this build and --scale): run the bench without --report-only to run them",
            grid.cells.len(),
            store.dir.display()
        )));
    }
    Ok(out)
}
