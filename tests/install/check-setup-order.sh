#!/bin/bash
# The README's two commands in order on a fresh machine: tests/demo.sh sets
# build/ up before libxen-dev is installed, then tests/run-all.sh installs
# it and must get the Xen targets from that same directory. Simulated with
# a pkg-config directory that hides Xen's .pc files for the first setup,
# then run-all's own setup step (tests/setup-build.sh with -Dxen=enabled).
# Only configures (meson introspect lists the targets); builds nothing.
#
#   tests/install/check-setup-order.sh SCRATCH_DIR
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ $# -eq 1 ] || { echo "usage: $0 SCRATCH_DIR" >&2; exit 2; }
scratch=$1
if ! pkg-config --exists xengnttab xenvchan; then
	echo "check-setup-order: libxen-dev is not installed (tests/deps.sh all installs it)" >&2
	exit 77
fi
rm -rf "$scratch"
mkdir -p "$scratch/pkgconfig"
for dir in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
	for pc in "$dir"/*.pc; do
		[ -e "$pc" ] || continue
		case $(basename "$pc") in xen*) ;; *) ln -sf "$pc" "$scratch/pkgconfig/" ;; esac
	done
done

static_targets() {
	meson introspect --targets "$scratch/build" |
		python3 -c 'import json, sys; print(" ".join(sorted(t["name"] for t in json.load(sys.stdin) if t["name"].endswith("-static"))))'
}

# 1. The demo's setup, on a machine without libxen-dev.
PKG_CONFIG_LIBDIR=$scratch/pkgconfig bash tests/setup-build.sh "$scratch/build" \
	-Dtest_hooks=true >"$scratch/setup-demo.log" 2>&1 || { cat "$scratch/setup-demo.log"; exit 1; }
before=$(static_targets)
echo "after the demo's setup (no libxen-dev): Xen targets '${before}'"
[ -z "$before" ] || { echo "FAIL: the hidden Xen was found; the simulation is broken"; exit 1; }

# 2. run-all's setup of the same directory, libxen-dev now installed.
bash tests/setup-build.sh "$scratch/build" -Dtest_hooks=true -Dxen=enabled \
	>"$scratch/setup-run-all.log" 2>&1 || { cat "$scratch/setup-run-all.log"; exit 1; }
after=$(static_targets)
echo "after run-all's setup: Xen targets '${after}'"
[ "$after" = "hostile-agent-static tessera-agent-static" ] || { echo "FAIL: run-all's setup left the Xen targets out"; exit 1; }

# 3. A wanted Xen that is missing stops the setup with an error (in a new
# directory: a reconfigure reuses the dependencies meson found before).
if PKG_CONFIG_LIBDIR=$scratch/pkgconfig bash tests/setup-build.sh "$scratch/missing" \
	-Dtest_hooks=true -Dxen=enabled >"$scratch/setup-missing.log" 2>&1; then
	echo "FAIL: -Dxen=enabled without libxen-dev configured anyway"
	exit 1
fi
grep -m1 'ERROR' "$scratch/setup-missing.log"
rm -rf "$scratch"
echo "ok: the demo's build/ gets the Xen targets from run-all's setup"
