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
        let spec = entry.spec()?;
        rows.push((entry, spec));
    }
    if args.json {
        let envs: Vec<_> = rows
            .iter()
            .map(|(e, spec)| {
                serde_json::json!({
                    "id": e.id, "family": e.family, "summary": e.summary, "members": e.members,
                    "observation_space": spec.observation_space.to_string(), "action_space": spec.action_space.to_string(),
                    "dt": spec.dt, "max_episode_steps": spec.max_episode_steps,
                    "config": toml_to_json(&e.defaults),
                    "signals": spec.signals.iter().map(|s| serde_json::json!({"name": s.name, "unit": s.unit, "limits": s.limits, "reference_of": s.reference_of})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let policies: Vec<_> = controllers::POLICIES
            .iter()
            .map(|p| serde_json::json!({"name": p.name, "summary": p.summary, "fits": p.fits, "has_parameters": p.has_parameters}))
            .collect();
        let agents: Vec<_> = agents::learners::AGENTS.iter().map(|(name, summary)| serde_json::json!({"name": name, "summary": summary})).collect();
        let mut presets = Vec::new();
        for agent in agents::presets::learners() {
            for p in agents::presets::of(agent)? {
                presets.push(serde_json::json!({"agent": agent, "name": p.name, "envs": p.envs, "source": p.source, "agent_config": toml_to_json(&p.agent), "policy_config": toml_to_json(&p.policy)}));
            }
        }
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"envs": envs, "policies": policies, "agents": agents, "presets": presets}))?);
        return Ok(());
    }
    println!("Envs");
    let w = rows.iter().map(|r| r.0.id.chars().count()).max().unwrap_or(2).max(2);
    println!("  {:<w$} {:<32} {:<31} {:>6}  {:>5}", "id", "observation", "action", "dt (s)", "steps");
    for (e, spec) in &rows {
        let steps = spec.max_episode_steps.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
        println!("  {:<w$} {:<32} {:<31} {:>6}  {:>5}", e.id, spec.observation_space.to_string(), spec.action_space.to_string(), spec.dt, steps);
    }
    println!("\nPolicies (--controller for eval and view, --policy for train; * has parameters to train)");
    for p in controllers::POLICIES {
        let star = if p.has_parameters { "*" } else { " " };
        println!("  {:<19}{star} {} [fits: {}]", p.name, p.summary, p.fits);
    }
    println!("\nAgents (--agent for train)");
    for (name, summary) in agents::learners::AGENTS {
        println!("  {name:<20} {summary}");
    }
    println!("\nPresets (applied by `nerve train` to matching envs; --preset NAME or none to choose)");
    for agent in agents::presets::learners() {
        for p in agents::presets::of(agent)? {
            let mut keys: Vec<String> = p.agent.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            keys.extend(p.policy.iter().map(|(k, v)| format!("policy.{k} = {v}")));
            println!("  {:<20} {} — {}", format!("{agent}/{}", p.name), p.envs.join(", "), keys.join(", "));
        }
    }
    Ok(())
}

/// A TOML table as JSON (for `--json`): TOML's values map one to one, datetimes as strings.
fn toml_to_json(t: &toml::Table) -> serde_json::Value {
    serde_json::to_value(t).unwrap_or(serde_json::Value::Null)
}
