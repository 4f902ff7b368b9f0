//! `nerve curves`: learning curves of several runs over seeds — the mean over each group of
//! runs that trained the same thing, the band from its worst to its best seed, and steps to
//! reach a threshold (agents::run::curves).

use std::path::PathBuf;

use agents::run::curves::{load_groups, steps_to_reach};
use agents::run::plot::{seed_curves, steps_label, value_label};
use clap::Args;

use crate::CliError;

#[derive(Args)]
pub struct CurvesArgs {
    /// Run directories written by `nerve train` (runs with the same config but the seed form one
    /// group).
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// The evaluation metric: a column of the runs' eval_metrics.csv (e.g. is_success, distance)
    /// or metrics.csv (e.g. eval_return). Default: is_success where every run logs it, else
    /// eval_return.
    #[arg(long)]
    metric: Option<String>,
    /// Report when each group's mean (and each seed) first reaches this value, and draw it.
    #[arg(long, allow_hyphen_values = true)]
    threshold: Option<f64>,
    /// Smaller is better for this metric (a distance, an error): "reaches" means at or below.
    #[arg(long)]
    lower_is_better: bool,
    /// Write the figure to OUT.png and OUT.svg.
    #[arg(long, default_value = "curves")]
    out: PathBuf,
    /// The figure's title (default: the metric against env steps).
    #[arg(long)]
    title: Option<String>,
}

pub fn run(args: CurvesArgs) -> Result<(), CliError> {
    if let Some(t) = args.threshold {
        if !t.is_finite() {
            return Err(CliError(format!("--threshold {t}: expected a finite number")));
        }
    }
    let (metric, groups) = load_groups(&args.runs, args.metric.as_deref())?;
    let title = args.title.clone().unwrap_or_else(|| format!("{metric} against env steps"));
    seed_curves(&args.out, &title, &metric, &groups, args.threshold)?;
    println!("{metric}: {} run(s) in {} group(s)", args.runs.len(), groups.len());
    for group in &groups {
        println!();
        println!("{}", group.label);
        match group.points.last() {
            Some(last) => println!(
                "  {} seed(s); at {} env steps (the last evaluation all have reached): mean {}, worst {}, best {}",
                group.runs.len(),
                steps_label(last.env_steps),
                value_label(last.mean),
                value_label(if args.lower_is_better { last.max } else { last.min }),
                value_label(if args.lower_is_better { last.min } else { last.max })
            ),
            None => println!("  {} seed(s); no evaluation step that all of them have reached", group.runs.len()),
        }
        if let Some(t) = args.threshold {
            let reach = |points: Vec<(f64, f64)>| steps_to_reach(points, t, args.lower_is_better).map_or("not reached".to_string(), steps_label);
            println!("  steps to reach {}: mean {}", value_label(t), reach(group.points.iter().map(|p| (p.env_steps, p.mean)).collect()));
            for r in &group.runs {
                let last = r.points.last().map_or("no evaluations".to_string(), |p| format!("last {} at {}", value_label(p.1), steps_label(p.0)));
                println!("    seed {:<4} {:>12}   ({last}; {})", r.seed, reach(r.points.clone()), r.dir.display());
            }
        }
    }
    println!();
    println!("wrote {} and {}", args.out.with_extension("png").display(), args.out.with_extension("svg").display());
    Ok(())
}
