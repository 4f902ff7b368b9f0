#!/usr/bin/env python3
"""nerve's drives against gym-electric-motor (GEM) 3.0.2, step by step, and their speed.

    tools/gem/compare.py --nerve target/release/nerve [--steps 2000] [--out DIR] [--check]

For each DC motor and the PMSM (the speed-control envs, e.g. DcPermExSpeed-v0 vs GEM's
Cont-SC-PermExDc-v0), both simulators start from rest and get the same actions: one constant
action, then one varying sequence (two superposed sines; for the PMSM a slowly rotating
three-phase set). nerve replays them from a CSV (`--controller replay`) and writes a trace
(`nerve eval --trace`); GEM's states are its observation times `env.limits`. For every state
both name (omega, torque, currents, voltages, epsilon, u_sup) the error at step k is
|nerve − GEM| / max(max_k |GEM|, 0.1% of the state's limit) (relative to the state's largest
magnitude over the run, so that states passing through zero are measured fairly, and a state
that stays at zero is not divided by zero); the report gives the largest over all steps.
`--check` exits 1 if any exceeds 1%. Speed: env steps/s of each on one thread, same machine,
same run (GEM: `env.step` in a loop; nerve: `nerve eval` with the constant controller).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import gym_electric_motor as gem

CASES = [
    # nerve id, GEM id, constant action, varying action (k -> action)
    ("DcPermExSpeed-v0", "Cont-SC-PermExDc-v0", [0.02], lambda k: [0.02 + 0.015 * math.sin(2 * math.pi * k / 400) + 0.01 * math.sin(2 * math.pi * k / 97)]),
    ("DcExtExSpeed-v0", "Cont-SC-ExtExDc-v0", [0.02, 0.3], lambda k: [0.02 + 0.015 * math.sin(2 * math.pi * k / 400), 0.3 + 0.1 * math.sin(2 * math.pi * k / 731)]),
    ("DcSeriesSpeed-v0", "Cont-SC-SeriesDc-v0", [0.05], lambda k: [0.05 + 0.03 * math.sin(2 * math.pi * k / 400) + 0.01 * math.sin(2 * math.pi * k / 97)]),
    ("DcShuntSpeed-v0", "Cont-SC-ShuntDc-v0", [0.02], lambda k: [0.02 + 0.015 * math.sin(2 * math.pi * k / 400) + 0.01 * math.sin(2 * math.pi * k / 97)]),
    ("PmsmSpeed-v0", "Cont-SC-PMSM-v0", [0.01, -0.005, -0.005],
     lambda k: [0.02 * math.cos(2 * math.pi * k / 500 - p * 2 * math.pi / 3) for p in range(3)]),
    # Torque and current control: constant-speed loads (100 rad/s), other supplies and references.
    ("DcPermExTorque-v0", "Cont-TC-PermExDc-v0", [0.3], lambda k: [0.29 + 0.02 * math.sin(2 * math.pi * k / 300)]),
    ("DcSeriesCurrent-v0", "Cont-CC-SeriesDc-v0", [0.1], lambda k: [0.1 + 0.05 * math.sin(2 * math.pi * k / 300)]),
    ("PmsmCurrent-v0", "Cont-CC-PMSM-v0", [0.01, -0.005, -0.005],
     lambda k: [0.02 * math.cos(2 * math.pi * k / 200 - p * 2 * math.pi / 3) for p in range(3)]),
    # Finite converters (τ = 1e-5 s): switching states, mostly the zero vector with short pulses.
    ("DcPermExSpeedFinite-v0", "Finite-SC-PermExDc-v0", [3], lambda k: [1 if k % 40 == 0 else (2 if k % 97 == 5 else 3)]),
    ("DcShuntSpeedFinite-v0", "Finite-SC-ShuntDc-v0", [0], lambda k: [1 if k % 40 == 0 else 0]),
    ("PmsmSpeedFinite-v0", "Finite-SC-PMSM-v0", [0], lambda k: [[4, 6, 2, 3, 1, 5][(k // 200) % 6] if k % 10 == 0 else 0]),
]


def gem_run(gem_id, actions):
    env = gem.make(gem_id)
    env.reset(seed=0)
    inner = env.unwrapped
    names = list(inner.physical_system.state_names)
    limits = np.asarray(inner.limits)
    rows = []
    discrete = hasattr(env.action_space, "n")
    for a in actions:
        act = int(a[0]) if discrete else np.asarray(a, dtype=np.float64)
        (state, _ref), _r, terminated, _t, _ = env.step(act)
        rows.append(np.asarray(state) * limits)
        if terminated:
            break
    return names, np.asarray(rows), env, limits


def gem_speed(env, action, steps):
    env.reset(seed=1)
    a = int(action[0]) if hasattr(env.action_space, "n") else np.asarray(action, dtype=np.float64)
    start = time.perf_counter()
    done = 0
    while done < steps:
        (_s, _r), _rw, terminated, _t, _ = env.step(a)
        done += 1
        if terminated:
            env.reset()
    return steps / (time.perf_counter() - start)


def nerve_run(nerve, nerve_id, actions, steps, workdir, tag):
    act_path = os.path.join(workdir, f"{tag}-actions.csv")
    with open(act_path, "w") as f:
        for a in actions:
            f.write(",".join(repr(float(x)) for x in a) + "\n")
    cfg = os.path.join(workdir, f"{tag}-replay.toml")
    with open(cfg, "w") as f:
        f.write(f"file = {json.dumps(act_path)}\n")
    env_cfg = os.path.join(workdir, "env.toml")
    with open(env_cfg, "w") as f:
        f.write(f"max_episode_steps = {steps}\n")
    trace = os.path.join(workdir, f"{tag}-trace.csv")
    subprocess.run([nerve, "eval", "--env", nerve_id, "--controller", "replay", "--controller-config", cfg, "--env-config", env_cfg,
                    "--episodes", "1", "--trace", trace], check=True, stdout=subprocess.DEVNULL)
    with open(trace) as f:
        rows = list(csv.DictReader(f))
    return rows[1:]  # drop the reset row: GEM's first observation after a step is step 1


def nerve_speed(nerve, nerve_id, action, steps, workdir):
    env_cfg = os.path.join(workdir, "speed.toml")
    with open(env_cfg, "w") as f:
        f.write(f"max_episode_steps = {steps}\n")
    out = subprocess.run([nerve, "eval", "--env", nerve_id, "--controller", "constant", "--action", ",".join(str(x) for x in action),
                          "--env-config", env_cfg, "--episodes", "3", "--json"], check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)["steps_per_sec"]


def compare(names, g, n_rows, limits):
    steps = min(len(g), len(n_rows))
    errors = {}
    for j, name in enumerate(names):
        if not n_rows or name not in n_rows[0]:
            continue
        gv = g[:steps, j]
        nv = np.array([float(r[name]) for r in n_rows[:steps]])
        # Relative to the state's peak over the run, floored at 0.1% of its limit: a state that
        # stays at zero in one simulator and at 1e-12 in the other has not diverged.
        scale = max(np.max(np.abs(gv)), 1e-3 * limits[j])
        errors[name] = float(np.max(np.abs(nv - gv)) / scale)
    return steps, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nerve", default="target/release/nerve")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--speed-steps", type=int, default=20000)
    ap.add_argument("--out", default=None)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    workdir = args.out or tempfile.mkdtemp(prefix="nerve-gem-")
    os.makedirs(workdir, exist_ok=True)
    report = {"gem_version": gem.__version__ if hasattr(gem, "__version__") else "3.0.x", "steps": args.steps, "cases": []}
    ok = True
    lines = ["| nerve env | GEM env | actions | steps compared | largest relative error (state) | all states < 1% |", "|---|---|---|---|---|---|"]
    speed_lines = ["| nerve env | GEM env steps/s | nerve env steps/s | ratio |", "|---|---|---|---|"]
    for nerve_id, gem_id, const, varying in CASES:
        for tag, actions in [("constant", [const] * args.steps), ("varying", [varying(k) for k in range(args.steps)])]:
            names, g, env, limits = gem_run(gem_id, actions)
            n_rows = nerve_run(args.nerve, nerve_id, actions[: len(g)], len(g), workdir, f"{nerve_id}-{tag}")
            steps, errors = compare(names, g, n_rows, limits)
            worst = max(errors, key=errors.get)
            good = all(v < 0.01 for v in errors.values()) and steps == args.steps
            ok &= good
            report["cases"].append({"nerve": nerve_id, "gem": gem_id, "actions": tag, "steps": steps, "errors": errors})
            lines.append(f"| {nerve_id} | {gem_id} | {tag} | {steps} | {errors[worst]:.2e} ({worst}) | {'yes' if good else 'NO'} |")
            print(lines[-1], flush=True)
        g_speed = gem_speed(env, const, args.speed_steps // 4)
        n_speed = nerve_speed(args.nerve, nerve_id, const, args.speed_steps, workdir)
        report["cases"][-1]["gem_steps_per_s"] = g_speed
        report["cases"][-1]["nerve_steps_per_s"] = n_speed
        speed_lines.append(f"| {nerve_id} | {g_speed:,.0f} | {n_speed:,.0f} | {n_speed / g_speed:.0f}× |")
        print(speed_lines[-1], flush=True)
    text = "\n".join(["## Trajectories", "", *lines, "", "## Speed (one thread each)", "", *speed_lines, ""])
    print()
    print(text)
    with open(os.path.join(workdir, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(workdir, "report.md"), "w") as f:
        f.write(text)
    print(f"wrote {workdir}/report.md and report.json")
    if args.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
