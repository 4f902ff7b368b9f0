#!/usr/bin/env bash
# Idempotent: a venv ($NERVE_RLIABLE_VENV, default ~/.cache/nerve/rliable-venv) with rliable
# 1.2.0 and what it computes with (numpy, scipy, arch < 8: arch 8 dropped the `random_state`
# argument rliable still passes; arch 7.2 breaks on pandas 3). rliable's plotting dependencies are
# not needed.
set -euo pipefail
VENV="${NERVE_RLIABLE_VENV:-$HOME/.cache/nerve/rliable-venv}"
PY="${PYTHON:-python3}"
check() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'from rliable import library, metrics; import arch' >/dev/null 2>&1
}
if check; then
  echo "setup_venv: $VENV already has rliable" >&2
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet numpy scipy 'arch>=5.3.1,<8' 'pandas<3' absl-py
"$VENV/bin/python" -m pip install --quiet --no-deps 'rliable==1.2.0'
check || { echo "setup_venv: rliable does not import after install" >&2; exit 1; }
echo "setup_venv: ok $("$VENV/bin/python" -c 'import importlib.metadata as m; print("rliable", m.version("rliable"), "arch", m.version("arch"), "numpy", m.version("numpy"))')" >&2
