#!/usr/bin/env bash
# The presets' check on Pendulum-v1: `nerve train` with no config (so the learner's preset
# applies) for 20k env steps, seeds 0–2, for SAC and TD3 (and PPO at 100k, the zoo's budget), then
# the mean of the seeds' final evaluations (10 episodes each). Issue 16 asks ≥ −250 for SAC and
# TD3. Minutes per seed: kept out of CI. Runs two seeds at a time on two cores.
#
#   tools/learning/pendulum_presets.sh [--nerve PATH] [--out DIR] [--agents "sac td3 ppo"]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NERVE="$ROOT/target/release/nerve"
OUT="${TMPDIR:-/tmp}/nerve-pendulum-presets"
AGENTS="sac td3 ppo"
while [ $# -gt 0 ]; do
  case "$1" in
    --nerve) NERVE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --agents) AGENTS="$2"; shift 2 ;;
    *) echo "usage: $0 [--nerve PATH] [--out DIR] [--agents \"sac td3 ppo\"]" >&2; exit 2 ;;
  esac
done
[ -x "$NERVE" ] || { echo "pendulum_presets: no nerve binary at $NERVE (cargo build --release)" >&2; exit 2; }
mkdir -p "$OUT"
for agent in $AGENTS; do
  steps=20000
  [ "$agent" = ppo ] && steps=100000
  pids=()
  for seed in 0 1 2; do
    dir="$OUT/$agent-seed$seed"
    [ -f "$dir/summary.json" ] && continue
    rm -rf "$dir"
    RAYON_NUM_THREADS=1 "$NERVE" train --env Pendulum-v1 --policy mlp --agent "$agent" --steps "$steps" --seed "$seed" --out "$dir" > "$OUT/$agent-seed$seed.log" 2>&1 &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p"; done
done
python3 - "$OUT" $AGENTS <<'PYEOF'
import json, sys, statistics
out, agents = sys.argv[1], sys.argv[2:]
print("| Pendulum-v1, no config (preset) | steps | seed 0 | seed 1 | seed 2 | mean | wall s (mean) |")
print("|---|---|---|---|---|---|---|")
for agent in agents:
    s = [json.load(open(f"{out}/{agent}-seed{k}/summary.json")) for k in range(3)]
    r = [x["final_eval_return"] for x in s]
    print(f"| {agent} | {s[0]['env_steps']} | " + " | ".join(f"{v:.1f}" for v in r) + f" | {statistics.mean(r):.1f} | {statistics.mean(x['wall_time_s'] for x in s):.1f} |")
PYEOF
