use clap::Args;

use crate::CliError;

#[derive(Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ListArgs) -> Result<(), CliError> {
    let mut rows = Vec::new();
    for entry in envs::registry() {
        let env = envs::make(&entry.id)?;
        let spec = env.spec();
        rows.push((entry, spec.observation_space.to_string(), spec.action_space.to_string(), spec.dt, spec.max_episode_steps));
    }
    if args.json {
        let envs: Vec<_> = rows
            .iter()
            .map(|(e, obs, act, dt, steps)| {
                serde_json::json!({"id": e.id, "summary": e.summary, "observation_space": obs, "action_space": act, "dt": dt, "max_episode_steps": steps})
            })
            .collect();
        let ctrls: Vec<_> =
            controllers::CONTROLLERS.iter().map(|c| serde_json::json!({"name": c.name, "summary": c.summary})).collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"envs": envs, "controllers": ctrls}))?);
        return Ok(());
    }
    println!("Envs");
    let w = rows.iter().map(|r| r.0.id.chars().count()).max().unwrap_or(2).max(2);
    println!("  {:<w$} {:<32} {:<31} {:>6}  {:>5}", "id", "observation", "action", "dt (s)", "steps");
    for (e, obs, act, dt, steps) in &rows {
        let steps = steps.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
        println!("  {:<w$} {:<32} {:<31} {:>6}  {:>5}", e.id, obs, act, dt, steps);
    }
    println!("\nControllers");
    for c in controllers::CONTROLLERS {
        println!("  {:<20} {}", c.name, c.summary);
    }
    Ok(())
}
