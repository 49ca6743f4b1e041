#!/bin/sh
# Runs the KMS backend test (kms_backend_test) inside the test VM, where
# /dev/dri/card0 is vkms with writeback and a cursor plane.
#
#   tests/vm/kms-backend.sh RESULTS_DIR [BUILD_DIR]
#
# BUILD_DIR defaults to $TSR_BUILD_DIR, else the current directory (the VM
# runner starts jobs in the directory they were launched from). Captured PNGs
# and the test's output go to RESULTS_DIR.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 RESULTS_DIR [BUILD_DIR]" >&2; exit 2; }
results=$1
build=${2:-${TSR_BUILD_DIR:-$PWD}}
binary=$build/tests/vm/kms_backend_test
[ -x "$binary" ] || { echo "kms-backend: no test binary at $binary" >&2; exit 2; }
[ -e /dev/dri/card0 ] || { echo "kms-backend: no /dev/dri/card0 (not in the VM, or vkms not loaded)" >&2; exit 2; }
mkdir -p "$results"

# The binary prints "N passed, N failed" and exits non-zero on any failure.
TESSERA_RESULTS_DIR=$results TESSERA_LOG=${TESSERA_LOG:-info} "$binary" 2>&1 |
	tee "$results/kms-backend.log"
status=$(tail -n 1 "$results/kms-backend.log" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p')
[ "$status" = 0 ]
