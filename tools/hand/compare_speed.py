"""nerve's hand envs against Gymnasium-Robotics' on MuJoCo, measured in one run on this machine.

    tools/hand/compare_speed.sh --nerve target/release/nerve [--seconds 10] [--steps 4000] [--out FILE]

Pairs (same 0.04 s control period, random actions, resets included): HandBlock-v0 vs
HandManipulateBlock-v1 (block to a random position and orientation), HandReach-v0 vs HandReach-v3.
nerve's figures are `nerve perf --json` (one env on one thread; a VecEnv on every core); the peer's
are peer_speed.py's (one env on one thread; an AsyncVectorEnv of 2; a bare mj_step loop). Prints a
table and one JSON object (also written to --out).
"""
import argparse
import json
import os
import subprocess
import sys

PAIRS = [("HandBlock-v0", "HandManipulateBlock-v1"), ("HandReach-v0", "HandReach-v3")]
HERE = os.path.dirname(os.path.abspath(__file__))


def nerve_perf(nerve, env_id, steps):
    out = subprocess.run([nerve, "perf", "--env", env_id, "--steps", str(steps), "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nerve", required=True, help="the nerve binary (a release build)")
    ap.add_argument("--seconds", type=float, default=10.0, help="peer measurement length (s)")
    ap.add_argument("--steps", type=int, default=4000, help="nerve perf's timed steps per line")
    ap.add_argument("--python", default=sys.executable, help="the hand venv's python")
    ap.add_argument("--out")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    nerve = {ours: nerve_perf(args.nerve, ours, args.steps) for ours, _ in PAIRS}
    peer = json.loads(subprocess.run([args.python, os.path.join(HERE, "peer_speed.py"), "--seconds", str(args.seconds)], check=True, capture_output=True, text=True).stdout)
    rows = []
    for ours, theirs in PAIRS:
        n, p = nerve[ours], peer["envs"][theirs]
        rows.append({
            "nerve_env": ours, "peer_env": theirs,
            "nerve_one_thread": round(n["single_env_steps_per_sec"], 1),
            "peer_one_thread": p["one_thread_steps_per_s"],
            "ratio_one_thread": round(n["single_env_steps_per_sec"] / p["one_thread_steps_per_s"], 2),
            "nerve_vec_all_cores": round(n["vec_env"]["steps_per_sec"], 1), "nerve_vec_threads": n["vec_env"]["threads"], "nerve_vec_envs": n["vec_env"]["num_envs"],
            "peer_vec2": p["vec2_steps_per_s"],
            "ratio_vec": round(n["vec_env"]["steps_per_sec"] / p["vec2_steps_per_s"], 2),
            "peer_bare_mj_step_periods": p["bare_mj_step_periods_per_s"],
            "ratio_to_bare_mj_step": round(n["single_env_steps_per_sec"] / p["bare_mj_step_periods_per_s"], 2),
        })
    print(f"{'nerve env':<16} {'peer env':<24} {'1 thread':>9} {'peer':>7} {'ratio':>6} {'all cores':>10} {'peer ×2':>8} {'ratio':>6} {'bare mj_step':>13} {'ratio':>6}")
    for r in rows:
        print(f"{r['nerve_env']:<16} {r['peer_env']:<24} {r['nerve_one_thread']:>9.0f} {r['peer_one_thread']:>7.0f} {r['ratio_one_thread']:>6.2f} "
              f"{r['nerve_vec_all_cores']:>10.0f} {r['peer_vec2']:>8.0f} {r['ratio_vec']:>6.2f} {r['peer_bare_mj_step_periods']:>13.0f} {r['ratio_to_bare_mj_step']:>6.2f}")
    print("(env steps/s of 0.04 s; bare mj_step: control periods/s of the physics alone)")
    doc = {"rows": rows, "nerve": nerve, "peer": peer, "loadavg_1min_at_start": round(load, 2)}
    text = json.dumps(doc, indent=2)
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            f.write(text + "\n")
        os.replace(args.out + ".tmp", args.out)
    print(text, file=sys.stderr)


if __name__ == "__main__":
    main()
