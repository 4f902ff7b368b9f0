#!/usr/bin/env bash
# SAC's and TD3's update step, nerve vs Stable-Baselines3, side by side in one run: the same
# networks (actor and critics 64×64 and 256×256, ReLU), batch 256 from a replay buffer of random
# transitions of Pendulum-v1's shapes, Adam, Polyak targets. nerve on one thread; SB3 on one torch
# thread and on torch's default threads. With --end-to-end, also a whole 20k-step Pendulum-v1 run
# per learner with nerve's default hyperparameters on both sides (nerve: `nerve train`, one thread).
# Prints a Markdown table and writes the raw figures to OUT/off-policy-update.json.
#
#   tools/sb3/compare_off_policy_update.sh [--nerve PATH] [--out DIR] [--updates N] [--repeats N] [--end-to-end]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NERVE="$ROOT/target/release/nerve"
OUT="${TMPDIR:-/tmp}/nerve-off-policy-update"
UPDATES=300
REPEATS=5
E2E=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nerve) NERVE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --updates) UPDATES="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --end-to-end) E2E=1; shift ;;
    *) echo "usage: $0 [--nerve PATH] [--out DIR] [--updates N] [--repeats N] [--end-to-end]" >&2; exit 2 ;;
  esac
done
[ -x "$NERVE" ] || { echo "compare_off_policy_update: no nerve binary at $NERVE (cargo build --release)" >&2; exit 2; }
"$HERE/setup_venv.sh" >&2
PY="${NERVE_SB3_VENV:-$HOME/.cache/nerve/sb3-venv}/bin/python"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

: > "$WORK/rows.jsonl"
for agent in sac td3; do
  for h in 64 256; do
    RAYON_NUM_THREADS=1 "$NERVE" perf --"$agent"-update --hidden "$h,$h" --updates "$UPDATES" --repeats "$REPEATS" --json >> "$WORK/rows.jsonl"
    "$PY" "$HERE/off_policy_update_bench.py" --agent "$agent" --hidden "$h" "$h" --updates "$UPDATES" --repeats "$REPEATS" --threads 1 >> "$WORK/rows.jsonl"
    "$PY" "$HERE/off_policy_update_bench.py" --agent "$agent" --hidden "$h" "$h" --updates "$UPDATES" --repeats "$REPEATS" --threads 0 >> "$WORK/rows.jsonl"
  done
done

if [ "$E2E" = 1 ]; then
  for agent in sac td3; do
    # nerve's defaults for this learner on Pendulum-v1, as `nerve train` prints them in config.toml.
    run="$WORK/e2e-$agent"
    start=$(date +%s.%N)
    RAYON_NUM_THREADS=1 "$NERVE" train --env Pendulum-v1 --policy mlp --agent "$agent" --steps 20000 --seed 0 --out "$run" > /dev/null 2>&1
    end=$(date +%s.%N)
    hp=$("$PY" - "$run/config.toml" "$agent" <<'PYEOF'
import json, sys, tomllib
cfg = tomllib.load(open(sys.argv[1], "rb"))
agent = cfg["agent"]
policy = cfg.get("policy", {})
agent["actor_hidden"] = policy.get("hidden", [64, 64])
print(json.dumps(agent))
PYEOF
)
    echo "{\"system\": \"nerve\", \"agent\": \"$agent\", \"end_to_end_s\": $(echo "$end - $start" | bc), \"end_to_end_steps\": 20000}" >> "$WORK/rows.jsonl"
    "$PY" "$HERE/off_policy_update_bench.py" --agent "$agent" --updates 0 --threads 1 --end-to-end "$hp" >> "$WORK/rows.jsonl"
  done
fi

"$PY" - "$WORK/rows.jsonl" "$OUT/off-policy-update.json" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
json.dump(rows, open(sys.argv[2], "w"), indent=1)
def find(system, agent, hidden=None, threads=None, key="best_s"):
    for r in rows:
        if r["system"] == system and r["agent"] == agent and key in r and (hidden is None or r.get("hidden") == hidden) and (threads is None or r.get("threads") == threads):
            return r
    return None
print("| update step (batch 256, Pendulum-v1 shapes) | nerve, 1 thread (µs) | SB3, 1 thread (µs) | SB3, default threads (µs) | nerve vs SB3 1 thread |")
print("|---|---|---|---|---|")
for agent in ["sac", "td3"]:
    for h in [64, 256]:
        n = find("nerve", agent, [h, h])
        s1 = find("stable-baselines3", agent, [h, h], 1)
        sd = [r for r in rows if r["system"] == "stable-baselines3" and r["agent"] == agent and r.get("hidden") == [h, h] and r.get("threads") != 1 and "best_s" in r]
        sd = sd[0] if sd else None
        cell = lambda r: f"{r['best_s'] * 1e6:.0f}" if r else "–"
        ratio = f"{s1['best_s'] / n['best_s']:.2f}×" if n and s1 else "–"
        threads = f" ({sd['threads']} threads)" if sd else ""
        print(f"| {agent.upper()} {h}×{h} | {cell(n)} | {cell(s1)} | {cell(sd)}{threads} | {ratio} |")
e2e = [r for r in rows if "end_to_end_s" in r]
if e2e:
    print("\n| Pendulum-v1, 20k steps, nerve's defaults | nerve (s) | SB3 (s) | ratio |")
    print("|---|---|---|---|")
    for agent in ["sac", "td3"]:
        n = next((r for r in e2e if r["system"] == "nerve" and r["agent"] == agent), None)
        s = next((r for r in e2e if r["system"] != "nerve" and r["agent"] == agent), None)
        if n and s:
            print(f"| {agent.upper()} | {n['end_to_end_s']:.1f} | {s['end_to_end_s']:.1f} | {s['end_to_end_s'] / n['end_to_end_s']:.2f}× |")
PYEOF
