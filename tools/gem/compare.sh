#!/usr/bin/env bash
# nerve's drives against gym-electric-motor 3.0.2, step by step (tools/gem/compare.py).
# Usage: tools/gem/compare.sh --nerve PATH [--out DIR] [--check]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/venv.sh" "$here/compare.py" "$@"
