#!/usr/bin/env bash
# Idempotent: creates a venv ($NERVE_HAND_VENV, default ~/.cache/nerve/hand-venv) with
# gymnasium-robotics and mujoco, pinned, for the Shadow hand's side-by-side checks (forward
# kinematics fixture, speed). We never render, so no GL libraries are needed.
set -euo pipefail
VENV="${NERVE_HAND_VENV:-$HOME/.cache/nerve/hand-venv}"
MUJOCO_VERSION="${MUJOCO_VERSION:-3.3.7}"
ROBOTICS_VERSION="${ROBOTICS_VERSION:-1.4.2}"
PY="${PYTHON:-python3}"

check() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - "$MUJOCO_VERSION" <<'PYEOF' >/dev/null 2>&1
import sys
import mujoco
import gymnasium_robotics  # noqa: F401
sys.exit(0 if mujoco.__version__ == sys.argv[1] else 1)
PYEOF
}

if check; then
  echo "setup_venv: $VENV already has gymnasium-robotics and mujoco==$MUJOCO_VERSION" >&2
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "gymnasium-robotics==$ROBOTICS_VERSION" "mujoco==$MUJOCO_VERSION"
if check; then
  "$VENV/bin/python" -c 'import mujoco, importlib.metadata as m; print("setup_venv: ok mujoco", mujoco.__version__, "gymnasium-robotics", m.version("gymnasium-robotics"))' >&2
else
  echo "setup_venv: install finished but gymnasium-robotics / mujoco==$MUJOCO_VERSION do not import" >&2
  exit 1
fi
