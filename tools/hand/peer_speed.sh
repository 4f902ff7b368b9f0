#!/usr/bin/env bash
# Gymnasium-Robotics Shadow-hand speed reference (see peer_speed.py), in the venv made by setup_venv.sh.
#   tools/hand/peer_speed.sh [--seconds 10] [--out FILE]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${NERVE_HAND_VENV:-$HOME/.cache/nerve/hand-venv}"
"$HERE/setup_venv.sh"
exec "$VENV/bin/python" "$HERE/peer_speed.py" "$@"
