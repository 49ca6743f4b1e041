#!/bin/bash
# README command 1: build Tessera and run its main job on the embedded
# default configuration: the headless backend with three demo guests,
# walking through the mosaic and each domain in focus, writing screenshots.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tests/deps.sh build
# test_hooks: this build runs the agent it just built (an installed tessera
# runs only the installed one; see README.md, "Installing").
bash tests/setup-build.sh build -Dtest_hooks=true >/dev/null
meson compile -C build >/dev/null
mkdir -p build/demo
cd build/demo
exec ../compositor/tessera --demo screenshots "$@"
