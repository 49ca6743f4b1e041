#!/bin/bash
# README command 1: build Tessera and run its main job on the embedded
# default configuration: the headless backend with three demo guests,
# walking through the mosaic and each domain in focus, writing screenshots.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tests/deps.sh build
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null
mkdir -p build/demo
cd build/demo
exec ../compositor/tessera --demo screenshots "$@"
