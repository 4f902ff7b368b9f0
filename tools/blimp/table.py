#!/usr/bin/env python3
"""Blimp comparison table: PID, PD, the PD-only and the full evolved SNN, and PPO with an MLP,
on BlimpAltitude-v0 (nominal) and under BlimpAltitudeDisturbed-v0's disturbances.

    tools/blimp/table.py [--nerve PATH] [--runs DIR] [--episodes 10] [--seed 1000]
                         [--snn-steps 20000000] [--ppo-steps 2000000] [--out FILE.md]

Trains what is missing under --runs (reusing finished runs): `snn` and `snn-pd` with
`--agent mimic-pid`, and `mlp` with `--agent ppo`, all on the nominal task with seed 0. Then
evaluates every controller with `nerve eval --json` on held-out episodes (seeds S..S+E−1, never
used in training), on the nominal task and with tools/blimp/disturbed.toml (the disturbed task's
gusts and ballast change; a checkpoint is bound to its env id, so the disturbances come as an
env config). Cells are mean ± sample std over the episodes.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout


def train(nerve, runs, name, policy, agent, steps):
    out = os.path.join(runs, name)
    if os.path.exists(os.path.join(out, "summary.json")):
        return out
    run([nerve, "train", "--env", "BlimpAltitude-v0", "--policy", policy, "--agent", agent, "--steps", str(steps), "--seed", "0", "--out", out])
    return out


def evaluate(nerve, target, disturbed, episodes, seed):
    cmd = [nerve, "eval", *target, "--episodes", str(episodes), "--seed", str(seed), "--json"]
    if disturbed:
        cmd += ["--env-config", os.path.join(HERE, "disturbed.toml")]
    return json.loads(run(cmd))


def cell(d, scale=1.0, digits=3):
    if d is None:
        return "—"
    return f"{d['mean'] * scale:.{digits}f} ± {d['std'] * scale:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nerve", default="target/release/nerve")
    ap.add_argument("--runs", default="results/runs/blimp")
    ap.add_argument("--episodes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--snn-steps", type=int, default=20_000_000)
    ap.add_argument("--ppo-steps", type=int, default=2_000_000)
    ap.add_argument("--out", default="results/reference/blimp-altitude.md")
    args = ap.parse_args()

    snn = train(args.nerve, args.runs, "snn-mimic-pid", "snn", "mimic-pid", args.snn_steps)
    snn_pd = train(args.nerve, args.runs, "snn-pd-mimic-pid", "snn-pd", "mimic-pid", args.snn_steps)
    ppo = train(args.nerve, args.runs, "mlp-ppo", "mlp", "ppo", args.ppo_steps)
    n_params = lambda d: json.load(open(os.path.join(d, "summary.json")))["n_params"]
    rows = [
        ("PID (teacher)", ["--env", "BlimpAltitude-v0", "--controller", "pid"], "—", 3),
        ("PD (PID without I)", ["--env", "BlimpAltitude-v0", "--controller", "pd"], "—", 2),
        ("SNN, PD network only (evolved)", ["--checkpoint", snn_pd], "120 LIF", n_params(snn_pd)),
        ("SNN, PD + integral networks (evolved)", ["--checkpoint", snn], "160 LIF", n_params(snn)),
        ("MLP 64×64 (PPO)", ["--checkpoint", ppo], "128 tanh units", n_params(ppo)),
    ]
    lines = [
        "# Blimp altitude: PID, evolved spiking networks and PPO",
        "",
        f"Held-out episodes: seeds {args.seed}–{args.seed + args.episodes - 1}, mean ± sample std over {args.episodes} episodes of 60 s.",
        f"Trained on the nominal task with seed 0: SNNs by `--agent mimic-pid` ({args.snn_steps:,} simulated steps), the MLP by PPO ({args.ppo_steps:,} env steps).",
        "Disturbed: BlimpAltitudeDisturbed-v0's gusts and 1 g of ballast at 30 s (tools/blimp/disturbed.toml).",
        "Work per control step: spikes / synaptic operations (event-driven cost) / multiply-accumulates (dense cost).",
        "",
    ]
    results = {}
    for task, disturbed in [("nominal", False), ("disturbed", True)]:
        lines += [f"## {task}", "", "| controller | neurons | parameters | return | RMSE (m) | overshoot (%) | settling time (s) | steady-state error (m) | work per step |", "|---|---|---|---|---|---|---|---|---|"]
        for label, target, neurons, params in rows:
            r = evaluate(args.nerve, target, disturbed, args.episodes, args.seed)
            m = r.get("metrics", {})
            w = r.get("work_per_step")
            work = "—" if w is None else f"{w['spikes']:.0f} / {w['synaptic_ops']:.0f} / {w['macs']:.0f}"
            results[(task, label)] = r
            lines.append(
                f"| {label} | {neurons} | {params} | {r['mean']:.1f} ± {r['std']:.1f} | {cell(m.get('rmse'))} | {cell(m.get('overshoot'), 100, 1)} "
                f"| {cell(m.get('settling_time'), 1, 2)} | {cell(m.get('steady_state_error'), 1, 4)} | {work} |"
            )
        lines.append("")
    pid = results[("nominal", "PID (teacher)")]["metrics"]["rmse"]["mean"]
    full = results[("nominal", "SNN, PD + integral networks (evolved)")]["metrics"]
    pd_only = results[("nominal", "SNN, PD network only (evolved)")]["metrics"]
    figures = os.path.join(os.path.dirname(args.out), "blimp")
    os.makedirs(figures, exist_ok=True)
    copied = []
    for run_dir, name, target in [(snn, "flight.png", "snn-flight.png"), (snn, "mimic_error.png", "snn-mimic-error.png"),
                                  (snn_pd, "mimic_error.png", "snn-pd-mimic-error.png"), (ppo, "learning_curve.png", "mlp-ppo-learning-curve.png")]:
        shutil.copyfile(os.path.join(run_dir, name), os.path.join(figures, target))
        copied.append(os.path.join(figures, target))
    lines += ["## Figures", ""] + [f"- `{c}`" for c in copied] + [""]
    lines += [
        "## Checks",
        "",
        f"- Full SNN RMSE / PID RMSE (nominal): {full['rmse']['mean'] / pid:.3f} (limit ≤ 1.20)",
        f"- Steady-state error, full SNN vs PD-only SNN (nominal): {full['steady_state_error']['mean']:.4f} m vs {pd_only['steady_state_error']['mean']:.4f} m",
        "",
        "Reproduce: `cargo build --release && tools/blimp/table.py`",
    ]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
