#!/bin/sh
# Runs the KMS backend test (kms_backend_test) inside the test VM, where
# /dev/dri/card0 is vkms with writeback and a cursor plane.
#
#   tests/vm/kms-backend.sh BUILD_DIR RESULTS_DIR
#
# (the calling convention of kms-tests.list). Captured PNGs, the test's
# output and, on failure, the kernel log go to RESULTS_DIR.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
build=$1
results=$2
binary=$build/tests/vm/kms_backend_test
[ -x "$binary" ] || { echo "kms-backend: no test binary at $binary" >&2; exit 2; }
[ -e /dev/dri/card0 ] || { echo "kms-backend: no /dev/dri/card0 (not in the VM, or vkms not loaded)" >&2; exit 2; }
mkdir -p "$results"

# The binary prints "N passed, N failed" (line-buffered, so a hang shows in
# which case) and exits non-zero on any failure.
set +e
TESSERA_RESULTS_DIR=$results TESSERA_LOG=${TESSERA_LOG:-info} \
	timeout -k 5 "${KMS_BACKEND_TIMEOUT:-120}" "$binary" >"$results/kms-backend.log" 2>&1
status=$?
set -e
cat "$results/kms-backend.log"
if [ "$status" -ne 0 ]; then
	[ "$status" -eq 124 ] && echo "kms-backend: the test timed out" >&2
	# The kernel's view helps with KMS failures (vkms warnings, hung commits).
	dmesg | tail -n 200 >"$results/kms-backend-dmesg.txt" 2>/dev/null || true
fi
exit "$status"
