#!/usr/bin/env bash
# Idempotent: creates a venv (tools/fidelity/.venv, or $NERVE_VENV) with dm_control and
# mujoco (both pinned) for the dm_control side of the swimmer fidelity check. We never render, so no GL
# libraries are needed (MUJOCO_GL may be left unset or set to egl).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${NERVE_VENV:-$HERE/.venv}"
MUJOCO_VERSION="${MUJOCO_VERSION:-3.17.0}"
DM_CONTROL_VERSION="${DM_CONTROL_VERSION:-1.0.50}"
PY="${PYTHON:-python3}"

check() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - "$MUJOCO_VERSION" <<'PYEOF' >/dev/null 2>&1
import sys
import mujoco
from dm_control import suite  # noqa: F401
from dm_control.suite import swimmer  # noqa: F401
sys.exit(0 if mujoco.__version__ == sys.argv[1] else 1)
PYEOF
}

if check; then
  echo "setup_venv: $VENV already has dm_control and mujoco==$MUJOCO_VERSION"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "dm-control==$DM_CONTROL_VERSION" "mujoco==$MUJOCO_VERSION"

if check; then
  "$VENV/bin/python" -c 'import mujoco, importlib.metadata as m; print("setup_venv: ok mujoco", mujoco.__version__, "dm-control", m.version("dm-control"))'
else
  echo "setup_venv: install finished but dm_control/mujoco==$MUJOCO_VERSION do not import" >&2
  exit 1
fi
