#!/usr/bin/env bash
# A shipped scenario end to end at a small --scale, as CI runs it: the grid, the report, and its
# structure checked (tools/bench/check_report.py); then the same command again, which must reuse
# every cell and give the same report.json (provenance aside).
#   tools/bench/smoke.sh --nerve PATH [--scenario FILE] [--scale F] [--out DIR]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NERVE="$ROOT/target/release/nerve"
SCENARIO="$ROOT/scenarios/ncap-transfer.toml"
SCALE=0.01
OUT="${TMPDIR:-/tmp}/nerve-bench-smoke"
while [ $# -gt 0 ]; do
  case "$1" in
    --nerve) NERVE="$2"; shift 2 ;;
    --scenario) SCENARIO="$2"; shift 2 ;;
    --scale) SCALE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "smoke.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
rm -rf "$OUT"
echo "smoke.sh: nerve bench $SCENARIO --scale $SCALE --out $OUT"
start=$SECONDS
"$NERVE" bench "$SCENARIO" --scale "$SCALE" --out "$OUT"
echo "smoke.sh: the grid took $((SECONDS - start)) s"
cp "$OUT/report.json" "$OUT/report.first.json"
"$NERVE" bench "$SCENARIO" --scale "$SCALE" --out "$OUT" | tee "$OUT/second.log"
grep -q "^reused " "$OUT/second.log" || { echo "smoke.sh: the second run reused no cells" >&2; exit 1; }
python3 "$HERE/check_report.py" "$OUT" "$OUT/report.first.json"
