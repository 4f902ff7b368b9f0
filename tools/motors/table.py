#!/usr/bin/env python3
"""Motor speed-control table: the cascaded PI, TD3 (an MLP) and an evolved spiking speed loop on
gym-electric-motor's speed tasks, over several training seeds.

    tools/motors/table.py [--nerve PATH] [--runs DIR] [--envs DcSeriesSpeed-v0,PmsmSpeed-v0]
                          [--seeds 5] [--steps 300000] [--snn-steps 20000000] [--episodes 10]
                          [--seed 1000] [--out FILE.md]

Trains what is missing under --runs (reusing finished runs), seeds 0..N−1 per env:
`--policy mlp --agent td3` (tools/motors/td3.toml), and `--policy snn --agent mimic-pid`
(tools/motors/snn.toml: the network replaces the cascade's speed loop and learns it from the
cascaded PI's recordings). Then evaluates, with `nerve eval --json` and the benchmark's env
settings (tools/motors/speed.toml: GEM's task with 0.2 s episodes and a violation reward that
makes crashing never pay), the cascaded PI and every trained seed on the same held-out episodes
(seeds S..S+E−1, never used in training). Reported:

* return: the undiscounted episode return (GEM's reward);
* RMSE: the speed tracking error (rad/s) over the episode (the env's `rmse` info);
* violations: episodes ended by a current-limit violation, of all evaluated;
* work per control step: spikes / synaptic operations / multiply-accumulates (the PI's counted by
  hand; the MLP's are its matmuls and activations; the SNN's are its neuron updates plus the inner
  current loops').

The PI is deterministic: its cell is mean ± sample std over the episodes. A trained controller's
cell is mean ± sample std over the training seeds of each seed's mean over the episodes; the
per-seed means are listed below the table.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout


def train(nerve, runs, env, policy, agent, config, seed, steps):
    out = os.path.join(runs, f"{env}-{policy}-{agent}-seed{seed}")
    # An env's own config, if there is one (td3-PmsmSpeed-v0.toml: dq actions).
    own = os.path.join(HERE, config.replace(".toml", f"-{env}.toml"))
    if not os.path.exists(os.path.join(out, "summary.json")):
        run([nerve, "train", "--env", env, "--policy", policy, "--agent", agent, "--steps", str(steps), "--seed", str(seed),
             "--config", own if os.path.exists(own) else os.path.join(HERE, config), "--out", out])
    return out


def evaluate(nerve, target, episodes, seed):
    """`nerve eval --json` on the held-out seeds. A checkpoint runs on its own env config (the
    benchmark's, as its training config repeats speed.toml, plus e.g. dq actions); a controller gets
    speed.toml."""
    env_config = [] if target[0] == "--checkpoint" else ["--env-config", os.path.join(HERE, "speed.toml")]
    return json.loads(run([nerve, "eval", *target, *env_config, "--episodes", str(episodes), "--seed", str(seed), "--json"]))


def episode_stats(r):
    eps = r["episodes"]
    return {
        "return": [e["return"] for e in eps],
        "rmse": [e["final_info"]["rmse"] for e in eps],
        "violations": sum(1 for e in eps if e["terminated"]),
        "episodes": len(eps),
        "work": r.get("work_per_step"),
    }


def mean_std(x):
    n = len(x)
    m = sum(x) / n
    s = (sum((v - m) ** 2 for v in x) / (n - 1)) ** 0.5 if n > 1 else 0.0
    return m, s


def work(w):
    return "—" if w is None else f"{w['spikes']:.0f} / {w['synaptic_ops']:.0f} / {w['macs']:.0f}"


def cell(x, digits=1):
    m, s = mean_std(x)
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nerve", default="target/release/nerve")
    ap.add_argument("--runs", default="results/runs/motors")
    ap.add_argument("--envs", default="DcSeriesSpeed-v0,PmsmSpeed-v0")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=300_000, help="TD3's env steps per run")
    ap.add_argument("--snn-steps", type=int, default=20_000_000, help="mimic-pid's simulated SNN steps per run")
    ap.add_argument("--episodes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--out", default="results/reference/motors/speed-control.md")
    args = ap.parse_args()
    if args.seeds < 1 or args.episodes < 2:
        ap.error("--seeds must be ≥ 1 and --episodes ≥ 2 (a sample std needs two)")
    with open(os.path.join(HERE, "speed.toml"), "rb") as f:
        episode_steps = tomllib.load(f)["max_episode_steps"]

    lines = [
        "# Motor speed control: cascaded PI, TD3 and an evolved spiking speed loop",
        "",
        f"Held-out episodes: seeds {args.seed}–{args.seed + args.episodes - 1}, {episode_steps} steps ({episode_steps * 1e-4:g} s) each, GEM's Wiener speed reference.",
        f"TD3: MLP 64×64 actor and critics, {args.steps:,} env steps per run, training seeds 0–{args.seeds - 1} "
        "(tools/motors/td3.toml; on the PMSM with dq actions, td3-PmsmSpeed-v0.toml).",
        f"SNN: 160 LIF neurons (120 PD-like, 40 integral-like) as the cascade's speed loop over its current PI, evolved by `mimic-pid` "
        f"({args.snn_steps:,} simulated steps per run) to mimic the cascaded PI's speed loop, training seeds 0–{args.seeds - 1} (tools/motors/snn.toml).",
        "Env settings: tools/motors/speed.toml (γ = 0.99; a violation costs −1 per step left to the time limit).",
        "",
        "| env | controller | return | speed RMSE (rad/s) | violations | spikes / synaptic ops / MACs per step |",
        "|---|---|---|---|---|---|",
    ]
    details = []
    report = {}
    for env in args.envs.split(","):
        pi = episode_stats(evaluate(args.nerve, ["--env", env, "--controller", "cascaded-pi"], args.episodes, args.seed))
        lines.append(f"| {env} | cascaded PI (a = 4) | {cell(pi['return'])} | {cell(pi['rmse'])} | {pi['violations']}/{pi['episodes']} | {work(pi['work'])} |")
        report[env] = {"pi": pi}
        for label, policy, agent, config, steps in [("TD3, MLP 64×64", "mlp", "td3", "td3.toml", args.steps),
                                                    ("SNN speed loop (mimic-pid)", "snn", "mimic-pid", "snn.toml", args.snn_steps)]:
            seeds = []
            for seed in range(args.seeds):
                run_dir = train(args.nerve, args.runs, env, policy, agent, config, seed, steps)
                seeds.append(episode_stats(evaluate(args.nerve, ["--checkpoint", run_dir], args.episodes, args.seed)))
            returns = [mean_std(s["return"])[0] for s in seeds]
            rmses = [mean_std(s["rmse"])[0] for s in seeds]
            violations = sum(s["violations"] for s in seeds)
            total = sum(s["episodes"] for s in seeds)
            lines.append(f"| {env} | {label} | {cell(returns)} | {cell(rmses)} | {violations}/{total} | {work(seeds[0]['work'])} |")
            details.append(f"- {env}, {label}, per seed (return / RMSE): " + ", ".join(f"{r:.1f} / {e:.1f}" for r, e in zip(returns, rmses)))
            report[env][agent] = seeds
            # Figures of training seed 0: the SNN's flight against the PI's, TD3's learning curve.
            figures = os.path.join(os.path.dirname(args.out), "speed-control")
            os.makedirs(figures, exist_ok=True)
            seed0 = os.path.join(args.runs, f"{env}-{policy}-{agent}-seed0")
            source, name = ("flight.png", f"{env}-snn-flight.png") if agent == "mimic-pid" else ("learning_curve.png", f"{env}-td3-learning-curve.png")
            shutil.copyfile(os.path.join(seed0, source), os.path.join(figures, name))
            details.append(f"- figure: `{os.path.join(figures, name)}`")
    lines += ["", *details, "", "Reproduce: `cargo build --release && tools/motors/table.py`"]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(report, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
