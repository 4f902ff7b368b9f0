#!/usr/bin/env bash
# Installs gym-electric-motor 3.0.2 in a venv (reused between runs) and compares nerve's drives
# with it step by step (tools/gem/compare.py). Usage: tools/gem/compare.sh --nerve PATH [--out DIR] [--check]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${NERVE_GEM_VENV:-$HOME/.cache/nerve/gem-venv}"
if ! "$venv/bin/python" -c "import gym_electric_motor" 2>/dev/null; then
    echo "compare.sh: installing gym-electric-motor 3.0.2 into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "gym-electric-motor==3.0.2"
fi
exec "$venv/bin/python" "$here/compare.py" "$@"
