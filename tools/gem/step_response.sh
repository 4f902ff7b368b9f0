#!/usr/bin/env bash
# nerve's cascaded PI against gym-electric-motor's own on speed steps (tools/gem/step_response.py).
# Usage: tools/gem/step_response.sh --nerve PATH [--out DIR] [--check]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/venv.sh" "$here/step_response.py" "$@"
