#!/bin/bash
# Configures a build directory with the given meson options: sets it up
# when it is new, reconfigures it when it exists. Reconfiguring matters: a
# directory set up before a dependency was installed (tests/demo.sh runs
# before tests/run-all.sh installs libxen-dev) must see it now, and a
# wanted feature that is still missing (-Dxen=enabled without libxen-dev)
# stops here with meson's error instead of a stage failing later.
#
#   tests/setup-build.sh DIR [-Doption=value ...]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [meson options]" >&2; exit 2; }
dir=$1
shift
if [ -f "$dir/build.ninja" ]; then
	meson setup --reconfigure "$dir" "$@"
else
	meson setup "$dir" "$@"
fi
