#!/usr/bin/env bash
# The parallel grid's speed-up: a grid of evaluation-only cells (four fixed controllers on
# Swimmer6-v0 under four fluid densities: 16 cells of 10 episodes, 160k env steps) run with
# --jobs 1 and with --jobs 2 into fresh folders, each timed end to end (best of 2).
#   tools/bench/jobs_scaling.sh [--nerve PATH]
# A benchmark, not a test: it prints the figures and never fails on them.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NERVE="${CARGO_TARGET_DIR:-$HERE/../../target}/release/nerve"
[ "${1:-}" = "--nerve" ] && NERVE="$2"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/eval-grid.toml" <<'TOML'
question = "How fast does nerve bench run a grid of evaluation-only cells?"
[seeds]
eval = { first = 1000, count = 10 }
[[env]]
id = "Swimmer6-v0"
sweep = { fluid_density = [1000.0, 2000.0, 3000.0, 4000.0] }
[[entry]]
name = "ncap"
controller = "ncap"
[[entry]]
name = "travelling-wave"
controller = "travelling-wave"
[[entry]]
name = "random"
controller = "random"
[[entry]]
name = "zero"
controller = "zero"
[report]
bootstrap_reps = 1000
TOML
best() {  # best wall time of two fresh runs with --jobs $1
  local b=""
  for k in 1 2; do
    rm -rf "$WORK/out"
    local t0 t1
    t0=$(date +%s.%N)
    "$NERVE" bench "$WORK/eval-grid.toml" --jobs "$1" --out "$WORK/out" > /dev/null
    t1=$(date +%s.%N)
    b=$(python3 -c "import sys; t=$t1-$t0; b='$b'; print(min(t, float(b)) if b else t)")
  done
  echo "$b"
}
# What the machine gives two independent single-threaded processes right now (a VM's second core
# is sometimes partly taken): 40 NCAP episodes alone, then two such processes at once.
machine() {
  local t0 t1 t2
  t0=$(date +%s.%N)
  "$NERVE" eval --env Swimmer6-v0 --controller ncap --episodes 40 > /dev/null
  t1=$(date +%s.%N)
  "$NERVE" eval --env Swimmer6-v0 --controller ncap --episodes 40 > /dev/null &
  "$NERVE" eval --env Swimmer6-v0 --controller ncap --episodes 40 > /dev/null
  wait
  t2=$(date +%s.%N)
  python3 -c "print(2 * ($t1 - $t0) / ($t2 - $t1))"
}
one=$(best 1)
two=$(best 2)
scaling=$(machine)
python3 - "$one" "$two" "$scaling" <<'PY'
import sys
one, two, scaling = map(float, sys.argv[1:])
print(f"nerve bench, 16 evaluation-only cells (160k Swimmer6 env steps): --jobs 1 {one:.2f} s, --jobs 2 {two:.2f} s: {one / two:.2f}x")
print(f"two independent processes on this machine now: {scaling:.2f}x one (the ceiling for --jobs 2)")
PY
