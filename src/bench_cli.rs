//! `nerve bench FILE`: a scenario's grid of cells, run in parallel and resumable, then its report.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ::bench::grid::{CellKind, Grid};
use ::bench::report::{Machine, Provenance};
use ::bench::runner::{self, Event, GridOutcome};
use ::bench::{cell::CellStore, Scenario};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::CliError;

impl From<::bench::BenchError> for CliError {
    fn from(e: ::bench::BenchError) -> Self {
        CliError(e.0)
    }
}

#[derive(Args)]
pub struct BenchArgs {
    /// Scenario file, e.g. scenarios/ncap-vs-mlp.toml.
    file: PathBuf,
    /// Cells run side by side, one thread each (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// List the cells and their budgets (and which are finished); run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Multiply every training budget and learning-curve point (e.g. 0.01 for a smoke run).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Rebuild the report from the finished cells; run nothing.
    #[arg(long, conflicts_with_all = ["dry_run", "cell"])]
    report_only: bool,
    /// Run this one cell (its key from --dry-run) and nothing else; another scheduler can spread
    /// a grid this way, and a later `nerve bench FILE` assembles the report.
    #[arg(long, conflicts_with = "dry_run")]
    cell: Option<String>,
    /// Output folder (default: results/bench/<scenario>, or results/bench/<scenario>-x<scale>
    /// when --scale is not 1).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: BenchArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let scenario = Scenario::load(&args.file)?;
    // Cells are keyed by the sources the binary is built from (see build.rs): a commit that only
    // touches docs or tests keeps every finished cell, any code change reruns them.
    let build = format!("src-{}", &env!("NERVE_SOURCE_HASH")[..32]);
    let grid = Grid::expand(&scenario, args.scale, &build)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let name = if args.scale == 1.0 { scenario.name.clone() } else { format!("{}-x{}", scenario.name, args.scale) };
        PathBuf::from("results/bench").join(name)
    });
    let store = CellStore::new(&out);
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |c| c.get()));
    if jobs == 0 {
        return Err(CliError("--jobs 0: expected at least one worker".into()));
    }

    if args.dry_run {
        return dry_run(&scenario, &grid, &store);
    }
    if args.report_only {
        let records = runner::finished_records(&grid, &store)?;
        return report(&scenario, &grid, &records, &out, jobs, started);
    }
    let only: Option<Vec<usize>> = match &args.cell {
        None => None,
        Some(key) => Some(vec![grid.find(key).ok_or_else(|| {
            CliError(format!("--cell {key}: no cell with that key in {} at --scale {} for this build; `nerve bench {} --dry-run` lists them", args.file.display(), args.scale, args.file.display()))
        })?]),
    };

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\nstopping: running learners checkpoint after their iteration; run the same command to resume (Ctrl-C again to quit at once)");
        })
        .map_err(|e| CliError(format!("cannot install the Ctrl-C handler: {e}")))?;
    }

    let selected = |i: usize| only.as_ref().is_none_or(|o| o.contains(&i));
    let n_cells = only.as_ref().map_or(grid.cells.len(), Vec::len);
    let total: u64 = (0..grid.cells.len()).filter(|&i| selected(i)).map(|i| grid.cells[i].budget_env_steps).sum();
    println!(
        "bench {} · {} cells · {} env steps at most · --jobs {jobs} · --scale {} → {}",
        scenario.name,
        n_cells,
        total,
        args.scale,
        out.display()
    );
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {human_pos}/{human_len} env steps, {per_sec}, eta {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let (mut done, mut reused) = (0usize, 0usize);
    bar.set_message(format!("cells 0/{n_cells}"));
    let outcome = runner::run_grid(&scenario, &grid, &store, jobs, only.as_deref(), &stop, |event| match *event {
        Event::Reused { index } if selected(index) => {
            reused += 1;
            done += 1;
            bar.inc(grid.cells[index].budget_env_steps);
            bar.set_message(format!("cells {done}/{n_cells}"));
        }
        Event::Steps { env_steps, .. } => bar.inc(env_steps),
        Event::Finished { .. } => {
            done += 1;
            bar.set_message(format!("cells {done}/{n_cells}"));
        }
        _ => {}
    })?;
    bar.finish_and_clear();
    if reused > 0 {
        println!("reused {reused} finished cells (same key: same config, seeds and build)");
    }
    match outcome {
        GridOutcome::Stopped { finished } if only.is_none() || stop.load(Ordering::Relaxed) => {
            println!("stopped with {finished} of {} cells finished; run the same command to resume", grid.cells.len());
            std::process::exit(130);
        }
        GridOutcome::Stopped { .. } => {
            let key = &grid.cells[only.as_ref().expect("one cell")[0]].key;
            println!("cell {key} finished: {}", store.cell_dir(key).join("record.json").display());
            Ok(())
        }
        GridOutcome::Done(records) => {
            if let Some(o) = &only {
                println!("cell {} finished: {}", grid.cells[o[0]].key, store.cell_dir(&grid.cells[o[0]].key).join("record.json").display());
            }
            report(&scenario, &grid, &records, &out, jobs, started)
        }
    }
}

fn dry_run(scenario: &Scenario, grid: &Grid, store: &CellStore) -> Result<(), CliError> {
    println!("{}: {}", scenario.name, scenario.question);
    println!("{:<20} {:<22} {:<28} {:<10} {:>12}  status", "key", "entry", "env", "run", "env steps");
    let mut finished = 0;
    for cell in &grid.cells {
        let entry = &scenario.entries[cell.entry];
        let run = match &cell.kind {
            CellKind::Controller => format!("{} eps", scenario.eval_seeds.len()),
            CellKind::Learner { seed, .. } => format!("seed {seed}"),
            CellKind::Transfer { seed, .. } => format!("from {seed}"),
        };
        let done = store.finished(cell)?.is_some();
        finished += done as usize;
        println!(
            "{:<20} {:<22} {:<28} {:<10} {:>12}  {}",
            cell.key,
            entry.name,
            scenario.variants[cell.variant].label,
            run,
            cell.budget_env_steps,
            if done { "finished" } else { "to run" }
        );
    }
    println!("{} cells, {finished} finished; {} env steps in all (training and evaluation at most)", grid.cells.len(), grid.budget_env_steps());
    Ok(())
}

fn report(scenario: &Scenario, grid: &Grid, records: &[::bench::cell::CellRecord], out: &std::path::Path, jobs: usize, started: Instant) -> Result<(), CliError> {
    let provenance = Provenance {
        nerve_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: env!("NERVE_GIT_COMMIT").to_string(),
        build: grid.build.clone(),
        scenario_file: scenario.path.display().to_string(),
        scenario_hash: ::bench::hash_hex(scenario.text.as_bytes()),
        machine: Machine::this(),
        date: ::bench::report::utc_now(),
        cells_wall_time_s: records.iter().map(|r| r.wall_time_s).sum(),
        wall_time_s: started.elapsed().as_secs_f64(),
        jobs,
        scale: grid.scale,
    };
    let value = ::bench::write_report(scenario, grid, records, out, &provenance)?;
    println!("{}", value["answer"].as_str().unwrap_or(""));
    println!("wrote {}/{{report.md, report.json, scores.csv, scores.json, curves.csv}}", out.display());
    Ok(())
}
