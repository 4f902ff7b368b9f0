//! `nerve`: embodied-control environments and controllers, from the command line.

mod bench_cli;
mod cli_error;
mod curves;
mod eval;
mod list;
mod perf;
mod trace;
mod train;
mod view;

use clap::{Parser, Subcommand};

pub use cli_error::CliError;

#[derive(Parser)]
#[command(name = "nerve", version, about = "Embodied-control environments and controllers: Rapier bodies, C. elegans circuits, RL.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the registered envs (with their spaces) and the controllers.
    List(list::ListArgs),
    /// Run a controller on an env for some episodes and report the returns.
    Eval(eval::EvalArgs),
    /// Measure env steps per second: one env on one thread, and a VecEnv on all cores.
    Perf(perf::PerfArgs),
    /// Train a policy on an env with a learner; writes a run directory.
    Train(train::TrainArgs),
    /// Learning curves of several runs: the mean over seeds with its band, steps to a threshold.
    Curves(curves::CurvesArgs),
    /// Run a benchmark scenario (scenarios/*.toml): its grid of cells, resumable, then its report.
    Bench(bench_cli::BenchArgs),
    /// Watch an env with a controller or checkpoint (window), or record it headless (--record).
    View(view::ViewArgs),
}

fn main() {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`nerve bench … --dry-run | head`)
    // would panic; the default action ends the process quietly, as other CLI tools do.
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // candle's CPU matmuls read RAYON_NUM_THREADS: on this suite's small networks one thread is
    // several times faster than splitting them. (Envs, populations and evaluations use their own
    // explicit pools.) Set before any thread starts; a user's setting wins.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List(args) => list::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Perf(args) => perf::run(args),
        Command::Train(args) => train::run(args),
        Command::View(args) => view::run(args),
        Command::Bench(args) => bench_cli::run(args),
        Command::Curves(args) => curves::run(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
