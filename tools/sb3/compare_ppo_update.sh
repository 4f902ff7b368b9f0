#!/usr/bin/env bash
# PPO's update phase, nerve vs Stable-Baselines3, side by side in one run: the same batch of
# 8 × 256 samples (Swimmer6-v0's shapes: 23-D observations, 5-D actions), 10 epochs × 32
# minibatches of 64, 64×64 tanh actor and critic, one thread each. Exits 1 if nerve is less
# than 3× faster (best of the repeats on each side).
#
#   tools/sb3/compare_ppo_update.sh [--nerve PATH] [--repeats N]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NERVE="$ROOT/target/release/nerve"
REPEATS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --nerve) NERVE="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    *) echo "usage: $0 [--nerve PATH] [--repeats N]" >&2; exit 2 ;;
  esac
done
[ -x "$NERVE" ] || { echo "compare_ppo_update: no nerve binary at $NERVE (cargo build --release)" >&2; exit 2; }
"$HERE/setup_venv.sh" >&2
PY="${NERVE_SB3_VENV:-$HOME/.cache/nerve/sb3-venv}/bin/python"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
RAYON_NUM_THREADS=1 "$NERVE" perf --ppo-update --repeats "$REPEATS" --json > "$WORK/nerve.json"
"$PY" "$HERE/ppo_update_bench.py" --repeats "$REPEATS" --threads 1 > "$WORK/sb3.json"
"$PY" - "$WORK/nerve.json" "$WORK/sb3.json" <<'PYEOF'
import json, sys
nerve, sb3 = (json.load(open(p)) for p in sys.argv[1:3])
ratio = sb3["best_s"] / nerve["best_s"]
print("| PPO update phase (2048 samples, 10 epochs × 32 minibatches, 64×64, 1 thread) | best (s) | median (s) |")
print("|---|---|---|")
print(f"| nerve (candle) | {nerve['best_s']:.3f} | {nerve['median_s']:.3f} |")
print(f"| Stable-Baselines3 {sb3.get('sb3_version', '')} (torch {sb3.get('torch_version', '')}) | {sb3['best_s']:.3f} | {sb3['median_s']:.3f} |")
print(f"\nnerve is {ratio:.2f}× faster (limit ≥ 3×)")
sys.exit(0 if ratio >= 3.0 else 1)
PYEOF
