#!/usr/bin/env bash
# nerve's statistics against rliable's on the same matrices (see rliable_check.py).
#   tools/bench/rliable_check.sh [--out DIR]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${TMPDIR:-/tmp}/nerve-rliable-check"
[ "${1:-}" = "--out" ] && OUT="$2"
mkdir -p "$OUT"
"$HERE/setup_venv.sh"
VENV="${NERVE_RLIABLE_VENV:-$HOME/.cache/nerve/rliable-venv}"
cd "$HERE/../.."
cargo build --release -p bench --example rliable_check --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/examples/rliable_check"
"$VENV/bin/python" "$HERE/rliable_check.py" "$OUT" "$BIN"
