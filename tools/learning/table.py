#!/usr/bin/env python3
"""Learning table for Swimmer6: evaluation return of each learner × policy at given budgets,
mean ± sample std over seeds. Runs `nerve train` (reusing finished runs) and reads each run's
metrics.csv: the value at a budget is the last evaluation at or before it.

    tools/learning/table.py [--nerve PATH] [--out DIR] [--seeds 0,1,2] [--budgets 100000,300000,1000000]
                            [--runs es:ncap,cmaes:ncap,ppo:ncap,ppo:mlp,ddpg:ncap,td3:ncap]
                            [--config AGENT=FILE.toml ...]

A run that exists with a smaller budget is continued with `nerve train --resume DIR --steps N`,
which retraces the longer run exactly for learners without a budget-dependent schedule (es,
cmaes, td3, ddpg, sac). PPO anneals its learning rate over the budget, so a PPO run with a
smaller budget is an error: delete it to rerun.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys


def last_eval_at(metrics_path, budget):
    value = None
    with open(metrics_path) as f:
        for row in csv.DictReader(f):
            steps = float(row["env_steps"])
            if steps > budget:
                break
            if row.get("eval_return"):
                value = float(row["eval_return"])
    return value


def first_reaching(metrics_path, threshold):
    with open(metrics_path) as f:
        for row in csv.DictReader(f):
            if row.get("eval_return") and float(row["eval_return"]) >= threshold:
                return int(float(row["env_steps"]))
    return None


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--nerve", default=os.path.join(root, "target", "release", "nerve"))
    ap.add_argument("--out", default=os.path.join(root, "results", "learning"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--budgets", default="100000,300000,1000000")
    ap.add_argument("--runs", default="es:ncap,cmaes:ncap,ppo:ncap,ppo:mlp,ddpg:ncap,td3:ncap")
    ap.add_argument("--config", action="append", default=[], help="AGENT=FILE.toml: options for that learner's runs")
    ap.add_argument("--reach", type=float, default=850.0, help="also report the env steps each seed took to first evaluate at this return")
    ap.add_argument("--read-only", action="store_true", help="only read finished runs (missing budgets show as –)")
    ap.add_argument("--env", default="Swimmer6-v0")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    budgets = [int(b) for b in args.budgets.split(",")]
    runs = [r.split(":") for r in args.runs.split(",")]
    configs = dict(c.split("=", 1) for c in args.config)
    rows = []
    for agent, policy in runs:
        per_budget = {b: [] for b in budgets}
        reached = []
        n_params = None
        for seed in seeds:
            run_dir = os.path.join(args.out, f"{args.env}-{policy}-{agent}-seed{seed}")
            summary = os.path.join(run_dir, "summary.json")
            budget = max(budgets)
            if not os.path.exists(summary):
                cmd = [args.nerve, "train", "--env", args.env, "--policy", policy, "--agent", agent,
                       "--steps", str(budget), "--seed", str(seed), "--out", run_dir]
                if agent in configs:
                    cmd += ["--config", configs[agent]]
            elif json.load(open(summary))["env_steps"] < budget:
                if agent == "ppo":
                    sys.exit(f"{run_dir}: trained for fewer than {budget} steps, and PPO's learning-rate schedule "
                             "depends on the budget; delete the directory to rerun")
                cmd = [args.nerve, "train", "--resume", run_dir, "--steps", str(budget)]
            else:
                cmd = None
            if cmd and args.read_only:
                cmd = None
                if not os.path.exists(summary):
                    continue
            if cmd:
                print("running:", " ".join(cmd), file=sys.stderr, flush=True)
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            n_params = json.load(open(summary))["n_params"]
            for b in budgets:
                per_budget[b].append(last_eval_at(os.path.join(run_dir, "metrics.csv"), b))
            reached.append(first_reaching(os.path.join(run_dir, "metrics.csv"), args.reach))
        rows.append((agent, policy, n_params, per_budget, reached))

    def fmt(xs):
        xs = [x for x in xs if x is not None]
        if not xs:
            return "–"
        m = sum(xs) / len(xs)
        s = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
        return f"{m:.1f} ± {s:.1f}"

    def fmt_steps(xs):
        return ", ".join("never" if x is None else f"{x / 1000:.0f}k" for x in xs)

    reach = f"{args.reach:g}"
    header = "| learner | policy | parameters | " + " | ".join(f"{b // 1000}k steps" for b in budgets) + f" | steps to reach {reach} (per seed) |"
    lines = [f"Evaluation return on {args.env} (5 held-out episodes per evaluation), mean ± sample std over seeds {args.seeds}.", "",
             header, "|" + "---|" * (4 + len(budgets))]
    for agent, policy, n_params, per_budget, reached in rows:
        lines.append(f"| {agent} | {policy} | {n_params} | " + " | ".join(fmt(per_budget[b]) for b in budgets) + f" | {fmt_steps(reached)} |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(args.out, exist_ok=True)
    tmp = os.path.join(args.out, ".table.md.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(args.out, "table.md"))


if __name__ == "__main__":
    main()
