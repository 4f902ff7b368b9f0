#!/usr/bin/env bash
# Runs a Python script of tools/gem/ in a venv with gym-electric-motor 3.0.2 (created on first use,
# then reused; NERVE_GEM_VENV overrides its place). Usage: tools/gem/venv.sh SCRIPT.py [ARGS...]
set -euo pipefail
venv="${NERVE_GEM_VENV:-$HOME/.cache/nerve/gem-venv}"
if ! "$venv/bin/python" -c "import gym_electric_motor" 2>/dev/null; then
    echo "venv.sh: installing gym-electric-motor 3.0.2 into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "gym-electric-motor==3.0.2"
fi
exec "$venv/bin/python" "$@"
