#!/usr/bin/env bash
# nerve's hand envs vs Gymnasium-Robotics' (MuJoCo) in one run (see compare_speed.py).
#   tools/hand/compare_speed.sh --nerve target/release/nerve [--seconds 10] [--steps 4000] [--out FILE]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${NERVE_HAND_VENV:-$HOME/.cache/nerve/hand-venv}"
"$HERE/setup_venv.sh"
exec "$VENV/bin/python" "$HERE/compare_speed.py" --python "$VENV/bin/python" "$@"
