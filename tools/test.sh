#!/usr/bin/env bash
# The test command: installs the system packages the tests need, then runs every test of the
# workspace on a release build. Works on a fresh Debian/Ubuntu machine; `.ci/run` calls it.
#
#   tools/test.sh                 # all tests
#   tools/test.sh -p envs         # arguments go to `cargo test` (here: one crate)
#
# The viewer's tests render through wgpu on Mesa's software Vulkan (lavapipe), headless and in a
# window under Xvfb, so they need mesa-vulkan-drivers, libvulkan1 and xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(mesa-vulkan-drivers libvulkan1 xvfb)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "tools/test.sh: installing ${missing[*]} (the viewer's tests render on Mesa's software Vulkan)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "tools/test.sh: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
        SUDO="sudo"
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# wgpu's GL backend on llvmpipe cannot compile bevy's shaders; Vulkan (lavapipe) can.
export WGPU_BACKEND="${WGPU_BACKEND:-vulkan}"

exec cargo test --workspace --release "$@"
