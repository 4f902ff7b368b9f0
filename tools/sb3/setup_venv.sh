#!/usr/bin/env bash
# Idempotent: creates a venv (${NERVE_SB3_VENV:-$HOME/.cache/nerve/sb3-venv}) with stable-baselines3
# and torch (both pinned) for the SB3 side of the PPO update-phase speed comparison
# (tools/sb3/ppo_update_bench.py).
#
# torch comes from PyPI, the only index reachable here. PyPI's Linux x86_64 torch wheel depends on the
# nvidia-* CUDA runtime wheels (several GB); there is no CPU-only torch on PyPI (the CPU wheels live
# only on the PyTorch index, which is not reachable; "torch-cpu-for-poetry" on PyPI is a 2 kB shim that
# requires torch==X+cpu from that index). So the full download is accepted; the bench runs on CPU only.
set -euo pipefail
VENV="${NERVE_SB3_VENV:-$HOME/.cache/nerve/sb3-venv}"
SB3_VERSION="${SB3_VERSION:-2.9.2}"
TORCH_VERSION="${TORCH_VERSION:-2.15.0}"
PY="${PYTHON:-python3}"

check() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - "$SB3_VERSION" "$TORCH_VERSION" <<'PYEOF' >/dev/null 2>&1
import sys
import torch
import stable_baselines3
import gymnasium  # noqa: F401
ok = stable_baselines3.__version__ == sys.argv[1] and torch.__version__.split("+")[0] == sys.argv[2]
sys.exit(0 if ok else 1)
PYEOF
}

if check; then
  echo "setup_venv: $VENV already has stable-baselines3==$SB3_VERSION and torch==$TORCH_VERSION"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION" "stable-baselines3==$SB3_VERSION"

if check; then
  "$VENV/bin/python" -c 'import torch, stable_baselines3 as s; print("setup_venv: ok stable-baselines3", s.__version__, "torch", torch.__version__)'
else
  echo "setup_venv: install finished but stable-baselines3==$SB3_VERSION / torch==$TORCH_VERSION do not import" >&2
  exit 1
fi
